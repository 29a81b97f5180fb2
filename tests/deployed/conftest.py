"""The deployed smoke suite (`make test-deployed`): the real stack named by FRAMEWATCH_STACK, reached
with the usual AWS credential chain. Not part of `make test` (pyproject's addopts ignore this folder).
Everything a test creates (a camera id of its own, a temporary SQS queue and its subscription, the
frames and images it sent) is removed at the end."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from .preflight import problem

REPO = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    found = problem()
    if found:  # run directly with pytest: the same one line as `make test-deployed`
        pytest.exit(f"framewatch: error: {found}", returncode=2)


@dataclass
class Stack:
    name: str
    region: str
    outputs: dict[str, str]

    def client(self, service: str) -> Any:
        return boto3.session.Session(region_name=self.region).client(service)


@pytest.fixture(scope="session")
def stack() -> Stack:
    name = os.environ["FRAMEWATCH_STACK"]
    session = boto3.session.Session()
    described = session.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    return Stack(name, str(session.region_name), outputs)


def _delete_where(stack: Stack, table: str, request: dict[str, Any], key: tuple[str, ...]) -> None:
    """Query (or scan) ``table`` and delete what it finds; a table this stack lacks is skipped."""
    ddb = stack.client("dynamodb")
    operation = "query" if "KeyConditionExpression" in request else "scan"
    try:
        for page in ddb.get_paginator(operation).paginate(TableName=table, **request):
            for item in page.get("Items", []):
                ddb.delete_item(TableName=table, Key={k: item[k] for k in key})
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise


@pytest.fixture(scope="session")
def camera(stack: Stack) -> Iterator[str]:
    """A camera id no one else uses; what the stack recorded for it is deleted afterwards."""
    camera_id = f"smoke-{uuid.uuid4().hex[:8]}"
    yield camera_id
    remove_camera(stack, camera_id)


def remove_camera(stack: Stack, camera_id: str) -> None:
    """Frames, images, alert history, alert slots, tracks and incidents of one camera."""
    same_camera = {
        "FilterExpression": "camera_id = :c",
        "ExpressionAttributeValues": {":c": {"S": camera_id}},
    }
    _delete_where(stack, f"{stack.name}-alerts", same_camera, ("day", "alert_key"))
    _delete_where(stack, f"{stack.name}-incidents", same_camera, ("incident_id",))
    _delete_where(
        stack,
        f"{stack.name}-alert-slots",
        {
            "FilterExpression": "begins_with(dedupe_key, :c)",
            "ExpressionAttributeValues": {":c": {"S": f"{camera_id}#"}},
        },
        ("dedupe_key",),
    )
    try:
        stack.client("dynamodb").delete_item(
            TableName=f"{stack.name}-tracks", Key={"camera_id": {"S": camera_id}}
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
    table = stack.client("dynamodb")
    pages = table.get_paginator("query").paginate(
        TableName=f"{stack.name}-frames",
        KeyConditionExpression="camera_id = :c",
        ExpressionAttributeValues={":c": {"S": camera_id}},
        ProjectionExpression="camera_id, frame_key",
    )
    for page in pages:
        for item in page.get("Items", []):
            table.delete_item(TableName=f"{stack.name}-frames", Key=item)
    s3 = stack.client("s3")
    bucket = stack.outputs["MediaBucketName"]
    for prefix in (f"frames/{camera_id}/", f"claim-check/{camera_id}/"):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})


def capture(stack: Stack, camera: str, frames: int = 5) -> str:
    """The real capture client on the bundled clip, to the stack's stream; returns its summary line."""
    from framewatch.media import clip_path

    result = subprocess.run(
        [
            sys.executable, "-m", "framewatch.cli", "capture", str(clip_path("bikes.mp4")),
            "--camera", camera, "--every", "25", "--no-motion", "--as-fast-as-possible",
            "--max-frames", str(frames * 25), "--stream", stack.outputs["StreamName"], "--no-status",
        ],
        capture_output=True, text=True, timeout=300, cwd=REPO,
        env={**os.environ, "AWS_REGION": stack.region, "AWS_DEFAULT_REGION": stack.region},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1]


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
