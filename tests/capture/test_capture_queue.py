"""The queue between capture and producer stays bounded and drops the oldest frames, counted."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from capture import session
from capture.frame_queue import FrameQueue, PendingFrame
from capture.session import run_capture, single_camera_options


def _frame(seq: int) -> PendingFrame:
    return PendingFrame("cam", f"cam-{seq}", seq, datetime.now(UTC), 1, 1, b"x" * 10)


def test_a_full_queue_drops_the_oldest_frames() -> None:
    dropped: list[int] = []
    queue = FrameQueue(3, lambda frame: dropped.append(frame.seq))
    for seq in range(7):
        queue.put(_frame(seq))
    assert dropped == [0, 1, 2, 3]
    assert [f.seq for f in queue.take(10, 10**6, wait=0)] == [4, 5, 6]
    assert queue.peak == 3


def test_take_respects_the_byte_budget_but_always_takes_one() -> None:
    queue = FrameQueue(10, lambda frame: None)
    for seq in range(4):
        queue.put(_frame(seq))
    assert len(queue.take(10, 25, wait=0)) == 2
    assert len(queue.take(10, 1, wait=0)) == 1


class StalledSink:
    """A sink whose first put never returns until released (a hung network call)."""

    label = "stalled sink"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def check(self) -> None:
        pass

    def put(self, records: list[Any]) -> list[Any]:
        self.calls += 1
        self.release.wait(30)
        raise RuntimeError("released")

    def store_claim_check(self, key: str, jpeg: bytes) -> None:
        pass


def test_with_a_stalled_sink_the_queue_stays_bounded_and_counts_every_frame(
    bikes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = StalledSink()
    options = single_camera_options(
        str(bikes),
        "bikes",
        as_fast_as_possible=True,
        loop=True,
        max_frames=600,
        motion={"enabled": False},
        status=False,
        producer={"queue_size": 20, "flush_timeout_s": 0.3, "retry_deadline_s": 1},
    )
    queues: list[FrameQueue] = []

    class RecordedQueue(FrameQueue):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            queues.append(self)

    monkeypatch.setattr(session, "FrameQueue", RecordedQueue)
    try:
        summary = run_capture(options, sink=sink)
    finally:
        sink.release.set()
    assert queues[0].peak <= 20
    assert summary.total("frames_read") == 600 == summary.total("frames_sampled")
    assert summary.total("frames_sent") == 0
    dropped, failed = summary.total("frames_dropped"), summary.total("frames_failed")
    assert dropped >= 600 - 20 - 500  # at most one batch in flight plus a full queue
    # Nothing vanishes: every sampled frame is sent, dropped or failed.
    assert dropped + failed == 600
