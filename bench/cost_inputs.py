"""`python -m bench cost-inputs`: measure what a frame costs per detector backend, for `framewatch cost`.

Runs the real demo (capture client → embedded stack → workflow) once per backend on two scenes, at
1 sampled frame per second as the cost table assumes, and writes each run's ``cost_inputs`` to
``framewatch/ops/cost_measurements/<detector>[-static].json``, the defaults `framewatch cost` reads:
- busy: bikes.mp4 (10 s of a street) played 6 times, every 25th frame (1 fps for 60 s); every loop
  brings its cyclists and cars again, as a busy street brings new ones;
- static: the clip's last frame held for 60 s with sensor noise (nothing moves; the motion gate
  holds most frames, the keepalive sends one every 10 s).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from framewatch.media import clip_path
from framewatch.ops.measured import DEFAULTS, DETECTORS

SECONDS = 60
LOOPS = 6


def _frames(path: Path) -> tuple[list[np.ndarray], float]:
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames, fps


def _write(path: Path, frames: list[np.ndarray], fps: float) -> Path:
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def scenes(folder: Path) -> dict[str, tuple[Path, int]]:
    """scene → (clip, every Nth frame for 1 fps)."""
    frames, fps = _frames(clip_path("bikes.mp4"))
    every = round(fps)
    rng = np.random.default_rng(7)
    still = frames[-1].astype(np.float32)
    noisy = [
        np.clip(still + rng.normal(0, 2.0, still.shape), 0, 255).astype(np.uint8)
        for _ in range(int(fps * SECONDS))
    ]
    return {
        "busy": (_write(folder / "bikes-x6.mp4", frames * LOOPS, fps), every),
        "static": (_write(folder / "still-street.mp4", noisy, fps), every),
    }


def measure(clip: Path, every: int, detector: str, scene: str) -> dict[str, Any]:
    command = [
        str(Path(sys.executable).with_name("framewatch")), "demo", "--exit", "--clip", str(clip),
        "--every", str(every), "--detector", detector,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    summary = [line for line in result.stdout.splitlines() if line.startswith("SUMMARY ")]
    if result.returncode != 0 or not summary:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise SystemExit(f"demo --detector {detector} on {clip.name} failed: {' | '.join(tail)}")
    inputs = dict(json.loads(summary[-1].removeprefix("SUMMARY "))["cost_inputs"])
    what = "bikes.mp4 x6" if scene == "busy" else "bikes.mp4's last frame held with noise"
    inputs["source"] = f"{what}, {SECONDS} s at 1 fps (`python -m bench cost-inputs`)"
    return inputs


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench cost-inputs", description=__doc__)
    parser.add_argument("--detector", action="append", choices=DETECTORS, help="default: all three")
    parser.add_argument("--out", type=Path, default=DEFAULTS, help=f"default {DEFAULTS}")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        for scene, (clip, every) in scenes(Path(folder)).items():
            for detector in args.detector or DETECTORS:
                inputs = measure(clip, every, detector, scene)
                name = detector if scene == "busy" else f"{detector}-static"
                (args.out / f"{name}.json").write_text(json.dumps(inputs, indent=2, sort_keys=True) + "\n")
                calls = ", ".join(f"{k} {v}" for k, v in inputs["calls"].items())
                analysed = f"{inputs['frames_analyzed']}/{inputs['frames_sampled']}"
                print(
                    f"{scene:6} {detector:11} analysed {analysed}, incidents {inputs['incidents']}, "
                    f"alerts {inputs['alerts_sent']}; Rekognition: {calls}"
                )
    return 0
