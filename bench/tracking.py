"""The tracking stage's own CPU per frame: the camera's state read from JSON, a batch of 10 frames
applied (matching, Kalman, incidents), the state written back to JSON — what the Track function does
between its DynamoDB calls. Scene: five cars parked and two people walking across, a frame a second."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from framewatch.core.frame_record import utc_iso
from framewatch.core.geometry import Box
from framewatch.core.incidents import AlertContext, CameraIncidents, CameraState
from framewatch.core.tracking import FrameInfo
from framewatch.core.watchlist import Observation, load_watchlist

FRAMES = 600
BATCH = 10
WATCHLIST = "rules:\n  - {name: person, labels: [Person]}\n  - {name: vehicle, labels: [Vehicle]}\n"


def _scene(i: int) -> list[Observation]:
    cars = [
        Observation(kind="object", label="Car", family="Vehicle", confidence=70.0, rules=["vehicle"],
                    box=Box(left=0.05 + 0.18 * k, top=0.6, width=0.15, height=0.12))
        for k in range(5)
    ]  # fmt: skip
    people = [
        Observation(kind="object", label="Person", family="Person", confidence=80.0, rules=["person"],
                    box=Box(left=(0.01 * i + 0.4 * k) % 0.9, top=0.3, width=0.08, height=0.25))
        for k in range(2)
    ]  # fmt: skip
    return cars + people


def run() -> dict[str, Any]:
    watchlist = load_watchlist(WATCHLIST)
    context = AlertContext(timezone=ZoneInfo("UTC"), ui_base_url="http://localhost", retention_days=7)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    stored = CameraState().model_dump_json()
    started = time.perf_counter()
    for start in range(0, FRAMES, BATCH):
        camera = CameraIncidents(CameraState.model_validate_json(stored), watchlist, context)
        for i in range(start, start + BATCH):
            at = t0 + timedelta(seconds=i)
            stamp = utc_iso(at)
            frame = FrameInfo(
                camera_id="bench", frame_id=f"f{i}", frame_key=f"{stamp}#f{i}", captured_at=stamp,
                time=at.timestamp(), bucket="b", s3_key=f"k{i}",
            )  # fmt: skip
            camera.apply(frame, _scene(i))
        stored = camera.state.model_dump_json()
    elapsed = time.perf_counter() - started
    return {
        "tracking_ms_per_frame": round(elapsed * 1000 / FRAMES, 2),
        "tracking_state_kb": round(len(stored) / 1024, 1),
    }
