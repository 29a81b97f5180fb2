"""Vision service latency: each operation through boto3 against the service vs bare inference.

``python -m bench.vision`` prints milliseconds per 640x480 frame (median of N calls). The service
runs as ``framewatch vision serve`` in its own process, as in use; bare numbers run the same
models in this process on the same decoded image / preprocessed tensor.
"""

from __future__ import annotations

import itertools
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

REPEAT = 30
WARMUP = 3
SIZE = (640, 480)


def _median_ms(action: Callable[[], object], repeat: int = REPEAT) -> float:
    for _ in range(WARMUP):
        action()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _paired_ms(actions: dict[str, Callable[[], object]], repeat: int = REPEAT) -> dict[str, float]:
    """Median ms of each action, run in turns so that a busy machine slows them all alike."""
    for action in actions.values():
        for _ in range(WARMUP):
            action()
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            start = time.perf_counter()
            action()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def _frame(clip: str, index: int) -> Any:
    import cv2

    from framewatch.media import clip_path

    capture = cv2.VideoCapture(str(clip_path(clip)))
    capture.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, pixels = capture.read()
    capture.release()
    if not ok:
        raise RuntimeError(f"{clip} has no frame {index}")
    return cv2.resize(pixels, SIZE, interpolation=cv2.INTER_CUBIC)


def _jpeg(pixels: Any) -> bytes:
    import cv2

    return cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


def _variants(pixels: Any, count: int) -> list[bytes]:
    """``count`` JPEGs of one image that differ in one corner pixel: the same work, other bytes."""
    out = []
    for n in range(count):
        changed = pixels.copy()
        changed[0, 0] = (n * 4 % 256, n * 8 % 256, 255 - n * 4 % 256)
        out.append(_jpeg(changed))
    assert len(set(out)) == count
    return out


def _start_service(data_dir: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "framewatch.cli", "vision", "serve", "--port", "0",
         "--data-dir", data_dir],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("listening on "):
        process.kill()
        raise RuntimeError(f"vision service did not start: {line!r}")
    return process, line.removeprefix("listening on ")


def run() -> dict[str, float]:
    import boto3
    import cv2
    import numpy as np
    from botocore.config import Config

    from framewatch.vision.detectors import load_detector
    from framewatch.vision.faces import FaceEngine

    street = _jpeg(_frame("bikes.mp4", 190))
    face = _jpeg(_frame("carphone_pristine.mp4", 0))
    results: dict[str, float] = {}

    # Bare: the same models in this process, on the same decoded image / tensor.
    def decode(data: bytes) -> Any:
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)

    detector = load_detector()
    pixels = decode(street)
    tensor, _ = detector.preprocess(pixels)
    faces = FaceEngine()
    face_pixels = decode(face)
    largest = faces.detect(face_pixels)[0]

    with tempfile.TemporaryDirectory() as data_dir:
        process, url = _start_service(data_dir)
        try:
            client = boto3.client(
                "rekognition", endpoint_url=url, region_name="us-east-1",
                aws_access_key_id="x", aws_secret_access_key="x",
                config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
            )  # fmt: skip
            client.create_collection(CollectionId="bench")
            for _ in range(20):  # a small enrolled population to search
                client.index_faces(CollectionId="bench", Image={"Bytes": face})
            results.update(_paired_ms({
                "jpeg_decode_ms": lambda: decode(street),
                "detect_labels_preprocess_ms": lambda: detector.preprocess(pixels),
                "detect_labels_bare_ms": lambda: detector.infer(tensor),
                "detect_labels_ms": lambda: client.detect_labels(Image={"Bytes": street}),
            }))  # fmt: skip
            # The service keeps the face detections of the last images it saw (by their bytes): each
            # call here sends bytes it has not seen, as a new frame would be.
            variants = itertools.cycle(_variants(face_pixels, 64))
            results.update(_paired_ms({
                "detect_faces_bare_ms": lambda: faces.detect(face_pixels),
                "embed_face_bare_ms": lambda: faces.embed(face_pixels, largest),
                "detect_faces_ms": lambda: client.detect_faces(Image={"Bytes": next(variants)}),
                "search_faces_by_image_ms": lambda: client.search_faces_by_image(
                    CollectionId="bench", Image={"Bytes": next(variants)}
                ),
            }))  # fmt: skip
            results["list_collections_ms"] = _median_ms(client.list_collections)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)

    labels_floor = results["detect_labels_bare_ms"] + results["jpeg_decode_ms"]
    results["detect_labels_overhead_ratio"] = results["detect_labels_ms"] / labels_floor
    faces_floor = results["detect_faces_bare_ms"] + results["jpeg_decode_ms"]
    results["detect_faces_overhead_ratio"] = results["detect_faces_ms"] / faces_floor
    search_floor = faces_floor + results["embed_face_bare_ms"]
    results["search_faces_overhead_ratio"] = results["search_faces_by_image_ms"] / search_floor
    return results


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:32s} {value:8.2f}")
