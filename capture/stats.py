"""Counters per camera, shared by the capture threads, the producer and the status line."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field

COUNTERS = (
    "frames_read",
    "frames_sampled",
    "frames_gated",
    "frames_sent",
    "frames_dropped",
    "frames_failed",
    "claim_checks",
    "reconnects",
)


@dataclass
class CameraCounts:
    frames_read: int = 0
    frames_sampled: int = 0
    frames_gated: int = 0
    frames_sent: int = 0
    frames_dropped: int = 0
    frames_failed: int = 0
    claim_checks: int = 0
    reconnects: int = 0


@dataclass
class CaptureSummary:
    """What a run did; ``to_json`` is the ``CAPTURE_SUMMARY`` line the demo parses."""

    cameras: dict[str, CameraCounts]
    last_errors: dict[str, str] = field(default_factory=dict)

    def total(self, counter: str) -> int:
        return sum(getattr(counts, counter) for counts in self.cameras.values())

    def as_dict(self) -> dict[str, object]:
        totals: dict[str, object] = {name: self.total(name) for name in COUNTERS}
        totals["cameras"] = {camera: asdict(counts) for camera, counts in self.cameras.items()}
        return totals

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=False, separators=(",", ":"))


class Stats:
    def __init__(self, camera_ids: list[str]) -> None:
        self._lock = threading.Lock()
        self._counts = {camera: CameraCounts() for camera in camera_ids}
        self._last_errors: dict[str, str] = {}

    def add(self, camera_id: str, counter: str, amount: int = 1) -> None:
        with self._lock:
            counts = self._counts[camera_id]
            setattr(counts, counter, getattr(counts, counter) + amount)

    def set(self, camera_id: str, counter: str, value: int) -> None:
        with self._lock:
            setattr(self._counts[camera_id], counter, value)

    def error(self, camera_id: str, message: str) -> None:
        with self._lock:
            self._last_errors[camera_id] = message

    def snapshot(self) -> CaptureSummary:
        with self._lock:
            return CaptureSummary(
                {camera: CameraCounts(**asdict(counts)) for camera, counts in self._counts.items()},
                dict(self._last_errors),
            )
