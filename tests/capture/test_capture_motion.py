"""Motion gate: a still scene is gated, real movement always gets through, keep-alives flow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from capture.config import MotionSettings
from capture.motion import MotionGate
from capture.session import run_capture, single_camera_options


def _still_scene() -> np.ndarray:
    image = np.full((480, 640, 3), 90, np.uint8)
    cv2.rectangle(image, (100, 100), (300, 300), (200, 180, 50), -1)
    cv2.circle(image, (450, 300), 80, (30, 60, 220), -1)
    return image


def _noisy(image: np.ndarray, rng: np.random.Generator, sigma: float = 10) -> np.ndarray:
    """Gaussian sensor noise (cv2.randn: numpy's normal is too slow for 300 VGA frames)."""
    cv2.setRNGSeed(int(rng.integers(1 << 30)))
    noise = np.empty(image.shape, np.int16)
    cv2.randn(noise, (0, 0, 0), (sigma, sigma, sigma))  # per channel
    return cv2.add(image, noise, dtype=cv2.CV_8U)


def test_a_still_scene_with_sensor_noise_is_at_least_90_percent_gated() -> None:
    rng = np.random.default_rng(7)
    gate = MotionGate(MotionSettings())
    scene = _still_scene()
    sent = [gate.should_send(_noisy(scene, rng), index / 25) for index in range(300)]
    assert sent[0], "the first frame is always sent"
    assert sum(sent) / len(sent) <= 0.10
    # 12 s at 25 fps: the first frame and one keep-alive at 10 s.
    assert [i for i, s in enumerate(sent) if s] == [0, 250]


def test_motion_is_sent_and_ignored_regions_are_not() -> None:
    rng = np.random.default_rng(3)
    watch_all = MotionGate(MotionSettings())
    ignore_left = MotionGate(MotionSettings(ignore=[[(0, 0), (0.5, 0), (0.5, 1), (0, 1)]]))
    scene = _still_scene()
    for index in range(30):
        frame = _noisy(scene, rng)
        watch_all.should_send(frame, index / 25)
        ignore_left.should_send(frame, index / 25)
    moving = _noisy(scene, rng)
    cv2.rectangle(moving, (20, 350), (120, 460), (255, 255, 255), -1)  # left half only
    assert watch_all.should_send(moving, 31 / 25)
    assert not ignore_left.should_send(moving, 31 / 25)


def test_bikes_sends_at_least_one_frame_in_every_two_second_window(bikes: Path, sink: Any) -> None:
    options = single_camera_options(str(bikes), "bikes", as_fast_as_possible=True, status=False)
    summary = run_capture(options, sink=sink)
    assert summary.total("frames_read") == 250
    start = min(r.record.captured_at for r in sink.records)
    offsets = [(r.record.captured_at - start).total_seconds() for r in sink.records]
    windows = [sum(1 for t in offsets if w * 2 <= t < w * 2 + 2) for w in range(5)]
    assert all(count >= 1 for count in windows), windows
    sampled, gated = summary.total("frames_sampled"), summary.total("frames_gated")
    assert summary.total("frames_sent") == sampled - gated


def test_keepalive_follows_capture_time_not_frame_count() -> None:
    gate = MotionGate(MotionSettings(keepalive_s=2))
    scene = _still_scene()
    sent = [t for t in np.arange(0, 7, 0.5) if gate.should_send(scene, float(t))]
    assert sent == [0.0, 2.0, 4.0, 6.0]
