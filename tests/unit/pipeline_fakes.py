"""In-memory stand-ins for the ports of framewatch/logic/ports.py: the same contracts as the boto3
adapters in framewatch/aws/, with what was asked of them kept for the tests to look at."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from framewatch.logic.ports import ImageSource


def jpeg(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (90, 120, 150)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="JPEG")
    return out.getvalue()


class MissingObject(LookupError):
    """What S3 answers with NoSuchKey."""


class InMemoryObjects:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], tuple[bytes, str]] = {}
        self.reads: list[tuple[str, str]] = []

    def get_object_bytes(self, bucket: str, key: str) -> bytes:
        self.reads.append((bucket, key))
        if (bucket, key) not in self.objects:
            raise MissingObject(f"s3://{bucket}/{key}")
        return self.objects[(bucket, key)][0]

    def put_object(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        self.objects[(bucket, key)] = (body, content_type)

    def copy_object(self, bucket: str, source_key: str, key: str) -> None:
        if (bucket, source_key) not in self.objects:
            raise MissingObject(f"s3://{bucket}/{source_key}")
        self.objects[(bucket, key)] = self.objects[(bucket, source_key)]


class ListDeadLetters:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def send(self, body: dict[str, Any]) -> None:
        self.bodies.append(body)


class DictPeople:
    def __init__(self, names: dict[str, str]) -> None:
        self.people = names
        self.asked: list[set[str]] = []

    def names(self, person_ids: set[str]) -> dict[str, str]:
        self.asked.append(set(person_ids))
        return {pid: self.people[pid] for pid in person_ids if pid in self.people}


def face_detail(left: float, top: float, size: float = 0.2, confidence: float = 99.0) -> dict[str, Any]:
    box = {"Left": left, "Top": top, "Width": size, "Height": size}
    return {"BoundingBox": box, "Confidence": confidence}


def face_match(person_id: str | None, face_id: str, similarity: float) -> dict[str, Any]:
    face: dict[str, Any] = {"FaceId": face_id}
    if person_id is not None:
        face["ExternalImageId"] = person_id
    return {"Face": face, "Similarity": similarity}


class ScriptedVision:
    """Answers as scripted: the same labels and faces for any image, and face matches in call order
    (one per search, None for no match). Every call is recorded with the image it was given."""

    def __init__(
        self,
        labels: list[dict[str, Any]] | None = None,
        faces: list[dict[str, Any]] | None = None,
        matches: list[dict[str, Any] | None] | None = None,
        indexed: list[dict[str, Any]] | None = None,
    ) -> None:
        self.labels = labels or []
        self.faces = faces or []
        self.matches = list(matches or [])
        self.indexed = indexed or []
        self.calls: list[tuple[str, ImageSource, dict[str, Any]]] = []

    def detect_labels(
        self, image: ImageSource, *, max_labels: int, min_confidence: float
    ) -> list[dict[str, Any]]:
        self.calls.append(
            ("detect_labels", image, {"max_labels": max_labels, "min_confidence": min_confidence})
        )
        return self.labels

    def detect_faces(self, image: ImageSource) -> list[dict[str, Any]]:
        self.calls.append(("detect_faces", image, {}))
        return self.faces

    def search_largest_face(
        self, image: ImageSource, *, collection_id: str, threshold: float
    ) -> dict[str, Any] | None:
        self.calls.append(
            ("search_largest_face", image, {"collection_id": collection_id, "threshold": threshold})
        )
        return self.matches.pop(0)

    def index_face(self, image: ImageSource, *, collection_id: str, external_id: str) -> list[dict[str, Any]]:
        self.calls.append(("index_face", image, {"collection_id": collection_id, "external_id": external_id}))
        return self.indexed

    def called(self, name: str) -> list[tuple[ImageSource, dict[str, Any]]]:
        return [(image, args) for call, image, args in self.calls if call == name]
