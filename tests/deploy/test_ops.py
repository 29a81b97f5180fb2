"""`framewatch executions | dlq | purge` against the embedded stack (the same calls AWS answers)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from framewatch.aws.clients import client
from framewatch.cli import main
from framewatch.core.frame_ref import make_frame_ref
from framewatch.embedded.stack import EmbeddedStack, StackOptions
from framewatch.media import clip_path

WATCHLIST = "rules:\n  - name: vehicle\n    labels: [Vehicle]\n    min_confidence: 45\n"


def _jpeg() -> bytes:
    import cv2

    capture = cv2.VideoCapture(str(clip_path("bikes.mp4")))
    ok, image = capture.read()
    capture.release()
    assert ok
    return cv2.imencode(".jpg", image)[1].tobytes()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    directory = tmp_path_factory.mktemp("ops")
    (directory / "watchlist.yaml").write_text(WATCHLIST)
    options = StackOptions(
        data_dir=directory / "data", watchlist=directory / "watchlist.yaml", serve_ui=False
    )
    with EmbeddedStack(options) as running:
        yield running


def _messages(stack: EmbeddedStack) -> list[dict]:
    found = {}
    url = stack.resource("DeadLetterQueue")
    for _ in range(3):
        for message in (
            client("sqs")
            .receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
            .get("Messages", [])
        ):
            found[message["MessageId"]] = json.loads(message["Body"])
    return list(found.values())


def _wait(predicate, timeout: float = 90):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.3)
    raise AssertionError("timed out")


def _frames(stack: EmbeddedStack, camera: str) -> list[dict]:
    items = client("dynamodb").query(
        TableName=stack.resource("FramesTable"),
        KeyConditionExpression="camera_id = :c",
        ExpressionAttributeValues={":c": {"S": camera}},
    )["Items"]
    return items


def test_executions_failed_lists_a_failed_execution(stack: EmbeddedStack, capsys) -> None:  # type: ignore[no-untyped-def]
    sfn = client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=stack.resource("AnalyzeFramesStateMachine"),
        name=f"bad-{uuid.uuid4().hex[:8]}",
        input=json.dumps({"not": "a list of frames"}),
    )["executionArn"]
    _wait(lambda: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING")
    assert main(["executions", "--failed"]) == 0
    out = capsys.readouterr().out
    assert arn in out and "FAILED" in out


def test_poison_record_stays_poison_and_an_analyze_failure_is_redriven(stack: EmbeddedStack, capsys) -> None:  # type: ignore[no-untyped-def]
    # a record that is not a frame: the ingest stage parks it with the original bytes
    client("kinesis").put_record(StreamName=stack.stream_name, Data=b"not a frame", PartitionKey="porch")
    ingest = _wait(lambda: [m for m in _messages(stack) if m.get("stage") == "ingest"])
    assert base64.b64decode(ingest[0]["data"]) == b"not a frame"

    # a frame whose analysis failed after every retry (the vision service throttles throughout)
    jpeg, frame_id = _jpeg(), f"drive-{uuid.uuid4().hex[:6]}"
    captured = datetime.now(UTC) - timedelta(minutes=1)
    key = f"frames/drive/{captured:%Y/%m/%d}/{frame_id}.jpg"
    client("s3").put_object(Bucket=stack.media_bucket, Key=key, Body=jpeg)
    ref = make_frame_ref(
        camera_id="drive",
        frame_id=frame_id,
        captured_at=captured,
        seq=0,
        width=640,
        height=272,
        bucket=stack.media_bucket,
        s3_key=key,
        source="kinesis",
        retention_days=7,
    )
    requests.post(f"{stack.vision_url}/_framewatch/faults", json={"throttle_next": 1000}, timeout=5)
    sfn = client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=stack.resource("AnalyzeFramesStateMachine"),
        name=f"throttled-{uuid.uuid4().hex[:8]}",
        input=json.dumps([ref.model_dump()]),
    )["executionArn"]
    _wait(lambda: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING", timeout=120)
    requests.post(f"{stack.vision_url}/_framewatch/faults", json={"throttle_next": 0}, timeout=5)
    assert [m for m in _messages(stack) if m.get("stage") == "analyze"]
    assert _frames(stack, "drive") == []

    capsys.readouterr()
    assert main(["dlq", "show"]) == 0
    shown = capsys.readouterr().out
    assert "2 messages" in shown and "ingest" in shown and "analyze" in shown

    main(["dlq", "redrive"])
    out = capsys.readouterr().out
    assert "redriven 2, kept 0" in out, out
    assert "record put back on framewatch-frames (partition key porch" in out
    # the analyze-stage frame is analysed and recorded now
    frames = _frames(stack, "drive")
    assert len(frames) == 1 and json.loads(frames[0]["labels"]["S"])  # enriched with labels
    # nothing was fixed about the poison record: it comes back to the queue, with its reason
    again = _wait(lambda: [m for m in _messages(stack) if m.get("stage") == "ingest"])
    assert base64.b64decode(again[0]["data"]) == b"not a frame"
    assert not [m for m in _messages(stack) if m.get("stage") == "analyze"]


def test_an_oversize_record_is_kept_with_its_reason(stack: EmbeddedStack, capsys) -> None:  # type: ignore[no-untyped-def]
    url = stack.resource("DeadLetterQueue")
    client("sqs").purge_queue(QueueUrl=url)
    client("sqs").send_message(
        QueueUrl=url,
        MessageBody=json.dumps(
            {"stage": "ingest", "reason": "record too large", "partition_key": "cam", "data_bytes": 900_000}
        ),
    )
    capsys.readouterr()
    assert main(["dlq", "redrive"]) == 1
    out = capsys.readouterr().out
    assert "too large to keep in the message" in out and "kept 1" in out
    assert len(_messages(stack)) == 1  # still there


def test_purge_deletes_old_frames_alerts_and_objects_and_keeps_new_ones(
    stack: EmbeddedStack, tmp_path: Path
) -> None:
    dynamodb, s3 = client("dynamodb"), client("s3")
    now = datetime.now(UTC)
    for camera, captured in (("old", now - timedelta(days=10)), ("new", now - timedelta(hours=1))):
        stamp = captured.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        key = f"frames/{camera}/{captured:%Y/%m/%d}/{camera}-1.jpg"
        s3.put_object(Bucket=stack.media_bucket, Key=key, Body=b"jpeg")
        dynamodb.put_item(
            TableName=stack.resource("FramesTable"),
            Item={
                "camera_id": {"S": camera},
                "frame_key": {"S": f"{stamp}#{camera}-1"},
                "frame_id": {"S": f"{camera}-1"},
                "captured_at": {"S": stamp},
                "day": {"S": stamp[:10]},
                "bucket": {"S": stack.media_bucket},
                "s3_key": {"S": key},
            },
        )
        dynamodb.put_item(
            TableName=stack.resource("AlertsTable"),
            Item={
                "day": {"S": stamp[:10]},
                "alert_key": {"S": f"{stamp}#{camera}-alert"},
                "status": {"S": "sent"},
            },
        )
    assert main(["purge", "--older-than", "7", "--dry-run"]) == 0
    assert len(_frames(stack, "old")) == 1
    assert main(["purge", "--older-than", "7"]) == 0
    assert _frames(stack, "old") == [] and len(_frames(stack, "new")) == 1
    listed = s3.list_objects_v2(Bucket=stack.media_bucket, Prefix="frames/").get("Contents", [])
    keys = [o["Key"] for o in listed]
    assert not [k for k in keys if k.startswith("frames/old/")]
    assert [k for k in keys if k.startswith("frames/new/")]
    alerts = dynamodb.scan(TableName=stack.resource("AlertsTable"))["Items"]
    assert not [a for a in alerts if a["alert_key"]["S"].endswith("#old-alert")]
    assert [a for a in alerts if a["alert_key"]["S"].endswith("#new-alert")]
