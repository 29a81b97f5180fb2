"""Test helpers: reference frames, JPEG bytes, boto3 clients and in-thread services."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import boto3
import cv2
import numpy as np
from botocore.config import Config

from framewatch.media import clip_path
from framewatch.vision.protocol import RekognitionService
from framewatch.vision.server import ServerHandle, serve_in_thread

# No client-side retries: throttling tests must see the first answer.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=60)


def rekognition_client(url: str) -> Any:
    return boto3.client(
        "rekognition",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=NO_RETRIES,
    )


@cache
def frame(clip: str, index: int) -> np.ndarray:
    capture = cv2.VideoCapture(str(clip_path(clip)))
    capture.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, pixels = capture.read()
    capture.release()
    assert ok, f"{clip} has no frame {index}"
    pixels.setflags(write=False)
    return pixels


def jpeg(pixels: np.ndarray, quality: int = 95) -> bytes:
    ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()


def start(data_dir: Path, models: RekognitionService, **kwargs: Any) -> ServerHandle:
    from framewatch.vision.collections import FaceStore

    service = RekognitionService(FaceStore(data_dir), models.faces, models.detector)
    return serve_in_thread("127.0.0.1", 0, data_dir, service=service, **kwargs)
