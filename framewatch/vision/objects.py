"""Object detection for DetectLabels: the bundled NanoDet (COCO, 416 px) run by onnxruntime.

``detectors.load_detector(path)`` also accepts a user's Ultralytics YOLO export (see ``yolo.py``): the
model's outputs tell which decoder it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from framewatch.vision.labels import COCO_CLASSES

BUNDLED_MODEL = Path(__file__).resolve().parents[2] / "models" / "nanodet.onnx"
DEFAULT_THREADS = 2
# NanoDet emits duplicate low-score boxes and stray classes; below 0.4 they outnumber real finds.
MIN_SCORE = 0.4
NMS_IOU = 0.5


@dataclass(frozen=True)
class Detection:
    class_name: str  # the detector's own class name (COCO's for the bundled model)
    score: float  # 0..1
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in image pixels


class Detector(Protocol):
    min_score: float  # scores below this never leave the detector

    def detect(self, bgr: np.ndarray) -> list[Detection]: ...

    def preprocess(self, bgr: np.ndarray) -> tuple[np.ndarray, Placement]: ...

    def infer(self, tensor: np.ndarray) -> list[np.ndarray]: ...


def session(path: Path, threads: int = DEFAULT_THREADS) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@dataclass(frozen=True)
class Placement:
    """Where a letterboxed image sits in the model input: input = image * scale + offset."""

    scale: float
    dx: float = 0.0
    dy: float = 0.0


def letterbox(bgr: np.ndarray, size: int, pad: int, center: bool = False) -> tuple[np.ndarray, Placement]:
    """Scale to fit ``size`` x ``size`` keeping aspect and pad the rest.

    Stretching wide frames instead costs NanoDet most of its person confidence (0.82 -> 0.32).
    """
    import cv2

    height, width = bgr.shape[:2]
    scale = min(size / width, size / height)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    dx, dy = ((size - new_w) // 2, (size - new_h) // 2) if center else (0, 0)
    canvas = np.full((size, size, 3), pad, np.uint8)
    canvas[dy : dy + new_h, dx : dx + new_w] = cv2.resize(bgr, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    return canvas, Placement(scale, dx, dy)


def nms_per_class(
    boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, iou: float = NMS_IOU
) -> np.ndarray:
    """Indices kept by per-class non-maximum suppression (boxes as x1, y1, x2, y2)."""
    import cv2

    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    xywh = np.column_stack([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]]).astype(float).tolist()
    kept = cv2.dnn.NMSBoxesBatched(
        xywh, scores.astype(float).tolist(), classes.astype(int).tolist(), 0.0, iou
    )
    return np.asarray(kept, np.int64).reshape(-1)


def to_detections(
    boxes: np.ndarray,
    scores: np.ndarray,
    classes: np.ndarray,
    names: tuple[str, ...],
    placement: Placement,
    image_shape: tuple[int, ...],
) -> list[Detection]:
    """Undo the letterbox, clip to the image, suppress duplicates, sort by score."""
    height, width = image_shape[:2]
    boxes = (boxes - [placement.dx, placement.dy, placement.dx, placement.dy]) / placement.scale
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
    found = [
        Detection(
            names[int(classes[i])] if int(classes[i]) < len(names) else f"class {classes[i]}",
            float(scores[i]),
            (float(boxes[i, 0]), float(boxes[i, 1]), float(boxes[i, 2]), float(boxes[i, 3])),
        )
        for i in nms_per_class(boxes, scores, classes)
    ]
    return sorted(found, key=lambda d: d.score, reverse=True)


class OnnxDetector:
    """What every ONNX detector shares: run the session, then map boxes back onto the image.
    Subclasses say how to fill the input tensor (``preprocess``) and read the outputs (``decode``)."""

    session: Any
    input_name: str
    names: tuple[str, ...]
    min_score: float

    def preprocess(self, bgr: np.ndarray) -> tuple[np.ndarray, Placement]:
        raise NotImplementedError

    def decode(self, outputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise NotImplementedError

    def infer(self, tensor: np.ndarray) -> list[np.ndarray]:
        return self.session.run(None, {self.input_name: tensor})

    def detect(self, bgr: np.ndarray) -> list[Detection]:
        tensor, placement = self.preprocess(bgr)
        boxes, scores, classes = self.decode(self.infer(tensor))
        return to_detections(boxes, scores, classes, self.names, placement, bgr.shape)


class NanoDet(OnnxDetector):
    """NanoDet-m 416 (GFL head, 11 distance bins) converted from TF.js by models/convert."""

    size = 416
    strides = (8, 16, 32)
    bins = 11
    mean = np.array([103.53, 116.28, 123.675], np.float32)  # BGR
    std = np.array([57.375, 57.12, 58.395], np.float32)

    def __init__(
        self,
        path: Path = BUNDLED_MODEL,
        threads: int = DEFAULT_THREADS,
        min_score: float = MIN_SCORE,
        loaded: Any = None,
    ) -> None:
        self.session = loaded or session(path, threads)
        self.input_name = self.session.get_inputs()[0].name
        self.min_score = min_score
        self.names = COCO_CLASSES

    def preprocess(self, bgr: np.ndarray) -> tuple[np.ndarray, Placement]:
        canvas, placement = letterbox(bgr, self.size, pad=0)
        tensor = (canvas.astype(np.float32) - self.mean) / self.std
        return np.ascontiguousarray(tensor.transpose(2, 0, 1)[None]), placement

    def decode(self, outputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # The converted graph's output names say nothing useful; shapes do: (cells, 80) are
        # sigmoid class scores and (cells, 44) the box bins, with cells = (416 / stride)^2.
        by_shape = {tuple(out.shape[1:]): out[0] for out in outputs}
        all_boxes, all_scores, all_classes = [], [], []
        for stride in self.strides:
            grid = self.size // stride
            cells = grid * grid
            class_scores = by_shape[(cells, len(self.names))]
            regression = by_shape[(cells, 4 * self.bins)]
            classes = class_scores.argmax(axis=1)
            scores = class_scores[np.arange(cells), classes]
            index = np.nonzero(scores >= self.min_score)[0]
            if index.size == 0:
                continue
            bins = regression[index].reshape(-1, 4, self.bins)
            bins = np.exp(bins - bins.max(axis=2, keepdims=True))
            bins /= bins.sum(axis=2, keepdims=True)
            # Expected bin x stride = distance from the cell centre to the left/top/right/bottom.
            distance = (bins * np.arange(self.bins, dtype=np.float32)).sum(axis=2) * stride
            cx = (index % grid + 0.5) * stride
            cy = (index // grid + 0.5) * stride
            all_boxes.append(
                np.column_stack(
                    [cx - distance[:, 0], cy - distance[:, 1], cx + distance[:, 2], cy + distance[:, 3]]
                )
            )
            all_scores.append(scores[index])
            all_classes.append(classes[index])
        if not all_boxes:
            return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64)
        return np.concatenate(all_boxes), np.concatenate(all_scores), np.concatenate(all_classes)


def confidence(score: float, floor: float) -> float:
    """Detector score -> Rekognition-style Confidence (0-100).

    A linear map that puts the detector's own operating floor (0.4 for NanoDet) at 55, the
    ``MinConfidence`` Rekognition applies when none is given, and 1.0 at 100: NanoDet's best
    person (0.84) reads 88, a true bicycle at 0.52 reads 64. Rules tuned on AWS's scale keep
    their meaning at the default; the raw score is ``floor + (c - 55) / 45 * (1 - floor)``.
    """
    if score <= floor:
        return 55.0 * max(0.0, score) / floor if floor > 0 else 55.0
    return 55.0 + 45.0 * (score - floor) / (1.0 - floor)
