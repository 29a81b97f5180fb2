"""Frame references: what travels through the workflow instead of image bytes (256 KB cap)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict

from framewatch.core.frame_record import FrameRecord, utc_iso

SECONDS_PER_DAY = 86_400


class FrameRef(BaseModel):
    """One stored frame, as the AnalyzeFrames Map iterates over it (see docs/data-model.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    camera_id: str
    frame_id: str
    captured_at: str
    seq: int
    width: int
    height: int
    bucket: str
    s3_key: str
    source: str
    # Derived once here so the ASL can write them with plain JSONPath.
    frame_key: str
    day: str
    expires_at: int


def make_frame_ref(
    *,
    camera_id: str,
    frame_id: str,
    captured_at: datetime,
    seq: int,
    width: int,
    height: int,
    bucket: str,
    s3_key: str,
    source: str,
    retention_days: int,
) -> FrameRef:
    stamp = utc_iso(captured_at)
    expires = captured_at.astimezone(UTC) + timedelta(days=retention_days)
    return FrameRef(
        camera_id=camera_id,
        frame_id=frame_id,
        captured_at=stamp,
        seq=seq,
        width=width,
        height=height,
        bucket=bucket,
        s3_key=s3_key,
        source=source,
        frame_key=f"{stamp}#{frame_id}",
        day=stamp[:10],
        expires_at=int(expires.timestamp()),
    )


def ref_for_record(record: FrameRecord, *, bucket: str, s3_key: str, retention_days: int) -> FrameRef:
    return make_frame_ref(
        camera_id=record.camera_id,
        frame_id=record.frame_id,
        captured_at=record.captured_at,
        seq=record.seq,
        width=record.width,
        height=record.height,
        bucket=bucket,
        s3_key=s3_key,
        source="kinesis",
        retention_days=retention_days,
    )


def parse_captured_at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
