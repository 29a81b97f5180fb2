"""AnalyzeFrames, executed from the real ASL on the embedded stack, fed through Kinesis and the pipe."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from framewatch.aws.clients import client
from framewatch.embedded import report

from ..support.frames import ClipFrames, Pipeline, wait_for
from .conftest import start_time


@pytest.fixture(scope="module")
def bikes(clip_frames: ClipFrames) -> dict[int, bytes]:
    return clip_frames("bikes.mp4", [0, 25, 50, 125, 150])


@pytest.fixture(scope="module")
def cars(clip_frames: ClipFrames) -> dict[int, bytes]:
    """One car in both frames: a confirmed track, one alert."""
    return clip_frames("bikes.mp4", [140, 150])


def frames_of(stack, camera: str) -> list[report.FrameRow]:  # type: ignore[no-untyped-def]
    return [f for f in report.frames(stack.resource("FramesTable")) if f.camera_id == camera]


def alerts_of(stack, camera: str) -> list[report.AlertRow]:  # type: ignore[no-untyped-def]
    return [a for a in report.alerts(stack.resource("AlertsTable")) if a.camera_id == camera]


def sns_messages(stack, camera: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """Every SNS notification delivered to the local sink so far (kept in the queue for later reads)."""
    sqs = client("sqs")
    seen: dict[str, dict] = {}
    for _ in range(20):
        batch = sqs.receive_message(
            QueueUrl=stack.alert_sink_url, MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages", [])
        if not batch:
            break
        for message in batch:
            seen.setdefault(message["MessageId"], json.loads(message["Body"]))
    return [m for m in seen.values() if m["MessageAttributes"]["camera_id"]["Value"] == camera]


def test_frames_are_detected_recorded_and_alerted_once_per_subject(
    bikes: dict[int, bytes], stack, pipeline: Pipeline
) -> None:
    t0 = start_time()
    records = [
        pipeline.record("driveway", bikes[i], seq=n, at=t0 + timedelta(seconds=n))
        for n, i in enumerate(sorted(bikes))
    ]
    pipeline.put(records, "driveway")

    frames = frames_of(stack, "driveway")
    assert len(frames) == len(records)
    seen = Counter(label["name"] for frame in frames for label in frame.labels)
    assert seen["Person"] >= 2 and seen["Car"] >= 1 and seen["Bicycle"] + seen["Motorcycle"] >= 1, seen
    person = next(label for label in frames[0].labels if label["name"] == "Person")
    box = person["instances"][0]["box"]
    assert 0 <= box["left"] <= 1 and 0 < box["width"] <= 1 and 0 < box["height"] <= 1
    assert all(f.execution_id.startswith("arn:aws:states:") for f in frames)

    # One alert per incident, and every alert is about an incident on record.
    sent = alerts_of(stack, "driveway")
    incidents = [i for i in report.incidents(stack.resource("IncidentsTable")) if i.camera_id == "driveway"]
    assert incidents and sent
    assert all(count == 1 for count in Counter(a.incident_id for a in sent).values())
    assert {a.incident_id for a in sent} <= {i.incident_id for i in incidents}
    assert all(a.status == "sent" for a in sent)

    delivered = sns_messages(stack, "driveway")
    assert len(delivered) == len(sent)
    for message in delivered:
        assert re.fullmatch(r".+ at driveway, \d\d:\d\d, \d+%", message["Subject"]), message["Subject"]
        attributes = {k: v["Value"] for k, v in message["MessageAttributes"].items()}
        assert "s3://" not in message["Message"] and attributes["incident_id"] in message["Message"]
        assert set(attributes) >= {"camera_id", "rule", "label", "severity", "incident_id"}
        assert attributes["incident_id"] in {i.incident_id for i in incidents}


def test_replayed_batch_adds_no_frames_and_no_alerts(
    cars: dict[int, bytes], stack, pipeline: Pipeline
) -> None:
    t0 = start_time()
    records = [
        pipeline.record("porch", cars[i], seq=n, at=t0 + timedelta(seconds=n)) for n, i in enumerate(cars)
    ]
    pipeline.put(records, "porch")
    frames_before = frames_of(stack, "porch")
    alerts_before = sorted((a.alert_key, a.status) for a in alerts_of(stack, "porch"))
    messages_before = len(sns_messages(stack, "porch"))
    assert len(frames_before) == 2 and messages_before >= 1

    pipeline.put(records, "porch")  # Kinesis at-least-once: the same records again

    assert [f.frame_key for f in frames_of(stack, "porch")] == [f.frame_key for f in frames_before]
    assert sorted((a.alert_key, a.status) for a in alerts_of(stack, "porch")) == alerts_before
    assert len(sns_messages(stack, "porch")) == messages_before


def test_throttled_vision_calls_are_retried_and_the_frame_is_enriched(
    bikes: dict[int, bytes], stack, pipeline: Pipeline
) -> None:
    requests.post(
        f"{stack.vision_url}/_framewatch/faults", json={"throttle_next": 3}, timeout=5
    ).raise_for_status()
    executions_before = len(stack.pipes[0].stats.execution_arns)
    pipeline.put([pipeline.record("garage", bikes[0], seq=0, at=start_time())], "garage")

    assert len(frames_of(stack, "garage")) == 1
    arn = stack.pipes[0].stats.execution_arns[executions_before]
    sfn = client("stepfunctions")
    assert sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"
    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    throttled = [
        e
        for e in history
        if e["type"] == "TaskFailed"
        and e["taskFailedEventDetails"]["error"] == "ProvisionedThroughputExceededException"
    ]
    assert len(throttled) == 3
    assert "dead_lettered" not in sfn.describe_execution(executionArn=arn)["output"]


def test_poison_records_go_to_the_dead_letter_queue_with_reasons(
    bikes: dict[int, bytes], stack, pipeline: Pipeline
) -> None:
    t0 = start_time()
    huge_key = f"claim-check/yard/{uuid.uuid4().hex}.jpg"
    client("s3").put_object(
        Bucket=stack.media_bucket, Key=huge_key, Body=b"\xff\xd8\xff\xe0" + bytes(20 * 1024 * 1024)
    )
    good = pipeline.record("yard", bikes[50], seq=0, at=t0)
    corrupt = pipeline.record("yard", b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 50, seq=1, at=t0)
    empty = pipeline.record("yard", b"", seq=2, at=t0)
    oversize = pipeline.record("yard", None, seq=3, at=t0, s3_key=huge_key)
    truncated = good[: len(good) // 2]
    future = json.dumps({**json.loads(good), "v": 2, "frame_id": "yard-v2"}).encode()
    pipeline.put([good, corrupt, empty, oversize, truncated, future], "yard")

    assert len(frames_of(stack, "yard")) == 1  # the good frame went through despite its neighbours
    sqs = client("sqs")
    queue = stack.resource("DeadLetterQueue")
    bodies = []
    while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
        "Messages", []
    ):
        bodies += [json.loads(m["Body"]) for m in batch]
        for message in batch:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    reasons = [b.get("reason", "") for b in bodies if b.get("stage") == "ingest"]
    assert len(bodies) == 5, bodies
    assert any("not JSON" in r or "invalid frame record" in r for r in reasons), reasons
    assert any("unsupported record version 2" in r for r in reasons), reasons
    assert any("0 bytes" in r for r in reasons), reasons
    assert any("the limit is" in r for r in reasons), reasons
    corrupt_reports = [
        b for b in bodies if "corrupt JPEG" in json.dumps(b) or "InvalidImageFormatException" in json.dumps(b)
    ]
    assert len(corrupt_reports) == 1, bodies


def test_an_uploaded_photo_is_analysed_by_the_event_rule(bikes: dict[int, bytes], stack) -> None:
    upload_id = uuid.uuid4().hex
    client("s3").put_object(
        Bucket=stack.media_bucket, Key=f"uploads/{upload_id}.jpg", Body=bikes[125], ContentType="image/jpeg"
    )
    frame = wait_for(
        lambda: next((f for f in frames_of(stack, "uploads") if f.frame_id == f"upload-{upload_id}"), None),
        what="the uploaded photo's frame",
    )
    assert any(label["name"] in {"Bicycle", "Motorcycle", "Person"} for label in frame.labels)
    assert not stack.router.errors


def test_faces_are_looked_for_only_in_frames_where_a_person_was_found(stack, pipeline: Pipeline) -> None:
    import cv2
    import numpy as np

    empty = cv2.imencode(".jpg", np.full((272, 640, 3), 128, dtype=np.uint8))[1].tobytes()
    from framewatch.media import clip_jpegs

    people = clip_jpegs("bikes.mp4", [120])[120]  # two people
    t0 = start_time()
    executions_before = len(stack.pipes[0].stats.execution_arns)
    records = [
        pipeline.record("stairs", jpeg, seq=n, at=t0 + timedelta(seconds=n))
        for n, jpeg in enumerate([empty, people, empty])
    ]
    pipeline.put(records, "stairs")

    frames = frames_of(stack, "stairs")
    assert [any(label["name"] == "Person" for label in f.labels) for f in frames] == [False, True, False]
    [arn] = stack.pipes[0].stats.execution_arns[executions_before:]
    history = client("stepfunctions").get_execution_history(executionArn=arn, maxResults=1000)["events"]
    entered = Counter(
        e["stateEnteredEventDetails"]["name"] for e in history if e["type"].endswith("StateEntered")
    )
    assert entered["Detect labels"] == 3
    assert entered["Find and identify faces"] == 1  # only the frame with people
    assert entered["No faces to look for"] == 2


def _environment_of(pid: int) -> dict[str, str]:
    entries = Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
    return dict(entry.split("=", 1) for entry in entries if "=" in entry)


def test_each_function_runs_in_its_own_workers_with_only_its_environment(stack) -> None:  # type: ignore[no-untyped-def]
    functions = sorted(stack.runtime.functions)
    variables = {name: stack.runtime.spec(name).environment for name in functions}
    for name in functions:
        pids = stack.runtime.worker_pids(name)
        assert pids and os.getpid() not in pids, name
        for pid in pids:
            environment = _environment_of(pid)
            assert environment["AWS_LAMBDA_FUNCTION_NAME"] == name
            assert environment["AWS_ENDPOINT_URL"] == stack.moto_url  # the emulator, not AWS
            assert {k: environment.get(k) for k in variables[name]} == variables[name]
            others = {k for other in functions if other != name for k in variables[other]} - set(
                variables[name]
            )
            assert not others & set(environment), (name, others & set(environment))
    # The stack's own process was given none of the functions' variables.
    assert "WATCHLIST_KEY" not in os.environ and "FRAMES_TABLE" not in os.environ
