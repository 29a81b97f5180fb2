"""``--labels-model``: an Ultralytics-style YOLO ONNX, built here as a graph that emits fixed
detections, so the decode path (letterbox undo, NMS, names metadata) is checked exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from framewatch.vision.server import ServerHandle, serve_in_thread

from .helpers import jpeg, rekognition_client

WIDTH, HEIGHT = 1280, 720  # letterboxed into 640x640: scale 0.5, 140 px of padding on top
NAMES = "{0: 'person', 1: 'bicycle', 2: 'forklift'}"


def to_input(x1: float, y1: float, x2: float, y2: float) -> list[float]:
    """An image-pixel box as the model's cx, cy, w, h in letterboxed input pixels."""
    s, dy = 0.5, 140
    return [(x1 + x2) / 2 * s, (y1 + y2) / 2 * s + dy, (x2 - x1) * s, (y2 - y1) * s]


def fixed_yolo(path: Path) -> Path:
    rows = [  # box in image pixels, then one score per class
        (to_input(100, 200, 300, 600), [0.90, 0.0, 0.0]),  # person
        (to_input(104, 204, 304, 604), [0.80, 0.0, 0.0]),  # same person again: NMS drops it
        (to_input(600, 400, 1000, 700), [0.05, 0.70, 0.0]),  # bicycle
        (to_input(0, 0, 640, 360), [0.0, 0.0, 0.50]),  # forklift, a name only the metadata has
        (to_input(900, 100, 1000, 200), [0.10, 0.0, 0.0]),  # below Ultralytics' 0.25
    ]
    table = np.array([box + scores for box, scores in rows], np.float32).T[None]  # (1, 7, 5)
    images = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 640, 640])
    output = helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(table.shape))
    nodes = [  # output = table + 0 * mean(images), so the input is really consumed
        helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
        helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
        helper.make_node("Add", ["table", "nothing"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "fixed_yolo",
        [images],
        [output],
        initializer=[
            numpy_helper.from_array(table, "table"),
            numpy_helper.from_array(np.zeros((), np.float32), "zero"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    helper.set_model_props(model, {"names": NAMES, "imgsz": "[640, 640]"})
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


@pytest.fixture(scope="module")
def yolo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fixed_yolo(tmp_path_factory.mktemp("yolo") / "fixed.onnx")


@pytest.fixture(scope="module")
def yolo_service(tmp_path_factory: pytest.TempPathFactory, yolo_path: Path) -> Iterator[ServerHandle]:
    handle = serve_in_thread("127.0.0.1", 0, tmp_path_factory.mktemp("yolo-data"), labels_model=yolo_path)
    yield handle
    handle.stop()


def blank_frame() -> bytes:
    return jpeg(np.full((HEIGHT, WIDTH, 3), 90, np.uint8))


def test_yolo_boxes_map_back_to_image_ratios(yolo_service: ServerHandle) -> None:
    client = rekognition_client(yolo_service.url)
    labels = {
        item["Name"]: item
        for item in client.detect_labels(Image={"Bytes": blank_frame()}, MinConfidence=0)["Labels"]
    }
    assert set(labels) == {"Person", "Bicycle", "Forklift", "Vehicle", "Transportation"}
    (person,) = labels["Person"]["Instances"]
    assert person["BoundingBox"] == pytest.approx(
        {"Left": 100 / WIDTH, "Top": 200 / HEIGHT, "Width": 200 / WIDTH, "Height": 400 / HEIGHT}
    )
    (bicycle,) = labels["Bicycle"]["Instances"]
    assert bicycle["BoundingBox"] == pytest.approx(
        {"Left": 600 / WIDTH, "Top": 400 / HEIGHT, "Width": 400 / WIDTH, "Height": 300 / HEIGHT}
    )
    # Score 0.9 over YOLO's 0.25 floor: 55 + 45 * 0.65 / 0.75.
    assert labels["Person"]["Confidence"] == pytest.approx(94.0)
    assert labels["Person"]["Confidence"] > labels["Bicycle"]["Confidence"] > 55
    assert labels["Forklift"]["Parents"] == []


def test_cli_serves_until_sigterm(tmp_path: Path, yolo_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "framewatch.cli",
            "vision",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path),
            "--labels-model",
            str(yolo_path),
            "--max-concurrency",
            "4",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:"), process.stderr
        client = rekognition_client(line.removeprefix("listening on "))
        labels = client.detect_labels(Image={"Bytes": blank_frame()})["Labels"]
        assert labels[0]["Name"] == "Person"
        client.create_collection(CollectionId="cli")
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
    assert code == 0
    assert (tmp_path / "collections.sqlite3").exists()
