"""Each Rekognition error type, raised by botocore as client.exceptions.<Name>."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from framewatch.vision.protocol import RekognitionService
from framewatch.vision.server import ServerHandle

from .helpers import frame, jpeg, rekognition_client, start


def test_garbage_bytes(rekognition: Any) -> None:
    with pytest.raises(rekognition.exceptions.InvalidImageFormatException):
        rekognition.detect_labels(Image={"Bytes": b"this is not an image"})
    with pytest.raises(rekognition.exceptions.InvalidImageFormatException):
        rekognition.detect_faces(Image={"Bytes": b"\xff\xd8\xff" + os.urandom(2000)})


def test_six_megabytes_of_bytes(rekognition: Any) -> None:
    with pytest.raises(rekognition.exceptions.ImageTooLargeException):
        rekognition.detect_labels(Image={"Bytes": b"\xff\xd8\xff" + b"\0" * (6 * 1024 * 1024)})


def test_unknown_collection(rekognition: Any) -> None:
    face = {"Bytes": jpeg(frame("carphone_pristine.mp4", 0))}
    with pytest.raises(rekognition.exceptions.ResourceNotFoundException):
        rekognition.index_faces(CollectionId="nobody-here", Image=face)
    with pytest.raises(rekognition.exceptions.ResourceNotFoundException):
        rekognition.search_faces_by_image(CollectionId="nobody-here", Image=face)
    with pytest.raises(rekognition.exceptions.ResourceNotFoundException):
        rekognition.describe_collection(CollectionId="nobody-here")
    with pytest.raises(rekognition.exceptions.ResourceNotFoundException):
        rekognition.delete_collection(CollectionId="nobody-here")


def test_duplicate_collection(rekognition: Any) -> None:
    rekognition.create_collection(CollectionId="twice")
    with pytest.raises(rekognition.exceptions.ResourceAlreadyExistsException) as caught:
        rekognition.create_collection(CollectionId="twice")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_search_with_no_face(rekognition: Any) -> None:
    rekognition.create_collection(CollectionId="faceless")
    with pytest.raises(rekognition.exceptions.InvalidParameterException) as caught:
        rekognition.search_faces_by_image(
            CollectionId="faceless", Image={"Bytes": jpeg(frame("bikes.mp4", 150))}
        )
    assert "no faces" in str(caught.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.create_collection(CollectionId="bad/id"),
        lambda r: r.detect_labels(Image={"Bytes": jpeg(frame("bikes.mp4", 0))}, MinConfidence=101),
        lambda r: r.index_faces(CollectionId="twice", Image={"Bytes": b"x"}, QualityFilter="BEST"),
        lambda r: r.search_faces(CollectionId="twice", FaceId="not-a-face-id"),
    ],
)
def test_bad_parameters(rekognition: Any, call: Any) -> None:
    with contextlib.suppress(rekognition.exceptions.ResourceAlreadyExistsException):
        rekognition.create_collection(CollectionId="twice")
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        call(rekognition)


def post_faults(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{url}/_framewatch/faults",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_fault_endpoint_throttles_the_next_calls(vision: ServerHandle, rekognition: Any) -> None:
    with urllib.request.urlopen(f"{vision.url}/_framewatch/health", timeout=10) as response:
        assert response.status == 200 and json.load(response) == {"status": "ok"}
    assert post_faults(vision.url, {"throttle_next": 2}) == {"throttle_next": 2}
    for _ in range(2):
        with pytest.raises(rekognition.exceptions.ProvisionedThroughputExceededException):
            rekognition.list_collections()
    rekognition.list_collections()


@pytest.fixture()
def one_at_a_time(tmp_path: Any, loaded_service: RekognitionService) -> Iterator[ServerHandle]:
    handle = start(tmp_path, loaded_service, max_concurrency=1)
    yield handle
    handle.stop()


def test_max_concurrency(one_at_a_time: ServerHandle) -> None:
    client = rekognition_client(one_at_a_time.url)
    big = {"Bytes": jpeg(frame("bikes.mp4", 190).repeat(4, axis=0).repeat(4, axis=1))}
    gate = threading.Barrier(4)
    outcomes: list[str] = []

    def call() -> None:
        gate.wait()
        try:
            client.detect_labels(Image=big)
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "ok" in outcomes
    assert "ProvisionedThroughputExceededException" in outcomes


def test_operation_not_implemented_here(rekognition: Any) -> None:
    with pytest.raises(ClientError) as caught:
        rekognition.detect_text(Image={"Bytes": jpeg(frame("bikes.mp4", 0))})
    assert caught.value.response["Error"]["Code"] == "UnknownOperationException"
