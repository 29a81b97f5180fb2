"""Typed capture settings: one model for the CLI flags and the ``--config`` camera file alike."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from framewatch.core.frame_record import CameraId
from framewatch.core.validation import first_problem
from framewatch.errors import UserError

DEFAULT_STREAM = "framewatch-frames"
MIB = 1024 * 1024

Point = tuple[Annotated[float, Field(ge=0, le=1)], Annotated[float, Field(ge=0, le=1)]]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MotionSettings(_Model):
    """Motion gate: send a frame only when enough of it differs from the learned background."""

    enabled: bool = True
    threshold: float = Field(default=25.0, gt=0, description="MOG2 variance threshold (sigma^2)")
    min_area: float = Field(
        default=0.002, ge=0, le=1, description="fraction of the (unmasked) frame that must change"
    )
    keepalive_s: float = Field(
        default=10.0, gt=0, description="send a frame at least this often (capture time)"
    )
    ignore: list[Annotated[list[Point], Field(min_length=3)]] = Field(
        default_factory=list, description="polygons in normalised x,y whose motion is ignored"
    )
    analysis_width: int = Field(default=160, ge=16, le=1920)


class CameraSettings(_Model):
    """One camera: where frames come from and which of them are worth sending."""

    id: CameraId
    source: str = Field(min_length=1)
    every: int = Field(default=1, ge=1)
    fps: float | None = Field(default=None, gt=0)
    loop: bool = False
    as_fast_as_possible: bool = False
    max_frames: int | None = Field(default=None, ge=1, description="stop after reading this many")
    motion: MotionSettings = Field(default_factory=MotionSettings)


class EncodeSettings(_Model):
    quality: int = Field(default=80, ge=1, le=100)
    max_width: int | None = Field(default=1280, ge=16)


class ProducerSettings(_Model):
    """Where records go and how hard to try."""

    stream: str = Field(
        default_factory=lambda: os.environ.get("FRAMEWATCH_STREAM") or DEFAULT_STREAM,
        min_length=1,
        max_length=128,
    )
    bucket: str | None = Field(default_factory=lambda: os.environ.get("FRAMEWATCH_BUCKET") or None)
    max_record_bytes: int = Field(default=MIB, ge=1024, le=10 * MIB)
    queue_size: int = Field(default=256, ge=1)
    retry_deadline_s: float = Field(default=30.0, gt=0)
    retry_initial_s: float = Field(default=0.1, gt=0)
    retry_max_s: float = Field(default=5.0, gt=0)
    flush_timeout_s: float = Field(default=15.0, ge=0)


class ReconnectSettings(_Model):
    """Backoff for live sources that drop or stall."""

    initial_s: float = Field(default=0.5, gt=0)
    max_s: float = Field(default=30.0, gt=0)
    stall_timeout_s: float = Field(default=10.0, gt=0)


class CaptureOptions(_Model):
    """Everything one capture run needs (``run_capture`` takes this)."""

    cameras: list[CameraSettings] = Field(min_length=1)
    encode: EncodeSettings = Field(default_factory=EncodeSettings)
    producer: ProducerSettings = Field(default_factory=ProducerSettings)
    reconnect: ReconnectSettings = Field(default_factory=ReconnectSettings)
    dry_run: Path | None = None
    status: bool | None = Field(default=None, description="live status line; None = if a TTY")

    @field_validator("cameras")
    @classmethod
    def _unique_ids(cls, cameras: list[CameraSettings]) -> list[CameraSettings]:
        seen: set[str] = set()
        for camera in cameras:
            if camera.id in seen:
                raise ValueError(f"camera id {camera.id!r} appears twice")
            seen.add(camera.id)
        return cameras


def validate_options(data: dict[str, Any], origin: str = "options") -> CaptureOptions:
    """Build options or raise a one-line UserError naming the first bad field."""
    try:
        return CaptureOptions.model_validate(data)
    except ValidationError as exc:
        where, problem = first_problem(exc, "options")
        value = exc.errors()[0].get("input")
        shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
        raise UserError(f"invalid {origin}: {where}: {problem}{shown}") from exc


def load_config_file(path: Path) -> dict[str, Any]:
    """Read a ``cameras.yaml`` / ``.json`` file into plain data (validated by the caller)."""
    if not path.is_file():
        raise UserError(f"config file {path} not found; pass the path of a .yaml or .json file")
    import yaml  # only here: a JSON file parses as YAML too, but JSON errors read better

    text = path.read_text()
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        first = " ".join(str(exc).split())
        raise UserError(f"config file {path} cannot be parsed: {first}") from exc
    if not isinstance(data, dict):
        raise UserError(f"config file {path} must hold a mapping with a 'cameras' list")
    return data
