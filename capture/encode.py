"""JPEG encoding, scaled down to a maximum width."""

from __future__ import annotations

import numpy as np

from capture.opencv import cv2


def encode_jpeg(
    image: np.ndarray,
    quality: int = 80,
    max_width: int | None = None,
) -> tuple[bytes, int, int]:
    """JPEG bytes plus the encoded width and height."""
    height, width = image.shape[:2]
    if max_width and width > max_width:
        height = max(1, round(height * max_width / width))
        width = max_width
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("OpenCV could not encode the frame as JPEG")
    return buffer.tobytes(), width, height
