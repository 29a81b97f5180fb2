"""EnrollFace from the real ASL: an enroll/<person>/ upload indexes the face; later frames name the person."""

from __future__ import annotations

import json
from datetime import timedelta

import cv2
import numpy as np
import pytest

from framewatch.aws.clients import client
from framewatch.embedded import report

from ..support.frames import ClipFrames, Pipeline, wait_for
from .conftest import start_time


@pytest.fixture(scope="module")
def faces(clip_frames: ClipFrames) -> dict[int, bytes]:
    return clip_frames("carphone_pristine.mp4", [0, 90])


def person(stack, person_id: str) -> dict:  # type: ignore[no-untyped-def]
    item = (
        client("dynamodb")
        .get_item(TableName=stack.resource("PeopleTable"), Key={"person_id": {"S": person_id}})
        .get("Item", {})
    )
    return item


def register(stack, person_id: str, name: str, photo: bytes) -> dict:  # type: ignore[no-untyped-def]
    """What the frames API does on POST /api/people plus the browser's upload."""
    client("dynamodb").put_item(
        TableName=stack.resource("PeopleTable"),
        Item={"person_id": {"S": person_id}, "display_name": {"S": name}, "status": {"S": "pending"}},
    )
    client("s3").put_object(Bucket=stack.media_bucket, Key=f"enroll/{person_id}/photo.jpg", Body=photo)
    return wait_for(
        lambda: (p := person(stack, person_id)) and p["status"]["S"] != "pending" and p,
        what=f"enrollment of {person_id}",
    )


def enroll_executions(stack) -> list[dict]:  # type: ignore[no-untyped-def]
    sfn = client("stepfunctions")
    arn = stack.resource("EnrollFaceStateMachine")
    return [
        sfn.describe_execution(executionArn=e["executionArn"])
        for e in sfn.list_executions(stateMachineArn=arn)["executions"]
    ]


def test_enrolled_face_is_recognised_in_a_later_frame(
    faces: dict[int, bytes], stack, pipeline: Pipeline
) -> None:
    enrolled = register(stack, "grace-hopper", "Grace Hopper", faces[0])
    assert enrolled["status"]["S"] == "enrolled"
    assert len(enrolled["face_ids"]["SS"]) == 1

    # A person is named on an incident once two frames' face matches agree.
    t0 = start_time()
    later = [
        pipeline.record("door", faces[90], seq=n, at=t0 + timedelta(seconds=n), width=176, height=144)
        for n in range(2)
    ]
    pipeline.put(later, "door")
    frame = next(f for f in report.frames(stack.resource("FramesTable")) if f.camera_id == "door")
    assert frame.faces and frame.faces[0]["person_name"] == "Grace Hopper"
    assert frame.faces[0]["similarity"] >= 80
    alerts = [a for a in report.alerts(stack.resource("AlertsTable")) if a.camera_id == "door"]
    family = [a for a in alerts if a.rule == "family"]
    assert [(a.subject, a.status) for a in family] == [("grace-hopper", "sent")]
    assert family[0].subject_line.startswith("Grace Hopper at door, ")
    [incident] = [i for i in report.incidents(stack.resource("IncidentsTable")) if i.rule == "family"]
    assert (incident.person_name, incident.frame_count, incident.alert_status) == ("Grace Hopper", 2, "sent")
    assert "Grace Hopper" in family[0].message


def test_photo_without_a_face_ends_in_a_clear_failed_state(stack) -> None:  # type: ignore[no-untyped-def]
    blank = cv2.imencode(".jpg", np.full((240, 320, 3), 128, np.uint8))[1].tobytes()
    outcome = register(stack, "nobody", "Nobody", blank)
    assert outcome["status"]["S"] == "no_face"
    failed = wait_for(
        lambda: [
            e for e in enroll_executions(stack) if e["status"] == "FAILED" and "nobody" in e.get("input", "")
        ],
        what="the failed enrollment execution",
    )
    assert failed[0]["error"] == "NoFaceFound"


def test_photo_with_several_faces_is_refused(faces: dict[int, bytes], stack) -> None:
    face = cv2.imdecode(np.frombuffer(faces[0], np.uint8), cv2.IMREAD_COLOR)
    group = cv2.imencode(".jpg", np.hstack([face, cv2.flip(face, 1)]))[1].tobytes()
    outcome = register(stack, "two-people", "Two People", group)
    assert outcome["status"]["S"] == "several_faces"
    failed = wait_for(
        lambda: [
            e
            for e in enroll_executions(stack)
            if e["status"] == "FAILED" and "two-people" in json.dumps(e.get("input", ""))
        ],
        what="the refused enrollment execution",
    )
    assert failed[0]["error"] == "SeveralFacesFound"
