"""One embedded stack per test module: the real ASL, handlers, vision service and template."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from framewatch.aws.clients import client
from framewatch.core.frame_record import FrameRecord
from framewatch.embedded.stack import EmbeddedStack, StackOptions

WATCHLIST = """
rules:
  - name: person
    labels: [Person]
    min_confidence: 55
  - name: vehicle
    labels: [Vehicle]
    min_confidence: 45
  - name: family
    people: [Grace Hopper]
    min_confidence: 50
"""


class Pipeline:
    """Puts frame records on the stack's stream and waits until the pipe has handled them."""

    def __init__(self, stack: EmbeddedStack) -> None:
        self.stack = stack
        self.sent = 0

    def record(
        self,
        camera: str,
        jpeg: bytes | None,
        *,
        seq: int,
        at: datetime,
        frame_id: str | None = None,
        **overrides: object,
    ) -> bytes:
        image = base64.b64encode(jpeg).decode() if jpeg is not None else None
        fields = dict(
            camera_id=camera,
            frame_id=frame_id or f"{camera}-{seq}-{uuid.uuid4().hex[:6]}",
            captured_at=at,
            seq=seq,
            width=640,
            height=272,
            image=image,
        )
        fields.update(overrides)
        return FrameRecord(**fields).to_json()  # type: ignore[arg-type]

    def put(self, payloads: list[bytes], partition_key: str, timeout: float = 180) -> None:
        client("kinesis").put_records(
            StreamName=self.stack.stream_name,
            Records=[{"Data": data, "PartitionKey": partition_key} for data in payloads],
        )
        self.sent += len(payloads)
        assert all(pipe.wait_idle(self.sent, timeout) for pipe in self.stack.pipes), "pipe did not drain"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    directory = tmp_path_factory.mktemp("stack")
    watchlist = directory / "watchlist.yaml"
    watchlist.write_text(WATCHLIST)
    options = StackOptions(data_dir=directory / "data", watchlist=watchlist, serve_ui=False)
    with EmbeddedStack(options) as running:
        yield running


@pytest.fixture(scope="module")
def pipeline(stack: EmbeddedStack) -> Pipeline:
    return Pipeline(stack)


def start_time(seconds_ago: float = 30) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds_ago)


def wait_for(predicate, timeout: float = 60, what: str = "condition"):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
