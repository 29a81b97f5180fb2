"""Motion gate: skip frames that show nothing new, but never let a camera go quiet for long."""

from __future__ import annotations

import numpy as np

from capture.config import MotionSettings
from capture.opencv import cv2


class MotionGate:
    """Per-camera; ``should_send`` is called once per sampled frame, in capture order.

    Works on a small blurred grey copy (cheap, and blurring plus area-downscaling averages
    sensor noise away) with OpenCV's MOG2 background model, which learns per-pixel variance
    and so tolerates flicker and slow lighting changes that plain frame differencing flags.
    """

    def __init__(self, settings: MotionSettings) -> None:
        self.settings = settings
        self._subtractor = cv2.createBackgroundSubtractorMOG2(
            history=300, varThreshold=settings.threshold, detectShadows=False
        )
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self._mask: np.ndarray | None = None
        self._mask_area = 0
        self._last_sent: float | None = None
        self.last_changed_fraction = 0.0

    def _prepare(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        small_w = min(self.settings.analysis_width, width)
        small_h = max(1, round(height * small_w / width))
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        small = cv2.resize(grey, (small_w, small_h), interpolation=cv2.INTER_AREA)
        if self._mask is None or self._mask.shape != small.shape:
            self._mask = self._build_mask(small.shape)
            self._mask_area = int(np.count_nonzero(self._mask))
        return cv2.GaussianBlur(small, (5, 5), 0)

    def _build_mask(self, shape: tuple[int, ...]) -> np.ndarray:
        mask = np.full(shape[:2], 255, dtype=np.uint8)
        height, width = shape[:2]
        for polygon in self.settings.ignore:
            points = np.array([[x * (width - 1), y * (height - 1)] for x, y in polygon])
            cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 0)
        return mask

    def changed_fraction(self, image: np.ndarray) -> float:
        """Share of the unmasked frame that differs from the background (updates the model)."""
        small = self._prepare(image)
        foreground = self._subtractor.apply(small)
        foreground = cv2.morphologyEx(foreground, cv2.MORPH_OPEN, self._kernel)
        if not self._mask_area:
            return 0.0
        assert self._mask is not None  # _prepare built it
        changed = cv2.countNonZero(cv2.bitwise_and(foreground, self._mask))
        return changed / self._mask_area

    def should_send(self, image: np.ndarray, capture_time: float) -> bool:
        fraction = self.changed_fraction(image)
        self.last_changed_fraction = fraction
        first = self._last_sent is None
        moved = fraction > 0 and fraction >= self.settings.min_area
        stale = self._last_sent is not None and capture_time - self._last_sent >= self.settings.keepalive_s
        if first or moved or stale:
            self._last_sent = capture_time
            return True
        return False
