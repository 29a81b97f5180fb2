"""Frame records onto a running embedded stack, as the capture client puts them: the one copy of the
helpers the integration, fault and end-to-end suites share."""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from unittest import mock

from framewatch.api.settings import ApiSettings
from framewatch.aws.clients import client
from framewatch.core.frame_record import FrameRecord
from framewatch.embedded.stack import EmbeddedStack

# The session fixture ``clip_frames`` (tests/conftest.py): a clip's frames as JPEGs by index.
ClipFrames = Callable[[str, list[int]], dict[int, bytes]]


def frames_api_settings(stack: EmbeddedStack) -> ApiSettings:
    """The frames API's settings as its Lambda workers read them: from that function's environment
    (this process has none of the functions' variables)."""
    runtime = stack.runtime
    environment = runtime.worker_environment(runtime.spec(stack.resource("FramesApiFunction")))
    with mock.patch.dict(os.environ, environment):
        return ApiSettings.from_env()


def frame_record(
    camera: str,
    jpeg: bytes | None,
    *,
    seq: int,
    at: datetime,
    frame_id: str | None = None,
    width: int = 640,
    height: int = 272,
    **overrides: object,
) -> bytes:
    """One Kinesis frame record (the JPEG inline); ``overrides`` replace any field, valid or not."""
    fields: dict[str, Any] = dict(
        camera_id=camera,
        frame_id=frame_id or f"{camera}-{seq}-{uuid.uuid4().hex[:6]}",
        captured_at=at,
        seq=seq,
        width=width,
        height=height,
        image=base64.b64encode(jpeg).decode() if jpeg is not None else None,
    )
    fields.update(overrides)
    return FrameRecord(**fields).to_json()


def records_done(stack: EmbeddedStack) -> int:
    """Records the running pipe(s) finished (analysed or dead-lettered) since they started."""
    return sum(pipe.stats.records for pipe in stack.pipes)


def wait_for(predicate: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def put_frames(
    stack: EmbeddedStack,
    payloads: list[bytes],
    partition_key: str,
    *,
    wait: bool = True,
    timeout: float = 180,
) -> list[str]:
    """PutRecords; waits until the pipe has handled them. Returns the records' sequence numbers."""
    before = records_done(stack)
    response = client("kinesis").put_records(
        StreamName=stack.stream_name,
        Records=[{"Data": data, "PartitionKey": partition_key} for data in payloads],
    )
    assert response.get("FailedRecordCount", 0) == 0, response
    if wait:
        wait_for(lambda: records_done(stack) >= before + len(payloads), timeout, "the pipe to drain")
    return [entry["SequenceNumber"] for entry in response["Records"]]


class Pipeline:
    """A stack's stream, for suites that share one stack per module."""

    def __init__(self, stack: EmbeddedStack) -> None:
        self.stack = stack

    record = staticmethod(frame_record)

    def put(self, payloads: list[bytes], partition_key: str, timeout: float = 180) -> None:
        put_frames(self.stack, payloads, partition_key, timeout=timeout)
