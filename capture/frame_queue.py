"""A bounded queue between the capture threads and the producer that drops the OLDEST frame
when full: a live view wants the newest frames, and memory must stay bounded when the sink stalls."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PendingFrame:
    """A sampled, encoded frame waiting to be sent; its id and seq are final."""

    camera_id: str
    frame_id: str
    seq: int
    captured_at: datetime
    width: int
    height: int
    jpeg: bytes


class FrameQueue:
    def __init__(self, maxsize: int, on_drop: Callable[[PendingFrame], None]) -> None:
        self.maxsize = maxsize
        self._items: deque[PendingFrame] = deque()
        self._on_drop = on_drop
        self._ready = threading.Condition()
        self.peak = 0

    def __len__(self) -> int:
        with self._ready:
            return len(self._items)

    def put(self, frame: PendingFrame) -> None:
        dropped: PendingFrame | None = None
        with self._ready:
            if len(self._items) >= self.maxsize:
                dropped = self._items.popleft()
            self._items.append(frame)
            self.peak = max(self.peak, len(self._items))
            self._ready.notify()
        if dropped is not None:
            self._on_drop(dropped)

    def take(self, max_items: int, max_bytes: int, wait: float) -> list[PendingFrame]:
        """Up to ``max_items`` frames whose JPEGs total at most ``max_bytes`` (at least one)."""
        with self._ready:
            if not self._items:
                self._ready.wait(wait)
            batch: list[PendingFrame] = []
            total = 0
            while self._items and len(batch) < max_items:
                size = len(self._items[0].jpeg)
                if batch and total + size > max_bytes:
                    break
                batch.append(self._items.popleft())
                total += size
            return batch

    def drain(self) -> list[PendingFrame]:
        with self._ready:
            items = list(self._items)
            self._items.clear()
            return items

    def wake(self) -> None:
        with self._ready:
            self._ready.notify_all()
