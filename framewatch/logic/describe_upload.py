"""A photo uploaded for one-off analysis becomes a frame of the pseudo-camera ``uploads``."""

from __future__ import annotations

import re
from datetime import datetime

from framewatch.core.frame_ref import FrameRef, make_frame_ref
from framewatch.imaging import image_size
from framewatch.logic.ports import ObjectReader
from framewatch.settings import UploadSettings

UPLOAD_CAMERA = "uploads"
_UPLOAD_KEY = re.compile(r"^uploads/([A-Za-z0-9_-]{1,64})\.(?:jpe?g|png)$")


class BadUpload(ValueError):
    """The uploaded object's key or content is not something we analyse."""


def describe_upload(
    bucket: str, key: str, uploaded_at: datetime, images: ObjectReader, settings: UploadSettings
) -> FrameRef:
    match = _UPLOAD_KEY.match(key)
    if not match:
        raise BadUpload(f"uploads must be named uploads/<id>.jpg; got {key!r}")
    width, height = image_size(images.get_object_bytes(bucket, key))
    return make_frame_ref(
        camera_id=UPLOAD_CAMERA,
        frame_id=f"upload-{match.group(1)}",
        captured_at=uploaded_at,
        seq=0,
        width=width,
        height=height,
        bucket=bucket,
        s3_key=key,
        source="upload",
        retention_days=settings.frame_retention_days,
    )
