"""A user-supplied Ultralytics YOLO ONNX export (``--labels-model``) for DetectLabels.

Layout as ``yolo export format=onnx`` writes it (YOLOv8 and later): input ``[1, 3, S, S]`` RGB
scaled to 0..1 and letterboxed (centred, grey 114 padding); one output ``[1, 4 + classes, N]``
whose rows are cx, cy, w, h in input pixels then one score per class (no objectness). Class names
come from the model's ``names`` metadata (``{0: 'person', ...}``) when present, else COCO's.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import numpy as np

from framewatch.vision.labels import COCO_CLASSES
from framewatch.vision.objects import (
    DEFAULT_THREADS,
    OnnxDetector,
    Placement,
    letterbox,
    session,
)

DEFAULT_SIZE = 640
MIN_SCORE = 0.25  # Ultralytics' own default confidence


def class_names(metadata: dict[str, str], count: int) -> tuple[str, ...]:
    """Names from Ultralytics' ``names`` metadata, falling back to COCO for a 80-class model."""
    raw = metadata.get("names")
    if raw:
        try:
            parsed = ast.literal_eval(raw)  # a Python dict literal, not JSON
        except (ValueError, SyntaxError):
            parsed = None
        if isinstance(parsed, dict):
            return tuple(str(parsed.get(i, f"class {i}")) for i in range(count))
        if isinstance(parsed, list | tuple):
            return tuple(str(name) for name in parsed)
    if count == len(COCO_CLASSES):
        return COCO_CLASSES
    return tuple(f"class {i}" for i in range(count))


class YoloDetector(OnnxDetector):
    def __init__(
        self, path: Path, threads: int = DEFAULT_THREADS, min_score: float = MIN_SCORE, loaded: Any = None
    ) -> None:
        self.session = loaded or session(path, threads)
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        side = model_input.shape[-1]
        self.size = side if isinstance(side, int) and side > 0 else DEFAULT_SIZE
        output_shape = self.session.get_outputs()[0].shape
        count = output_shape[1] - 4 if isinstance(output_shape[1], int) else len(COCO_CLASSES)
        metadata = self.session.get_modelmeta().custom_metadata_map
        self.names = class_names(metadata, count)
        self.min_score = min_score

    def preprocess(self, bgr: np.ndarray) -> tuple[np.ndarray, Placement]:
        canvas, placement = letterbox(bgr, self.size, pad=114, center=True)
        tensor = canvas[:, :, ::-1].astype(np.float32) / 255.0  # BGR -> RGB, 0..1
        return np.ascontiguousarray(tensor.transpose(2, 0, 1)[None]), placement

    def decode(self, outputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = np.asarray(outputs[0])[0].T  # (N, 4 + classes)
        class_scores = rows[:, 4:]
        classes = class_scores.argmax(axis=1)
        scores = class_scores[np.arange(len(rows)), classes]
        keep = scores >= self.min_score
        cx, cy, w, h = (rows[keep, i] for i in range(4))
        boxes = np.column_stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
        return boxes.astype(np.float32), scores[keep], classes[keep]
