"""Issue 7, load: several cameras at 5 fps through the real capture client into the embedded stack.

The issue's figure is 10 cameras x 5 fps x 60 s (3,000 frames). The embedded stack analyses a few
frames per second on 2 cores, so ``make test`` runs 10 cameras x 5 fps x 4 s of capture time and the
full size is one command away:

    FRAMEWATCH_LOAD_CAMERAS=10 FRAMEWATCH_LOAD_SECONDS=60 \\
        .venv/bin/python -m pytest tests/faults/test_load.py -s

Frames come from the real producer (``capture.session.run_capture``): one paced, looping video-file
source per camera sampled at 5 fps, motion gate off so every sampled frame is sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from capture.config import validate_options
from capture.session import run_capture
from framewatch.embedded.stack import EmbeddedStack
from framewatch.media import clip_jpegs, clip_path

from ..support.frames import frame_record as record
from ..support.frames import put_frames as put
from ..support.frames import records_done, wait_for
from .conftest import (
    Observed,
    env_int,
    frame_items,
    report,
    rss_kib,
    start_stack,
    start_time,
)

CAMERAS = env_int("FRAMEWATCH_LOAD_CAMERAS", 10)
SECONDS = env_int("FRAMEWATCH_LOAD_SECONDS", 4)
FPS = 5
EXPECTED = CAMERAS * FPS * SECONDS
# Draining takes about a second per 2-3 frames here; leave room for a slow machine.
DRAIN_TIMEOUT = 120 + EXPECTED
# The emulator keeps every object, item and execution history in this process, so this process grows
# with the frames it has seen; what must not grow is anything per frame in flight. Generous bounds:
PROCESS_BASE_MIB, PROCESS_PER_FRAME_KIB = 1024, 512
VISION_GROWTH_MIB, VISION_PEAK_MIB = 100, 1536  # the vision service keeps nothing per frame


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    with start_stack(tmp_path_factory.mktemp("load")) as running:
        yield running


class RssSampler(threading.Thread):
    def __init__(self, vision_pid: int, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.vision_pid, self.every = vision_pid, every
        self.samples: list[tuple[float, int, int]] = []  # (seconds, this process KiB, vision KiB)
        self.done = threading.Event()
        self.started_at = time.monotonic()

    def run(self) -> None:
        while not self.done.is_set():
            elapsed = time.monotonic() - self.started_at
            self.samples.append((elapsed, rss_kib()[0], rss_kib(self.vision_pid)[0]))
            self.done.wait(self.every)


@pytest.mark.timeout(DRAIN_TIMEOUT + SECONDS + 300)
def test_cameras_at_5_fps_lose_no_frame_and_memory_stays_bounded(stack: EmbeddedStack) -> None:
    assert stack._vision is not None
    observed = Observed(stack)
    cameras = [f"load-{n:02d}" for n in range(CAMERAS)]
    options = validate_options(
        {
            "cameras": [
                {
                    "id": camera,
                    "source": str(clip_path("bikes.mp4")),
                    "fps": FPS,
                    "loop": True,
                    "motion": {"enabled": False},
                }
                for camera in cameras
            ],
            "producer": {"stream": stack.stream_name, "bucket": stack.media_bucket},
            "status": False,
        }
    )
    # Warm-up, not counted: the vision service loads its models on first use (~600 MiB) and sizes its
    # inference arenas at the workflow's concurrency (Map MaxConcurrency 4 x 2 branches).
    warm_up = [
        record("load-warm-up", jpeg, seq=n, at=start_time() + timedelta(seconds=n))
        for n, jpeg in enumerate(clip_jpegs("bikes.mp4", list(range(0, 200, 25))).values())
    ]
    put(stack, warm_up, "load-warm-up")
    sampler = RssSampler(stack._vision.pid)
    sampler.start()
    records_before = records_done(stack)
    stop = threading.Event()
    timer = threading.Timer(SECONDS, stop.set)
    started = time.monotonic()
    timer.start()
    summary = run_capture(options, stop)
    captured = time.monotonic()
    frames_in = summary.total("frames_sent")
    wait_for(lambda: records_done(stack) >= records_before + frames_in, DRAIN_TIMEOUT, "the pipe to drain")
    drained = time.monotonic()
    sampler.done.set()
    sampler.join()

    enriched = sum(1 for item in frame_items(stack) if item["camera_id"]["S"] in cameras)
    dead = sum(len(observed.dead_letters(camera)) for camera in cameras)
    vision_hwm = rss_kib(stack._vision.pid)[1]
    own_hwm = rss_kib()[1]
    first, last = sampler.samples[0], sampler.samples[-1]
    middle = last[0] / 2
    first_half = max(s[2] for s in sampler.samples if s[0] <= middle)
    second_half = max(s[2] for s in sampler.samples if s[0] > middle)
    counts = {
        "cameras": CAMERAS,
        "fps": FPS,
        "capture_seconds": SECONDS,
        "frames_in": frames_in,
        "enriched": enriched,
        "in_dlq": dead,
        "dropped_by_producer": summary.total("frames_dropped"),
        "failed_to_send": summary.total("frames_failed"),
        "capture_wall_s": round(captured - started, 1),
        "drain_wall_s": round(drained - started, 1),
        "frames_per_s": round(enriched / (drained - started), 2),
        "test_process_rss_mib": {
            "start": first[1] // 1024,
            "end": last[1] // 1024,
            "peak_sampled": max(s[1] for s in sampler.samples) // 1024,
            "peak_hwm": own_hwm // 1024,
        },
        "vision_rss_mib": {
            "start": first[2] // 1024,
            "end": last[2] // 1024,
            "peak_sampled": max(s[2] for s in sampler.samples) // 1024,
            "peak_hwm": vision_hwm // 1024,
            "max_first_half": first_half // 1024,
            "max_second_half": second_half // 1024,
        },
        "samples": len(sampler.samples),
    }

    report("load", counts)

    # The producer really produced the load (a little slack for start-up of the paced sources).
    assert frames_in >= 0.8 * EXPECTED, counts
    assert summary.total("frames_dropped") == 0 and summary.total("frames_failed") == 0, counts
    assert frames_in == enriched + dead, counts  # no frame lost
    assert dead == 0, counts  # and nothing in this load is poison
    assert (
        max(s[1] for s in sampler.samples)
        < (PROCESS_BASE_MIB + frames_in * PROCESS_PER_FRAME_KIB / 1024) * 1024
    ), counts
    # Bounded, not leaking: the vision service holds model buffers for at most its model slots (one
    # per core) and then stays flat; its second half must not outgrow its first half.
    assert second_half - first_half < VISION_GROWTH_MIB * 1024, counts
    assert vision_hwm < VISION_PEAK_MIB * 1024, counts
