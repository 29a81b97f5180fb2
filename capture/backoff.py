"""Exponential backoff with jitter, and a sleep that a stop event cuts short."""

from __future__ import annotations

import random
import threading


class Backoff:
    """Delays that double from ``initial`` up to ``maximum``; "equal jitter" spreads retries of
    many clients apart while keeping at least half of each delay."""

    def __init__(
        self, initial: float, maximum: float, factor: float = 2.0, rng: random.Random | None = None
    ) -> None:
        self.initial = initial
        self.maximum = max(maximum, initial)
        self.factor = factor
        self._rng = rng or random.Random()
        self._next = initial

    def next_delay(self) -> float:
        base = self._next
        self._next = min(self._next * self.factor, self.maximum)
        return base / 2 + self._rng.uniform(0, base / 2)

    def reset(self) -> None:
        self._next = self.initial


def sleep_unless_stopped(stop: threading.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``; True if ``stop`` was set (the caller should give up)."""
    return stop.wait(max(0.0, seconds))
