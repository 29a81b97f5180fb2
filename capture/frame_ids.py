"""Frame ids and sequence numbers, one generator per camera.

``seq`` starts at the run's start time in microseconds since the epoch and adds one per frame
queued for sending, so it grows monotonically within a run and a restart never reuses a number
(unless the previous run queued more than one frame per microsecond on average).
The id ``<camera>-<yyyymmddThhmmss.mmm>-<seq>`` sorts by capture time and is fixed before the
first send attempt, so retries carry the same id (consumers dedupe on it).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


def frame_id(camera_id: str, captured_at: datetime, seq: int) -> str:
    moment = captured_at.astimezone(UTC)
    return f"{camera_id}-{moment:%Y%m%dT%H%M%S}.{moment.microsecond // 1000:03d}-{seq}"


class FrameIds:
    def __init__(self, camera_id: str, base: int | None = None) -> None:
        self.camera_id = camera_id
        self._next = time.time_ns() // 1000 if base is None else base
        self._lock = threading.Lock()

    def next(self, captured_at: datetime) -> tuple[str, int]:
        with self._lock:
            seq = self._next
            self._next += 1
        return frame_id(self.camera_id, captured_at, seq), seq
