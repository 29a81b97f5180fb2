"""Fixtures for the capture client: emulated Kinesis/S3 (moto, in-process), the bikes clip, an
in-memory sink, an MJPEG server on 127.0.0.1, and fast retry/backoff settings so tests stay quick
and deterministic. Everything lives here (not in helper modules) because the suite runs with
``--import-mode=importlib``, where test folders are not on sys.path."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from moto import mock_aws

from capture.sinks import OutgoingRecord
from framewatch.aws import clients
from framewatch.aws.kinesis import EntryResult
from framewatch.media import clip_path

STREAM = "frames-test"


def read_stream(name: str) -> list[bytes]:
    """Every record on every shard, in shard order."""
    kinesis = clients.client("kinesis")
    data: list[bytes] = []
    for shard in kinesis.list_shards(StreamName=name)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=1000)
            data.extend(record["Data"] for record in page["Records"])
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return data


class CollectingSink:
    """An in-memory sink: keeps every record it is given."""

    label = "test sink"

    def __init__(self) -> None:
        self.records: list[OutgoingRecord] = []
        self.claim_checks: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def check(self) -> None:
        pass

    def put(self, records: list[OutgoingRecord]) -> list[EntryResult]:
        with self._lock:
            self.records.extend(records)
        return [EntryResult() for _ in records]

    def store_claim_check(self, key: str, jpeg: bytes) -> None:
        self.claim_checks[key] = jpeg


def sample_jpegs(count: int = 8) -> list[bytes]:
    """Small distinct frames: a square that moves."""
    jpegs = []
    for index in range(count):
        image = np.full((120, 160, 3), 40, np.uint8)
        cv2.rectangle(image, (10 + index * 12, 30), (40 + index * 12, 60), (0, 200, 255), -1)
        jpegs.append(cv2.imencode(".jpg", image)[1].tobytes())
    return jpegs


@dataclass
class StreamBehaviour:
    credentials: tuple[str, str] | None = None
    frames_per_connection: int | None = None  # then the server hangs up
    stall_after: int | None = None  # then the server stops sending (first connection only)
    interval_s: float = 0.005
    content_length: bool = True
    connections: int = 0
    stop: threading.Event = field(default_factory=threading.Event)


def _handler(behaviour: StreamBehaviour, jpegs: list[bytes]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            if behaviour.credentials is not None:
                expected = base64.b64encode(":".join(behaviour.credentials).encode()).decode()
                if self.headers.get("Authorization") != f"Basic {expected}":
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="cam"')
                    self.end_headers()
                    return
            if self.path != "/video":
                self.send_error(404)
                return
            behaviour.connections += 1
            connection = behaviour.connections
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            sent = 0
            try:
                while not behaviour.stop.is_set():
                    if behaviour.frames_per_connection and sent >= behaviour.frames_per_connection:
                        return  # hang up mid-stream
                    if (
                        connection == 1
                        and behaviour.stall_after is not None
                        and sent >= behaviour.stall_after
                    ):
                        behaviour.stop.wait(3)
                        return
                    jpeg = jpegs[sent % len(jpegs)]
                    head = b"--frame\r\nContent-Type: image/jpeg\r\n"
                    if behaviour.content_length:
                        head += f"Content-Length: {len(jpeg)}\r\n".encode()
                    self.wfile.write(head + b"\r\n" + jpeg + b"\r\n")
                    self.wfile.flush()
                    sent += 1
                    time.sleep(behaviour.interval_s)
            except (BrokenPipeError, ConnectionResetError):
                return

    return Handler


@contextmanager
def serve_mjpeg(behaviour: StreamBehaviour | None = None) -> Iterator[tuple[str, StreamBehaviour]]:
    """Yields the stream URL (http://127.0.0.1:PORT/video) and the behaviour object."""
    behaviour = behaviour or StreamBehaviour()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(behaviour, sample_jpegs()))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/video", behaviour
    finally:
        behaviour.stop.set()
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def bikes() -> Path:
    return clip_path("bikes.mp4")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_KINESIS",
        "AWS_ENDPOINT_URL_S3",
        "AWS_PROFILE",
        "FRAMEWATCH_STREAM",
        "FRAMEWATCH_BUCKET",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def aws(aws_env: None) -> Any:
    clients.reset()
    with mock_aws():
        yield
    clients.reset()


@pytest.fixture
def stream(aws: None) -> str:
    kinesis = clients.client("kinesis")
    kinesis.create_stream(StreamName=STREAM, ShardCount=2)
    return STREAM


@pytest.fixture
def bucket(aws: None) -> str:
    clients.client("s3").create_bucket(Bucket="framewatch-test")
    return "framewatch-test"


@pytest.fixture
def sink() -> CollectingSink:
    return CollectingSink()


@pytest.fixture
def stream_records() -> Any:
    """``stream_records(name)`` → the bytes of every record on the stream."""
    return read_stream


@pytest.fixture
def make_sink() -> Any:
    return CollectingSink


@pytest.fixture(name="serve_mjpeg")
def serve_mjpeg_fixture() -> Any:
    """``with serve_mjpeg(credentials=..., frames_per_connection=...) as (url, behaviour):``"""

    def serve(**behaviour: Any) -> Any:
        return serve_mjpeg(StreamBehaviour(**behaviour))

    return serve


@pytest.fixture(name="sample_jpegs")
def sample_jpegs_fixture() -> Any:
    return sample_jpegs
