"""Capture client benchmark.

- capture_frames_per_s: read + JPEG-encode + PutRecords for a 640x480 synthetic clip (300
  frames, motion gate off, every frame) into moto's Kinesis in-process; the same run into a
  null sink is reported as capture_frames_per_s_null_sink (the client's own ceiling).
- gating_ratio_static / gating_ratio_bikes: fraction of sampled frames the motion gate holds
  back, for a still 640x480 scene with sensor noise (300 frames) and for bikes.mp4.
- capture_peak_rss_mb_stalled: peak RSS of a fresh process capturing 1500 frames into a sink that
  never answers (default queue of 256 frames); capture_rss_growth_mb_stalled is that minus the
  RSS the same process had just before capturing (after its imports).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from capture.config import MotionSettings
from capture.motion import MotionGate
from capture.session import run_capture, single_camera_options

FRAMES = 300


def synthetic_clip(path: Path, frames: int = FRAMES, size: tuple[int, int] = (640, 480)) -> Path:
    """A 25 fps MJPG .avi: a textured background with a box moving across it."""
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 25.0, (width, height))
    rng = np.random.default_rng(1)
    background = cv2.GaussianBlur(rng.integers(0, 255, (height, width, 3), np.uint8), (0, 0), 4)
    for index in range(frames):
        frame = background.copy()
        x = (index * 7) % (width - 80)
        cv2.rectangle(frame, (x, 200), (x + 80, 280), (0, 200, 255), -1)
        writer.write(frame)
    writer.release()
    return path


class NullSink:
    label = "null sink"

    def check(self) -> None:
        pass

    def put(self, records: list[Any]) -> list[Any]:
        from framewatch.aws.kinesis import EntryResult

        return [EntryResult() for _ in records]

    def store_claim_check(self, key: str, jpeg: bytes) -> None:
        pass


class StalledSink(NullSink):
    label = "stalled sink"

    def put(self, records: list[Any]) -> list[Any]:
        threading.Event().wait(3600)
        return []


def _options(source: Path, motion: bool = False, **extra: Any) -> Any:
    return single_camera_options(
        str(source), "bench", as_fast_as_possible=True, motion={"enabled": motion}, status=False, **extra
    )


def _frames_per_s(clip: Path, sink: Any = None) -> float:
    started = time.perf_counter()
    summary = run_capture(_options(clip), sink=sink)
    elapsed = time.perf_counter() - started
    return summary.total("frames_sent") / elapsed


def _into_moto_kinesis(clip: Path) -> float:
    from moto import mock_aws

    from framewatch.aws import clients

    saved = dict(os.environ)
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        FRAMEWATCH_STREAM="bench-frames",
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KINESIS", "AWS_PROFILE"):
        os.environ.pop(name, None)
    clients.reset()
    try:
        with mock_aws():
            clients.client("kinesis").create_stream(StreamName="bench-frames", ShardCount=1)
            return _frames_per_s(clip)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        clients.reset()


def _gating_ratio_static() -> float:
    gate = MotionGate(MotionSettings())
    scene = np.full((480, 640, 3), 90, np.uint8)
    cv2.rectangle(scene, (100, 100), (300, 300), (200, 180, 50), -1)
    noise = np.empty(scene.shape, np.int16)
    cv2.setRNGSeed(5)
    gated = 0
    for index in range(FRAMES):
        cv2.randn(noise, (0, 0, 0), (10, 10, 10))  # type: ignore[call-overload]  # stubs lack int16 dst
        gated += not gate.should_send(cv2.add(scene, noise, dtype=cv2.CV_8U), index / 25)
    return gated / FRAMES


def _gating_ratio_bikes() -> float:
    from framewatch.media import clip_path

    summary = run_capture(_options(clip_path("bikes.mp4"), motion=True), sink=NullSink())
    return summary.total("frames_gated") / summary.total("frames_sampled")


def _current_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _stalled_child(clip: str) -> None:
    """Runs in a fresh process so that its peak RSS is the capture's alone."""
    before = _current_rss_kib()
    options = _options(
        Path(clip), loop=True, max_frames=1500, producer={"flush_timeout_s": 0.5, "retry_deadline_s": 1}
    )
    summary = run_capture(options, sink=StalledSink())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {"before_mb": before / 1024, "peak_mb": peak / 1024, "dropped": summary.total("frames_dropped")}
        )
    )


def _stalled_rss(clip: Path) -> dict[str, float]:
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-m", "bench.capture", "--stalled-child", str(clip)],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        timeout=300,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        clip = synthetic_clip(Path(tmp) / "vga.avi")
        stalled = _stalled_rss(clip)
        return {
            "capture_frames_per_s": _into_moto_kinesis(clip),
            "capture_frames_per_s_null_sink": _frames_per_s(clip, NullSink()),
            "gating_ratio_static": _gating_ratio_static(),
            "gating_ratio_bikes": _gating_ratio_bikes(),
            "capture_peak_rss_mb_stalled": stalled["peak_mb"],
            "capture_rss_growth_mb_stalled": stalled["peak_mb"] - stalled["before_mb"],
        }


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--stalled-child":
        _stalled_child(sys.argv[2])
    else:
        for name, value in run().items():
            print(f"{name}: {value:.3f}")
