"""One vision service per test module, driven only through boto3's rekognition client."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import cv2
import numpy as np
import pytest
from botocore.config import Config

from framewatch.media import clip_path
from framewatch.vision.protocol import RekognitionService
from framewatch.vision.server import ServerHandle, build_service, serve_in_thread

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


@pytest.fixture(scope="session")
def loaded_service(tmp_path_factory: pytest.TempPathFactory) -> RekognitionService:
    """Models loaded once per test session; each server gets its own store below."""
    return build_service(tmp_path_factory.mktemp("vision-shared"))


def start(data_dir: Path, models: RekognitionService, **kwargs: Any) -> ServerHandle:
    from framewatch.vision.collections import FaceStore

    service = RekognitionService(FaceStore(data_dir), models.faces, models.detector)
    return serve_in_thread("127.0.0.1", 0, data_dir, service=service, **kwargs)


@pytest.fixture(scope="module")
def vision(
    tmp_path_factory: pytest.TempPathFactory, loaded_service: RekognitionService
) -> Iterator[ServerHandle]:
    handle = start(tmp_path_factory.mktemp("vision"), loaded_service)
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def rekognition(vision: ServerHandle) -> Any:
    return rekognition_client(vision.url)
