"""Turning watch-list hits into alerts: dedupe keys, deterministic ids, and the text people read."""

from __future__ import annotations

import hashlib
from datetime import datetime, tzinfo

from pydantic import BaseModel, ConfigDict

from framewatch.core.frame_ref import FrameRef, parse_captured_at
from framewatch.core.watchlist import Hit

SNS_SUBJECT_LIMIT = 100


class Match(BaseModel):
    """One alert to raise (or suppress), as the workflow's "Raise each alert" Map consumes it."""

    model_config = ConfigDict(frozen=True)

    rule: str
    kind: str
    subject: str
    dedupe_key: str
    alert_id: str
    alert_key: str
    captured_epoch: int
    slot_expires_at: int
    confidence: float
    subject_line: str
    message: str


def dedupe_key(camera_id: str, rule: str, subject: str) -> str:
    """One incident = one camera, one rule, one subject, for the length of the window."""
    return f"{camera_id}#{rule}#{subject}"


def alert_id(frame_id: str, key: str) -> str:
    """Same frame and same key → same id, so a replayed frame rewrites rather than duplicates."""
    return hashlib.sha256(f"{frame_id}|{key}".encode()).hexdigest()[:20]


def build_match(hit: Hit, frame: FrameRef, *, window_seconds: int, tz: tzinfo, frame_link: str) -> Match:
    captured = parse_captured_at(frame.captured_at)
    captured_epoch = int(captured.timestamp())
    key = dedupe_key(frame.camera_id, hit.rule, hit.subject)
    ident = alert_id(frame.frame_id, key)
    local = captured.astimezone(tz)
    return Match(
        rule=hit.rule,
        kind=hit.kind,
        subject=hit.subject,
        dedupe_key=key,
        alert_id=ident,
        alert_key=f"{frame.captured_at}#{ident}",
        captured_epoch=captured_epoch,
        slot_expires_at=captured_epoch + window_seconds,
        confidence=round(hit.confidence, 1),
        subject_line=subject_line(frame.camera_id, hit),
        message=message(frame, hit, local, frame_link),
    )


def subject_line(camera_id: str, hit: Hit) -> str:
    # SNS subjects are ASCII-only and at most 100 characters.
    text = f"[{camera_id}] {hit.subject_name} seen"
    ascii_text = text.encode("ascii", "replace").decode()
    return ascii_text[:SNS_SUBJECT_LIMIT]


def message(frame: FrameRef, hit: Hit, local: datetime, frame_link: str) -> str:
    when = local.strftime("%a %d %b %Y %H:%M:%S %Z")
    return (
        f"{hit.subject_name} seen on camera {frame.camera_id} at {when} "
        f"({hit.confidence:.0f}% confidence, rule {hit.rule}).\n"
        f"Frame: {frame_link}"
    )


def frame_link(frame: FrameRef, ui_base_url: str | None) -> str:
    if ui_base_url:
        return f"{ui_base_url.rstrip('/')}/#frame/{frame.frame_id}"
    return f"s3://{frame.bucket}/{frame.s3_key}"
