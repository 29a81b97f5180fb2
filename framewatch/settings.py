"""Typed settings for the pipeline's functions, read from the environment the template sets.

Each function has its own small model with only what it reads, so the template gives each function
only those variables; a missing or invalid one stops the function at its first invocation with one
line naming the variable. ``PipelineSettings`` is all of them (the stack's parameter checks).
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from framewatch.core.validation import first_problem
from framewatch.errors import UserError

RetentionDays = Annotated[int, Field(default=7, ge=1, le=3650)]
Percent = Annotated[float, Field(ge=0, le=100)]


class _FunctionSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)


class IngestSettings(_FunctionSettings):
    """functions/ingest: where frames go, and where a bad record goes."""

    media_bucket: str
    dead_letter_queue_url: str
    frame_retention_days: RetentionDays = 7
    max_image_bytes: int = Field(default=5 * 1024 * 1024, ge=1)


class UploadSettings(_FunctionSettings):
    """functions/describe_upload: the bucket comes with the event."""

    frame_retention_days: RetentionDays = 7


class LabelSettings(_FunctionSettings):
    """functions/detect, detect_labels: how many labels, from what confidence."""

    min_label_confidence: Percent = 50.0
    max_labels: int = Field(default=25, ge=1, le=1000)


class FaceSettings(_FunctionSettings):
    """functions/detect, identify_faces: the face collection and who is in it."""

    people_table: str
    collection_id: str = "framewatch-faces"
    face_match_threshold: Percent = 80.0


class EnrollSettings(_FunctionSettings):
    """functions/enroll: the face collection."""

    collection_id: str = "framewatch-faces"


class BundledLabelSettings(LabelSettings):
    """functions/bundled, detect_objects: the bundled detector also keeps registered faces in this bucket."""

    media_bucket: str


class BundledFaceSettings(FaceSettings):
    """functions/bundled, identify_faces: registered faces are the bucket's faces/ objects."""

    media_bucket: str


class BundledEnrollSettings(EnrollSettings):
    """functions/bundled, enroll_face: writes the face's embedding under the bucket's faces/."""

    media_bucket: str


class WatchListSettings(_FunctionSettings):
    """functions/evaluate: the watch list's object, and the zone its schedules are in."""

    media_bucket: str
    watchlist_key: str = "config/watchlist.yaml"
    alert_timezone: str = "UTC"

    @field_validator("alert_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/Paris)") from exc
        return value

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.alert_timezone)


class QuietCameraSettings(WatchListSettings):
    """functions/track's sweep: ends the incidents of cameras that went silent."""

    tracks_table: str
    incidents_table: str
    ui_base_url: str | None = None
    frame_retention_days: RetentionDays = 7


class TrackSettings(QuietCameraSettings):
    """functions/track: the watch list, plus the tables tracks, incidents and alerts are written to."""

    alert_slots_table: str


class ConfirmSettings(WatchListSettings):
    """functions/confirm (cascade): the outbox and incidents it confirms or dismisses, the collection."""

    alert_slots_table: str
    incidents_table: str
    collection_id: str = "framewatch-faces"
    face_match_threshold: Percent = 80.0
    # A label Rekognition confirmed on a camera needs no confirmation there for this long (0: always ask).
    cascade_trust_seconds: int = Field(default=600, ge=0, le=86_400)


class PipelineSettings(
    TrackSettings, LabelSettings, FaceSettings, IngestSettings, UploadSettings, EnrollSettings
):
    """Every function's settings together, plus the tables only the workflow's own tasks use."""

    frames_table: str
    alerts_table: str


S = TypeVar("S", bound=BaseSettings)
_loaded: dict[type[BaseSettings], BaseSettings] = {}


def _read(model: type[S]) -> S:
    try:
        return model()
    except ValidationError as exc:
        field, problem = first_problem(exc)
        raise UserError(f"setting {field.upper()}: {problem}") from exc


def settings_for(model: type[S]) -> S:
    """``model`` read from the environment once (a cold start); an invalid value names its variable."""
    loaded = _loaded.get(model)
    if loaded is None:
        loaded = _loaded[model] = _read(model)
    return cast(S, loaded)


def forget_settings() -> None:
    """Read the environment again on the next call (a new cold start, e.g. a new embedded stack)."""
    _loaded.clear()
    pipeline_settings.cache_clear()


@cache
def pipeline_settings() -> PipelineSettings:
    return _read(PipelineSettings)
