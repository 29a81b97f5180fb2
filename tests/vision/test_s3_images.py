"""Image.S3Object read through framewatch.aws.clients against moto's S3 server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from framewatch.aws import clients

from .helpers import frame, jpeg


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def s3(rekognition: Any) -> Iterator[Any]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as env:
        # The service runs in this process and reads S3 through framewatch.aws.clients.
        env.setenv("AWS_ENDPOINT_URL_S3", endpoint)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        clients.reset()
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket="frames")
        yield s3
        clients.reset()
    server.stop()


def test_labels_from_s3(rekognition: Any, s3: Any) -> None:
    s3.put_object(Bucket="frames", Key="cam1/190.jpg", Body=jpeg(frame("bikes.mp4", 190)))
    response = rekognition.detect_labels(Image={"S3Object": {"Bucket": "frames", "Name": "cam1/190.jpg"}})
    assert {"Person", "Bicycle"} <= {label["Name"] for label in response["Labels"]}


def test_faces_from_s3(rekognition: Any, s3: Any) -> None:
    s3.put_object(Bucket="frames", Key="enroll/carphone.jpg", Body=jpeg(frame("carphone_pristine.mp4", 0)))
    rekognition.create_collection(CollectionId="from-s3")
    indexed = rekognition.index_faces(
        CollectionId="from-s3",
        ExternalImageId="carphone",
        Image={"S3Object": {"Bucket": "frames", "Name": "enroll/carphone.jpg"}},
    )
    assert len(indexed["FaceRecords"]) == 1
    found = rekognition.search_faces_by_image(
        CollectionId="from-s3", Image={"Bytes": jpeg(frame("carphone_pristine.mp4", 30))}
    )
    assert found["FaceMatches"][0]["Face"]["ExternalImageId"] == "carphone"


def test_missing_object(rekognition: Any, s3: Any) -> None:
    for bucket, key in (("frames", "no/such.jpg"), ("no-such-bucket", "x.jpg")):
        with pytest.raises(rekognition.exceptions.InvalidS3ObjectException):
            rekognition.detect_labels(Image={"S3Object": {"Bucket": bucket, "Name": key}})


def test_object_over_15_megabytes(rekognition: Any, s3: Any) -> None:
    s3.put_object(Bucket="frames", Key="huge.jpg", Body=b"\xff\xd8\xff" + b"\0" * (16 << 20))
    with pytest.raises(rekognition.exceptions.ImageTooLargeException):
        rekognition.detect_labels(Image={"S3Object": {"Bucket": "frames", "Name": "huge.jpg"}})
