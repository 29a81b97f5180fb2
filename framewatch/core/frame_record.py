"""The versioned frame record that the capture client puts on Kinesis (DESIGN.md, event contracts)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from framewatch.core.validation import first_problem

RECORD_VERSION: Final = 1
CAMERA_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
FRAME_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
_CAMERA_ID = re.compile(CAMERA_ID_PATTERN)

CameraId = Annotated[str, Field(pattern=CAMERA_ID_PATTERN)]
FrameId = Annotated[str, Field(pattern=FRAME_ID_PATTERN)]


class FrameRecordError(ValueError):
    """A Kinesis record that is not a valid frame record; the message says why."""


class FrameRecord(BaseModel):
    """One sampled frame: inline JPEG bytes, or the S3 key of a claim-check object."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = RECORD_VERSION
    camera_id: CameraId
    frame_id: FrameId
    captured_at: datetime
    seq: int = Field(ge=0)
    width: int = Field(gt=0, le=16384)
    height: int = Field(gt=0, le=16384)
    image: str | None = None
    s3_key: str | None = None

    @model_validator(mode="after")
    def _one_image_source(self) -> FrameRecord:
        if (self.image is None) == (self.s3_key is None):
            raise ValueError("exactly one of image (base64 JPEG) or s3_key (claim-check) is required")
        if self.captured_at.tzinfo is None:
            raise ValueError("captured_at must carry a UTC offset (ISO-8601, e.g. ...Z)")
        return self

    def image_bytes(self) -> bytes:
        if self.image is None:
            raise FrameRecordError("record carries a claim-check key, not inline image bytes")
        try:
            return base64.b64decode(self.image, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise FrameRecordError(f"image is not valid base64: {exc}") from exc

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=False).encode()


def parse_frame_record(data: bytes) -> FrameRecord:
    """Parse the bytes of one Kinesis record, or raise FrameRecordError with a one-line reason."""
    try:
        payload = json.loads(data)
    except (ValueError, RecursionError) as exc:  # also too deeply nested, or an over-long number
        raise FrameRecordError(f"record is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise FrameRecordError("record is not a JSON object")
    version = payload.get("v")
    if version != RECORD_VERSION:
        raise FrameRecordError(f"unsupported record version {version!r} (this build reads v1)")
    try:
        return FrameRecord.model_validate(payload)
    except ValidationError as exc:
        where, problem = first_problem(exc, "record")
        raise FrameRecordError(f"invalid frame record: {where}: {problem}") from exc


def utc_iso(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a Z, the one timestamp format on the wire."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def frame_object_key(camera_id: str, frame_id: str, captured_at: datetime) -> str:
    """Where a frame's JPEG lives in S3: frames/<camera>/<yyyy>/<mm>/<dd>/<frame-id>.jpg."""
    if not _CAMERA_ID.match(camera_id):
        raise FrameRecordError(f"invalid camera id {camera_id!r}")
    day = captured_at.astimezone(UTC)
    return f"frames/{camera_id}/{day:%Y/%m/%d}/{frame_id}.jpg"


def claim_check_key(camera_id: str, frame_id: str) -> str:
    """Where the capture client parks a frame too large for one Kinesis record."""
    return f"claim-check/{camera_id}/{frame_id}.jpg"
