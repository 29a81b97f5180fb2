"""The watch list: which detections raise an alert. Pure; loaded from one YAML/JSON file."""

from __future__ import annotations

import json
import re
from datetime import datetime, time
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from framewatch.core.detections import Detections, Face, Label, LabelInstance
from framewatch.core.geometry import Box, Point, point_in_polygon
from framewatch.core.validation import first_problem

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ZONE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


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


class Tracking(BaseModel):
    """How detections become tracks, and tracks incidents (times are capture-time seconds)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Frames a new track needs before it is confirmed (one stray detection never alerts).
    min_hits: int = Field(default=2, ge=1, le=50)
    # A moving track not seen for this long is lost; its incidents end.
    lost_after_seconds: float = Field(default=30.0, gt=0, le=3600)
    # A track whose box stays within stationary_iou of where it stopped for this long is stationary.
    stationary_seconds: float = Field(default=30.0, gt=0, le=86_400)
    stationary_iou: float = Field(default=0.6, gt=0, lt=1)
    # Stationary tracks outlive the gaps of a motion-gated camera (keep-alive every 10 s) and misses.
    stationary_lost_after_seconds: float = Field(default=600.0, gt=0, le=86_400)
    # A detection continues a track when its box overlaps the predicted box this much, or its centre
    # is within max_centre_distance box sizes of it.
    match_iou: float = Field(default=0.1, ge=0, lt=1)
    max_centre_distance: float = Field(default=1.0, gt=0, le=10)
    # Frames whose face matches must agree before a registered person is named on a track.
    face_votes: int = Field(default=2, ge=1, le=20)

    @model_validator(mode="after")
    def _stationary_outlives_moving(self) -> Tracking:
        if self.stationary_lost_after_seconds < self.lost_after_seconds:
            raise ValueError("stationary_lost_after_seconds must be at least lost_after_seconds")
        return self


class Zone(BaseModel):
    """A named area of a camera's image (0..1 coordinates); objects enter it with their bottom-centre."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    points: list[Point]
    cameras: list[str] = []

    @field_validator("points")
    @classmethod
    def _polygon(cls, points: list[Point]) -> list[Point]:
        return _check_polygon(points)

    def contains(self, camera_id: str, point: Point) -> bool:
        if self.cameras and camera_id not in self.cameras:
            return False
        return point_in_polygon(point, self.points)


def _check_polygon(zone: list[Point]) -> list[Point]:
    if len(zone) < 3:
        raise ValueError("a zone needs at least 3 points")
    if any(not (0 <= x <= 1 and 0 <= y <= 1) for x, y in zone):
        raise ValueError("zone points are normalised coordinates between 0 and 1")
    return zone


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
    # alert: sent once per incident; detection: recorded and shown, never sent.
    severity: Literal["alert", "detection"] = "alert"
    # Named zones (watch list `zones:`); the incident opens only once the object entered one of them...
    required_zones: list[str] = []
    # ...and stayed there (or, without required zones, in view) this long.
    loitering_seconds: float = Field(default=0.0, ge=0, le=86_400)
    # Seconds of capture time between reminders for an incident that goes on; off by default.
    remind_after: float | None = Field(default=None, ge=10, le=86_400)

    @field_validator("zones")
    @classmethod
    def _zones_are_polygons(cls, zones: list[list[Point]]) -> list[list[Point]]:
        for zone in zones:
            _check_polygon(zone)
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
    zones: dict[str, Zone] = {}
    tracking: Tracking = Tracking()

    @field_validator("zones")
    @classmethod
    def _zone_names(cls, zones: dict[str, Zone]) -> dict[str, Zone]:
        for name in zones:
            if not ZONE_NAME.match(name):
                raise ValueError(f"zone name {name!r}: use letters, digits, '_', '.' or '-'")
        return zones

    @model_validator(mode="after")
    def _unique_names(self) -> WatchList:
        names = [r.name for r in self.rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique; repeated: {', '.join(duplicates)}")
        for rule in self.rules:
            unknown = [z for z in rule.required_zones if z not in self.zones]
            if unknown:
                raise ValueError(
                    f"rule {rule.name}: required_zones names {', '.join(unknown)}, which the "
                    "watch list's zones: section does not define"
                )
        return self

    def rule(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)


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


class Observation(BaseModel):
    """One detection in one frame that the watch list cares about: what the tracker is fed."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["object", "face"]
    label: str  # the most specific label ("Car", not also "Vehicle"); "Face" for a face
    family: str  # a track only continues with detections of its family (a "Car" may turn "Truck")
    box: Box
    confidence: float
    rules: list[str]  # the rules this detection satisfies on its own (confidence, size, zones, camera, time)
    person_id: str | None = None  # a face's match in this one frame (a track names a person by a vote)
    person_name: str | None = None


FULL_FRAME = Box(left=0.0, top=0.0, width=1.0, height=1.0)
FACE = "Face"


def label_family(label: Label) -> str:
    """The nearest parent, so a car that the detector calls a truck in one frame stays one track."""
    return label.parents[0] if label.parents else label.name


def observe(
    watchlist: WatchList, camera_id: str, local_time: datetime, found: Detections
) -> list[Observation]:
    """Every object and face of one frame that a rule in force watches, each with the rules it meets."""
    rules = [rule for rule in watchlist.rules if rule.applies_to(camera_id, local_time)]
    # Rekognition also reports each parent as a label of its own ("Vehicle" beside "Car"); only the
    # specific label is an object, or one car would be two tracks.
    parents = {p.casefold() for label in found.labels for p in label.parents}
    specific = [label for label in found.labels if label.name.casefold() not in parents]
    seen: list[Observation] = []
    for label in specific:
        # A scene-level label has no box: it is tracked as the whole frame.
        instances = label.instances or [LabelInstance(box=FULL_FRAME, confidence=label.confidence)]
        for instance in instances:
            met = [r.name for r in rules if _label_rule_met(r, label, instance, boxed=bool(label.instances))]
            if met:
                seen.append(
                    Observation(kind="object", label=label.name, family=label_family(label), box=instance.box,
                                confidence=instance.confidence, rules=met)
                )  # fmt: skip
    for face in found.faces:
        met = [r.name for r in rules if _face_rule_met(r, face)]
        # A matched face is kept even without a rule of its own: it names the person on a person track.
        if met or face.known:
            seen.append(
                Observation(kind="face", label=FACE, family=FACE, box=face.box, confidence=face.confidence,
                            rules=met, person_id=face.person_id, person_name=face.person_name)
            )  # fmt: skip
    return seen


def _label_rule_met(rule: Rule, label: Label, instance: LabelInstance, *, boxed: bool) -> bool:
    wanted = {name.casefold() for name in rule.labels}
    if not wanted or not (label.names() & wanted) or instance.confidence < rule.min_confidence:
        return False
    if not boxed:
        # A scene-level label has no box to place in a zone or to measure.
        return not (rule.zones or rule.min_box_area > 0)
    return rule.box_counts(instance.box)


def _face_rule_met(rule: Rule, face: Face) -> bool:
    if face.confidence < rule.min_confidence or not rule.box_counts(face.box):
        return False
    if face.known:
        return person_matches(rule, face.person_id, face.person_name)
    return rule.unknown_faces


def person_matches(rule: Rule, person_id: str | None, person_name: str | None) -> bool:
    """A rule's people are display names or person ids, compared case-blind."""
    if not rule.people or person_id is None:
        return False
    wanted = {p.casefold() for p in rule.people}
    return bool({person_id.casefold(), (person_name or "").casefold()} & wanted)
