"""Pure logic of the frames API: parameter validation, paging cursors and response shapes.

No AWS here: ``dal`` fetches items, ``service`` walks days and pages, this module decides what the
parameters mean and what the UI receives.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import unicodedata
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from framewatch.core.frame_record import CAMERA_ID_PATTERN, FRAME_ID_PATTERN, utc_iso

PERSON_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
INCIDENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$"
EXECUTION_ARN_PATTERN = (
    r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:(execution|express):[A-Za-z0-9_.:-]{1,400}$"
)

_FRAME_ID = re.compile(FRAME_ID_PATTERN)
_PERSON_ID = re.compile(PERSON_ID_PATTERN)
_EXECUTION_ARN = re.compile(EXECUTION_ARN_PATTERN)
_INCIDENT_ID = re.compile(INCIDENT_ID_PATTERN)
# An execution starts after its frame was captured; the margin covers a camera clock running fast.
SINCE_MARGIN = timedelta(minutes=5)
# A sort key is "<captured_at>#<id>"; the time half is what makes keys sort by capture time.
# Ids are frame ids (128), alert ids (incident id + "#n") or incident ids (201).
_SORT_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[A-Za-z0-9_.:#-]{1,256}$")


class ApiError(Exception):
    """A failure the caller caused or can act on; ``status`` becomes the HTTP status."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ApiError):
    status = 400


class NotFound(ApiError):
    status = 404


class Unavailable(ApiError):
    """An upstream service refused; the request itself was fine."""

    status = 502


def first_error(exc: ValidationError) -> str:
    """One readable line from a pydantic error: ``limit: Input should be ...``."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    message = str(err["msg"])
    if err["type"] == "string_pattern_mismatch":
        message = "has an invalid format"
    return f"{where}: {message}" if where else message


# --- query parameters -------------------------------------------------------------------------


class PageParams(BaseModel):
    """``limit`` and ``before`` shared by every listing."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    limit: int = Field(default=20, ge=1, le=100)
    before: str | None = Field(default=None, min_length=1, max_length=600)


class FramesParams(PageParams):
    camera: Annotated[str, Field(pattern=CAMERA_ID_PATTERN)] | None = None


class IncidentsParams(PageParams):
    camera: Annotated[str, Field(pattern=CAMERA_ID_PATTERN)] | None = None
    label: str | None = Field(default=None, max_length=100)
    severity: Literal["alert", "detection"] | None = None
    state: Literal["active", "ended"] | None = None

    @field_validator("label")
    @classmethod
    def _no_control_characters(cls, value: str | None) -> str | None:
        if value is not None and any(unicodedata.category(ch).startswith("C") for ch in value):
            raise ValueError("must not contain control characters")
        return value

    def filters(self) -> dict[str, str]:
        """Attribute -> required value, for the filters that are not part of the key."""
        chosen = {"label": self.label, "severity": self.severity, "state": self.state}
        return {name: value for name, value in chosen.items() if value is not None}


class IncidentFramesParams(BaseModel):
    """An incident's frames page forwards (oldest first), so its cursor is ``after``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    limit: int = Field(default=50, ge=1, le=100)
    after: str | None = Field(default=None, min_length=1, max_length=600)


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    display_name: str = Field(min_length=1, max_length=100)

    @field_validator("display_name")
    @classmethod
    def _printable(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be blank")
        if any(unicodedata.category(ch).startswith("C") for ch in value):
            raise ValueError("must not contain control characters")
        return value


def parse_params(model: type[BaseModel], params: Mapping[str, str] | None) -> Any:
    """Validate query string parameters; empty values count as absent (``?camera=``)."""
    present = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    try:
        return model.model_validate(present)
    except ValidationError as exc:
        raise BadRequest(f"invalid query parameter {first_error(exc)}") from exc


def parse_json_body(body: str | None) -> Any:
    if not body:
        raise BadRequest("request body must be a JSON object")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        # A body that is not UTF-8 raises UnicodeDecodeError, which has no msg.
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else exc.reason
        raise BadRequest(f"request body is not valid JSON: {reason}") from exc


def parse_person(body: str | None) -> PersonIn:
    payload = parse_json_body(body)
    if not isinstance(payload, dict):
        raise BadRequest("request body must be a JSON object")
    try:
        return PersonIn.model_validate(payload)
    except ValidationError as exc:
        raise BadRequest(f"invalid person: {first_error(exc)}") from exc


def check_frame_id(frame_id: str) -> str:
    if not _FRAME_ID.match(frame_id):
        raise BadRequest("frame id has an invalid format")
    return frame_id


def check_person_id(person_id: str) -> str:
    if not _PERSON_ID.match(person_id):
        raise BadRequest("person id has an invalid format")
    return person_id


def check_incident_id(incident_id: str) -> str:
    if not _INCIDENT_ID.match(incident_id):
        raise BadRequest("incident id has an invalid format")
    return incident_id


def check_execution_arn(arn: str) -> str:
    if not _EXECUTION_ARN.match(arn):
        raise BadRequest("execution id is not a Step Functions execution ARN")
    return arn


# --- paging -----------------------------------------------------------------------------------

CursorKind = Literal["frames", "alerts", "incidents", "incident-frames"]


class Position(BaseModel):
    """Where a page starts: strictly before ``sort_key``, on ``day`` and earlier days."""

    model_config = ConfigDict(frozen=True)

    day: date
    sort_key: str | None = None  # None: the whole day


def encode_cursor(kind: CursorKind, sort_key: str) -> str:
    raw = json.dumps({"v": 1, "t": kind, "k": sort_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: CursorKind, cursor: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    if not isinstance(payload, dict) or payload.get("v") != 1 or payload.get("t") != kind:
        return None
    key = payload.get("k")
    return key if isinstance(key, str) and _SORT_KEY.match(key) else None


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # an ISO time without offset is read as UTC
    return moment


def start_position(kind: CursorKind, before: str | None, now: datetime) -> Position:
    """Where a listing starts: an opaque cursor from a previous page, an ISO time, or now.

    Without ``before`` the walk starts a day ahead of ``now`` so a camera whose clock runs a
    little fast near midnight is not missed.
    """
    if before is None:
        return Position(day=(now.astimezone(UTC) + timedelta(days=1)).date())
    key = decode_cursor(kind, before)
    if key is not None:
        return Position(day=date.fromisoformat(key[:10]), sort_key=key)
    moment = _parse_time(before)
    if moment is None:
        raise BadRequest(
            "invalid query parameter before: not a cursor from a previous page nor an ISO-8601 time"
        )
    # "<captured_at>#..." > "<captured_at>", so the bound excludes items at exactly that time.
    return Position(day=moment.astimezone(UTC).date(), sort_key=utc_iso(moment))


# --- shaping items for the UI -----------------------------------------------------------------


def _json_list(text: Any) -> list[dict[str, Any]]:
    """Labels and faces are stored as JSON strings; a damaged value shows as none, not a 500."""
    if isinstance(text, list):
        return [x for x in text if isinstance(x, dict)]
    if not isinstance(text, str):
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return []
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _box(value: Any) -> dict[str, float] | None:
    if not isinstance(value, dict):
        return None
    box = {k: _number(value.get(k)) for k in ("left", "top", "width", "height")}
    if any(v is None for v in box.values()):
        return None
    return {k: float(v) for k, v in box.items() if v is not None}


def shape_labels(raw: Any) -> list[dict[str, Any]]:
    labels = []
    for label in _json_list(raw):
        instances = [
            {"box": box, "confidence": _number(inst.get("confidence"))}
            for inst in label.get("instances") or []
            if isinstance(inst, dict) and (box := _box(inst.get("box"))) is not None
        ]
        labels.append(
            {
                "name": str(label.get("name", "")),
                "confidence": _number(label.get("confidence")),
                "parents": [str(p) for p in label.get("parents") or []],
                "instances": instances,
            }
        )
    return labels


def shape_faces(raw: Any) -> list[dict[str, Any]]:
    faces = []
    for face in _json_list(raw):
        box = _box(face.get("box"))
        if box is None:
            continue
        faces.append(
            {
                "box": box,
                "confidence": _number(face.get("confidence")),
                "face_id": face.get("face_id"),
                "person_id": face.get("person_id"),
                "person_name": face.get("person_name"),
                "similarity": _number(face.get("similarity")),
            }
        )
    return faces


def execution_url(
    template: str, region: str, execution_arn: str | None, captured_at: Any = None
) -> str | None:
    """The link to an execution; a template may use ``{captured_at}`` so that the page reads the
    workflow's log from the frame's capture time on, not from the start of its retention."""
    if not execution_arn or not template:
        return None
    return template.format(
        region=region,
        execution_arn=urllib.parse.quote(execution_arn, safe=":"),
        captured_at=urllib.parse.quote(str(captured_at or ""), safe=":"),
    )


class ExecutionParams(BaseModel):
    """``since``: an ISO time no later than the execution's start (the frame's capture time)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    since: str | None = Field(default=None, max_length=64)

    def since_time(self) -> datetime | None:
        """``since`` less a margin for clock skew between the camera and AWS; None when absent."""
        if not self.since:
            return None
        moment = _parse_time(self.since)
        if moment is None:
            raise BadRequest("since: expected an ISO-8601 time such as 2026-11-28T21:04:00Z")
        return moment - SINCE_MARGIN


def shape_frame(item: Mapping[str, Any], image_url: str | None, exec_url: str | None) -> dict[str, Any]:
    return {
        "camera_id": item.get("camera_id"),
        "frame_id": item.get("frame_id"),
        "captured_at": item.get("captured_at"),
        "source": item.get("source"),
        "width": _int(item.get("width")),
        "height": _int(item.get("height")),
        "image_url": image_url,
        "labels": shape_labels(item.get("labels")),
        "faces": shape_faces(item.get("faces")),
        "execution_id": item.get("execution_id"),
        "execution_url": exec_url,
        # When the workflow wrote the frame's record: from then on the API serves it.
        "recorded_at": item.get("recorded_at"),
    }


def shape_alert(item: Mapping[str, Any], image_url: str | None, exec_url: str | None) -> dict[str, Any]:
    alert_key = str(item.get("alert_key", ""))
    return {
        "alert_id": item.get("alert_id"),
        "status": item.get("status"),
        "captured_at": item.get("captured_at") or alert_key.split("#", 1)[0] or None,
        "camera_id": item.get("camera_id"),
        "frame_id": item.get("frame_id"),
        "rule": item.get("rule"),
        "subject": item.get("subject"),
        "subject_line": item.get("subject_line"),
        "message": item.get("message"),
        "dedupe_key": item.get("dedupe_key"),
        "incident_id": item.get("incident_id"),
        "label": item.get("label"),
        "severity": item.get("severity"),
        "link": item.get("link"),
        "image_url": image_url,
        "execution_id": item.get("execution_id"),
        "execution_url": exec_url,
    }


def _json_names(text: Any) -> list[str]:
    """``zones_entered`` is a JSON list of names; a damaged value shows as none."""
    if isinstance(text, str):
        try:
            text = json.loads(text)
        except json.JSONDecodeError:
            return []
    return [str(name) for name in text] if isinstance(text, list) else []


def _seconds_between(start: Any, end: Any) -> float | None:
    first, last = _parse_time(str(start or "")), _parse_time(str(end or ""))
    if first is None or last is None:
        return None
    return round(max((last - first).total_seconds(), 0.0), 3)


def shape_incident(item: Mapping[str, Any], best_image_url: str | None) -> dict[str, Any]:
    best_frame = None
    if item.get("best_frame_id"):
        best_box = item.get("best_box")
        if isinstance(best_box, str):
            try:
                best_box = json.loads(best_box)
            except json.JSONDecodeError:
                best_box = None
        best_frame = {
            "frame_id": item.get("best_frame_id"),
            "image_url": best_image_url,
            "box": _box(best_box),
            "score": _number(item.get("best_score")),
        }
    return {
        "incident_id": item.get("incident_id"),
        "camera_id": item.get("camera_id"),
        "rule": item.get("rule"),
        "kind": item.get("kind"),
        "label": item.get("label"),
        "person_id": item.get("person_id"),
        "person_name": item.get("person_name"),
        "severity": item.get("severity"),
        "state": item.get("state"),
        "stationary": bool(item.get("stationary")),
        "first_seen": item.get("first_seen"),
        "last_seen": item.get("last_seen"),
        "duration_s": _seconds_between(item.get("first_seen"), item.get("last_seen")),
        "frame_count": _int(item.get("frame_count")) or 0,
        "zones_entered": _json_names(item.get("zones_entered")),
        "best_frame": best_frame,
        "alert_status": item.get("alert_status") or "none",
        "alerted_at": item.get("alerted_at"),
        "alert_count": _int(item.get("alert_count")) or 0,
    }


def incident_frame_range(incident: Mapping[str, Any]) -> tuple[str, str]:
    """The frame_key range of an incident's frames, both ends included.

    ``frame_key`` is ``<captured_at>#<frame_id>``; "~" sorts after every id character, so the
    upper bound keeps the frames captured exactly at ``last_seen``.
    """
    return str(incident.get("first_seen") or ""), str(incident.get("last_seen") or "") + "~"


def shape_person(item: Mapping[str, Any]) -> dict[str, Any]:
    face_ids = item.get("face_ids") or []
    return {
        "person_id": item.get("person_id"),
        "display_name": item.get("display_name"),
        "status": item.get("status", "pending"),
        "face_count": len(face_ids),
        "created_at": item.get("created_at"),
        "updated_at": item.get("updated_at"),
    }


def sort_people(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest first, so a person just registered is at the top of the list."""
    return sorted(people, key=lambda p: (p.get("created_at") or "", p.get("person_id") or ""), reverse=True)


# --- new ids ----------------------------------------------------------------------------------


def new_person_id(display_name: str, suffix: str | None = None) -> str:
    """``ada-lovelace-3f9c2a``: readable slug of the name plus a short random suffix."""
    ascii_name = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:48].strip("-") or "person"
    return f"{slug}-{suffix or secrets.token_hex(3)}"


def new_upload_id() -> str:
    return secrets.token_hex(16)


def upload_frame_id(upload_id: str) -> str:
    return f"upload-{upload_id}"


def enroll_key(person_id: str, photo_id: str | None = None) -> str:
    return f"enroll/{person_id}/{photo_id or secrets.token_hex(16)}.jpg"


def upload_key(upload_id: str) -> str:
    return f"uploads/{upload_id}.jpg"


def shape_history_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """One GetExecutionHistory event flattened: its type, time, state name and detail."""
    details_key = next((k for k in event if k.endswith("EventDetails")), None)
    details = dict(event.get(details_key) or {}) if details_key else {}
    timestamp = event.get("timestamp")
    return {
        "id": event.get("id"),
        "previous_id": event.get("previousEventId"),
        "type": event.get("type"),
        "timestamp": utc_iso(timestamp) if isinstance(timestamp, datetime) else timestamp,
        "state": details.get("name"),
        "detail": {k: v for k, v in details.items() if k != "name" and isinstance(v, str | int)},
    }


def shape_execution(desc: Mapping[str, Any]) -> dict[str, Any]:
    def when(key: str) -> str | None:
        value = desc.get(key)
        return utc_iso(value) if isinstance(value, datetime) else value

    return {
        "execution_arn": desc.get("executionArn"),
        "state_machine_arn": desc.get("stateMachineArn"),
        "name": desc.get("name"),
        "status": desc.get("status"),
        "start_date": when("startDate"),
        "stop_date": when("stopDate"),
        "input": desc.get("input"),
        "output": desc.get("output"),
        "error": desc.get("error"),
        "cause": desc.get("cause"),
        # The workflow's ASL (the graph view draws it), when the state machine could be described.
        "definition": desc.get("definition"),
    }
