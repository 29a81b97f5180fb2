"""What the detect step reports for one frame: labels with boxes, faces with identities."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from framewatch.core.geometry import Box


class LabelInstance(BaseModel):
    model_config = ConfigDict(frozen=True)

    box: Box
    confidence: float = Field(ge=0, le=100)


class Label(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    confidence: float = Field(ge=0, le=100)
    parents: list[str] = []
    categories: list[str] = []
    instances: list[LabelInstance] = []

    def names(self) -> set[str]:
        """The label and every parent, folded to lower case, for watch-list matching."""
        return {self.name.casefold(), *(p.casefold() for p in self.parents)}


class Face(BaseModel):
    model_config = ConfigDict(frozen=True)

    box: Box
    confidence: float = Field(ge=0, le=100)
    face_id: str | None = None
    person_id: str | None = None
    person_name: str | None = None
    similarity: float | None = None

    @property
    def known(self) -> bool:
        return self.person_id is not None


class Detections(BaseModel):
    model_config = ConfigDict(frozen=True)

    labels: list[Label] = []
    faces: list[Face] = []


PERSON = "person"


def shows_a_person(labels: list[Label]) -> bool:
    """Whether any label is a person (or a kind of person): the only frames worth a face search."""
    return any(PERSON in label.names() for label in labels)


def labels_from_rekognition(response_labels: list[dict[str, Any]]) -> list[Label]:
    """Rekognition DetectLabels ``Labels`` → our labels (boxes keep Rekognition's ratios)."""
    labels = []
    for item in response_labels:
        instances = [
            LabelInstance(box=_box(inst["BoundingBox"]), confidence=inst.get("Confidence", 0.0))
            for inst in item.get("Instances", [])
            if "BoundingBox" in inst
        ]
        labels.append(
            Label(
                name=item["Name"],
                confidence=item.get("Confidence", 0.0),
                parents=[p["Name"] for p in item.get("Parents", [])],
                categories=[c["Name"] for c in item.get("Categories", [])],
                instances=instances,
            )
        )
    return labels


def box_from_rekognition(box: dict[str, Any]) -> Box:
    return _box(box)


def _box(box: dict[str, Any]) -> Box:
    return Box(
        left=box.get("Left", 0.0),
        top=box.get("Top", 0.0),
        width=box.get("Width", 0.0),
        height=box.get("Height", 0.0),
    )
