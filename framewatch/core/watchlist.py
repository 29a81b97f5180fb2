"""The watch list: which detections raise an alert. Pure; loaded from one YAML/JSON file."""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from framewatch.core.detections import Detections, Face, Label
from framewatch.core.geometry import Box, Point, point_in_polygon
from framewatch.core.validation import first_problem

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WatchListError(ValueError):
    """The watch-list file is invalid; the message names the field."""


class Schedule(BaseModel):
    """Active between ``start`` and ``end`` local time (an overnight span wraps midnight)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: list[Weekday] = list(WEEKDAYS)
    start: time = time(0, 0)
    end: time = time(23, 59, 59)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock_time(cls, value: object) -> object:
        # Unquoted YAML reads 22:00 as the base-60 number 1320, which would become 00:22 UTC.
        if isinstance(value, int | float):
            raise ValueError('write the time as a quoted "HH:MM" string; unquoted, YAML reads it as a number')
        return value

    @field_validator("start", "end")
    @classmethod
    def _local_time(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("times are local to ALERT_TIMEZONE; leave out the UTC offset")
        return value

    def active(self, local: datetime) -> bool:
        # Whole seconds, so the default end (23:59:59) covers the last fraction of the day.
        now, weekday = local.time().replace(microsecond=0), local.weekday()
        if self.start <= self.end:
            return self.start <= now <= self.end and WEEKDAYS[weekday] in self.days
        if now >= self.start:  # evening part of an overnight span
            return WEEKDAYS[weekday] in self.days
        if now <= self.end:  # early-morning part belongs to the span that began yesterday
            return WEEKDAYS[(weekday - 1) % 7] in self.days
        return False


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    labels: list[str] = []
    people: list[str] = []
    unknown_faces: bool = False
    min_confidence: float = Field(default=70.0, ge=0, le=100)
    min_box_area: float = Field(default=0.0, ge=0, le=1)
    cameras: list[str] = []
    zones: list[list[Point]] = []
    schedule: Schedule | None = None

    @field_validator("zones")
    @classmethod
    def _zones_are_polygons(cls, zones: list[list[Point]]) -> list[list[Point]]:
        for zone in zones:
            if len(zone) < 3:
                raise ValueError("a zone needs at least 3 points")
            if any(not (0 <= x <= 1 and 0 <= y <= 1) for x, y in zone):
                raise ValueError("zone points are normalised coordinates between 0 and 1")
        return zones

    @model_validator(mode="after")
    def _watches_something(self) -> Rule:
        if not (self.labels or self.people or self.unknown_faces):
            raise ValueError("a rule needs labels, people or unknown_faces: true")
        return self

    def applies_to(self, camera_id: str, local: datetime) -> bool:
        if self.cameras and camera_id not in self.cameras:
            return False
        return self.schedule is None or self.schedule.active(local)

    def box_counts(self, box: Box) -> bool:
        if box.area < self.min_box_area:
            return False
        return not self.zones or any(point_in_polygon(box.bottom_centre, z) for z in self.zones)


class WatchList(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: list[Rule] = []

    @model_validator(mode="after")
    def _unique_names(self) -> WatchList:
        names = [r.name for r in self.rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique; repeated: {', '.join(duplicates)}")
        return self


class Hit(BaseModel):
    """One rule matched by one subject in one frame."""

    model_config = ConfigDict(frozen=True)

    rule: str
    kind: Literal["label", "person", "unknown_face"]
    subject: str  # what the dedupe key is about: label name, person id, or "unknown-face"
    subject_name: str  # what people read: "Car", "Ada Lovelace", "an unknown face"
    confidence: float
    box: Box | None = None


def load_watchlist(text: str, source: str = "watch list") -> WatchList:
    """Parse YAML or JSON text; raise WatchListError naming the field that is wrong."""
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise WatchListError(f"{source}: not valid YAML/JSON: {exc}".splitlines()[0]) from exc
    if data is None:
        data = {}
    try:
        return WatchList.model_validate(data)
    except ValidationError as exc:
        where, problem = first_problem(exc, "top level")
        raise WatchListError(f"{source}: {where}: {problem}") from exc


def dump_watchlist(watchlist: WatchList) -> str:
    return json.dumps(watchlist.model_dump(mode="json"), indent=2)


def evaluate(watchlist: WatchList, camera_id: str, local_time: datetime, found: Detections) -> list[Hit]:
    """Every (rule, subject) that this frame raises, strongest instance first, one per subject."""
    hits: dict[tuple[str, str], Hit] = {}
    # Rekognition also reports each parent as a label of its own ("Vehicle" beside "Car"); the
    # specific label is the subject, or one car would raise two incidents.
    parents = {p.casefold() for label in found.labels for p in label.parents}
    specific = [label for label in found.labels if label.name.casefold() not in parents]
    for rule in watchlist.rules:
        if not rule.applies_to(camera_id, local_time):
            continue
        candidates = [
            *(_label_hits(rule, label) for label in specific),
            *(_face_hits(rule, face) for face in found.faces),
        ]
        for hit in (h for group in candidates for h in group):
            key = (hit.rule, hit.subject)
            if key not in hits or hit.confidence > hits[key].confidence:
                hits[key] = hit
    return sorted(hits.values(), key=lambda h: (h.rule, -h.confidence, h.subject))


def _label_hits(rule: Rule, label: Label) -> list[Hit]:
    wanted = {name.casefold() for name in rule.labels}
    if not wanted or not (label.names() & wanted):
        return []
    needs_box = bool(rule.zones) or rule.min_box_area > 0
    if label.instances:
        boxes = [
            inst
            for inst in label.instances
            if inst.confidence >= rule.min_confidence and rule.box_counts(inst.box)
        ]
        if not boxes:
            return []
        best = max(boxes, key=lambda inst: inst.confidence)
        return [
            Hit(
                rule=rule.name,
                kind="label",
                subject=label.name,
                subject_name=label.name,
                confidence=best.confidence,
                box=best.box,
            )
        ]
    if needs_box or label.confidence < rule.min_confidence:
        return []  # a scene-level label has no box to place in a zone
    return [
        Hit(
            rule=rule.name,
            kind="label",
            subject=label.name,
            subject_name=label.name,
            confidence=label.confidence,
        )
    ]


def _face_hits(rule: Rule, face: Face) -> list[Hit]:
    if face.confidence < rule.min_confidence or not rule.box_counts(face.box):
        return []
    if face.known and rule.people:
        wanted = {p.casefold() for p in rule.people}
        names = {face.person_id.casefold(), (face.person_name or "").casefold()}
        if names & wanted:
            return [
                Hit(
                    rule=rule.name,
                    kind="person",
                    subject=face.person_id,
                    subject_name=face.person_name or face.person_id,
                    confidence=face.similarity or face.confidence,
                    box=face.box,
                )
            ]
    if not face.known and rule.unknown_faces:
        return [
            Hit(
                rule=rule.name,
                kind="unknown_face",
                subject="unknown-face",
                subject_name="an unknown face",
                confidence=face.confidence,
                box=face.box,
            )
        ]
    return []
