"""Which frames to look at: every Nth frame and/or at most F per second of capture time."""

from __future__ import annotations


class Sampler:
    """Per-camera sampling; ``accept`` is called once per frame read, in order."""

    def __init__(self, every: int = 1, fps: float | None = None) -> None:
        if every < 1:
            raise ValueError("every must be >= 1")
        self.every = every
        self.period = 1.0 / fps if fps else None
        self._next_due: float | None = None

    def accept(self, index: int, capture_time: float) -> bool:
        if index % self.every:
            return False
        if self.period is None:
            return True
        # Tolerance: a 30 fps source sampled at 10 fps must not lose frames to float rounding.
        if self._next_due is not None and capture_time < self._next_due - 1e-3:
            return False
        # Keep a fixed grid so the rate does not drift below target; re-anchor after a gap.
        due = self._next_due
        late = due is None or capture_time - due >= self.period
        self._next_due = (capture_time if late or due is None else due) + self.period
        return True
