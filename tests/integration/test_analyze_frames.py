"""AnalyzeFrames, executed from the real ASL on the embedded stack, fed through Kinesis and the pipe.

The delivery faults (replay, throttled vision, poison records) have their one home in
tests/faults/test_delivery_faults.py."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from framewatch.aws.clients import client
from framewatch.embedded import report

from ..support.frames import ClipFrames, Pipeline, wait_for
from .conftest import start_time


@pytest.fixture(scope="module")
def bikes(clip_frames: ClipFrames) -> dict[int, bytes]:
    return clip_frames("bikes.mp4", [0, 25, 50, 125, 150])


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
    [arn] = list(stack.pipes[0].stats.execution_arns)[executions_before:]
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
