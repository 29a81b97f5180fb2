"""Typed settings for the pipeline's functions, read from the environment the template sets."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from framewatch.core.validation import first_problem
from framewatch.errors import UserError


class PipelineSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    media_bucket: str
    frames_table: str
    people_table: str
    alerts_table: str
    alert_slots_table: str
    incidents_table: str
    tracks_table: str
    dead_letter_queue_url: str
    collection_id: str = "framewatch-faces"
    suppression_window_seconds: int = Field(default=300, ge=10, le=86_400)
    frame_retention_days: int = Field(default=7, ge=1, le=3650)
    alert_timezone: str = "UTC"
    watchlist_key: str = "config/watchlist.yaml"
    ui_base_url: str | None = None
    face_match_threshold: float = Field(default=80.0, ge=0, le=100)
    min_label_confidence: float = Field(default=50.0, ge=0, le=100)
    max_labels: int = Field(default=25, ge=1, le=1000)
    max_image_bytes: int = Field(default=5 * 1024 * 1024, ge=1)

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


@cache
def pipeline_settings() -> PipelineSettings:
    try:
        return PipelineSettings()  # type: ignore[call-arg]
    except ValidationError as exc:
        field, problem = first_problem(exc)
        raise UserError(f"setting {field.upper()}: {problem}") from exc
