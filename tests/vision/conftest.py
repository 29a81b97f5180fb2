"""One vision service per test module, driven only through boto3's rekognition client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from framewatch.vision.protocol import RekognitionService
from framewatch.vision.server import ServerHandle, build_service

from .helpers import rekognition_client, start


@pytest.fixture(scope="session")
def loaded_service(tmp_path_factory: pytest.TempPathFactory) -> RekognitionService:
    """Models loaded once per test session; each server gets its own store below."""
    return build_service(tmp_path_factory.mktemp("vision-shared"))


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
