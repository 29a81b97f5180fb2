"""Small image operations the handlers need (Pillow: light enough for a Lambda layer)."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from framewatch.core.geometry import Box


class BadImage(ValueError):
    """The bytes are not a readable image."""


def image_size(data: bytes) -> tuple[int, int]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError) as exc:
        raise BadImage(f"not a readable image: {exc}") from exc


def crop_jpeg(data: bytes, box: Box, margin: float = 0.25, quality: int = 92) -> bytes:
    """Cut one face out with some context around it, so the face search sees only that face."""
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        pad_x, pad_y = box.width * margin, box.height * margin
        left = max(0, int((box.left - pad_x) * width))
        top = max(0, int((box.top - pad_y) * height))
        right = min(width, int((box.left + box.width + pad_x) * width))
        bottom = min(height, int((box.top + box.height + pad_y) * height))
        crop = image.convert("RGB").crop((left, top, max(right, left + 1), max(bottom, top + 1)))
        out = io.BytesIO()
        crop.save(out, format="JPEG", quality=quality)
        return out.getvalue()
