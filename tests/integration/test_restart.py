"""The embedded stack keeps people, frames, alerts and images across a restart (snapshots)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from framewatch.aws.clients import client
from framewatch.embedded import report
from framewatch.embedded.stack import EmbeddedStack, StackOptions

from ..support.frames import ClipFrames, Pipeline, wait_for
from .conftest import WATCHLIST


@pytest.fixture(scope="module")
def face(clip_frames: ClipFrames) -> bytes:
    return clip_frames("carphone_pristine.mp4", [0])[0]


@pytest.fixture(scope="module")
def street(clip_frames: ClipFrames) -> dict[int, bytes]:
    """One car in both frames: an incident and its alert."""
    return clip_frames("bikes.mp4", [140, 150])


def test_data_survives_a_restart_and_enrollment_is_not_replayed(
    street: dict[int, bytes], face: bytes, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(WATCHLIST)
    options = StackOptions(
        data_dir=tmp_path / "data", watchlist=watchlist, serve_ui=False, snapshot_interval=0.5
    )
    with EmbeddedStack(options) as first:
        pipeline = Pipeline(first)
        now = datetime.now(UTC)
        records = [pipeline.record("gate", street[i], seq=n, at=now) for n, i in enumerate(street)]
        pipeline.put(records, "gate")
        people = first.resource("PeopleTable")
        client("dynamodb").put_item(
            TableName=people,
            Item={
                "person_id": {"S": "grace-hopper"},
                "display_name": {"S": "Grace Hopper"},
                "status": {"S": "pending"},
            },
        )
        client("s3").put_object(Bucket=first.media_bucket, Key="enroll/grace-hopper/a.jpg", Body=face)
        wait_for(
            lambda: (
                client("dynamodb").get_item(TableName=people, Key={"person_id": {"S": "grace-hopper"}})[
                    "Item"
                ]["status"]["S"]
                == "enrolled"
            ),
            what="enrollment",
        )
        frames_before = [f.frame_key for f in report.frames(first.resource("FramesTable"))]
        alerts_before = [(a.alert_key, a.status) for a in report.alerts(first.resource("AlertsTable"))]
        incidents_before = report.incidents(first.resource("IncidentsTable"))
        assert len(frames_before) == 2 and alerts_before and incidents_before
        workers = first.runtime.worker_pids()
        assert len(workers) >= len(first.runtime.functions)  # one warm worker per function at least

    # The stop ended every Lambda worker: no process of the first stack lives on beside the second.
    assert [pid for pid in workers if Path(f"/proc/{pid}").exists()] == []

    # The tables' snapshot is the kept item file (no table files to scan and write every pass).
    snapshot = tmp_path / "data" / "snapshot"
    assert (snapshot / "dynamodb.sqlite3").is_file() and not (snapshot / "tables").exists()
    # Likewise the bucket's: the kept object index and bodies (no copies of every image).
    assert (snapshot / "s3.sqlite3").is_file() and not (snapshot / "objects").exists()

    with EmbeddedStack(options) as second:
        assert second.restored["FramesTable"] == 2
        assert [f.frame_key for f in report.frames(second.resource("FramesTable"))] == frames_before
        alerts_after = [(a.alert_key, a.status) for a in report.alerts(second.resource("AlertsTable"))]
        assert alerts_after == alerts_before
        assert report.incidents(second.resource("IncidentsTable")) == incidents_before
        person = client("dynamodb").get_item(
            TableName=second.resource("PeopleTable"), Key={"person_id": {"S": "grace-hopper"}}
        )["Item"]
        assert person["status"]["S"] == "enrolled"
        assert second.objects_restored(timeout=60)  # images come back in the background, newest first
        images = client("s3").list_objects_v2(Bucket=second.media_bucket)["Contents"]
        assert {o["Key"] for o in images} >= {
            "enroll/grace-hopper/a.jpg",
            *(f"frames/gate/{now:%Y/%m/%d}/{k.split('#')[1]}.jpg" for k in frames_before),
        }
        photo = client("s3").get_object(Bucket=second.media_bucket, Key="enroll/grace-hopper/a.jpg")
        assert photo["Body"].read() == face
        enrollments = client("stepfunctions").list_executions(
            stateMachineArn=second.resource("EnrollFaceStateMachine")
        )["executions"]
        assert enrollments == []  # restoring the photo did not enrol the face again
        faces = client("rekognition").list_faces(CollectionId="framewatch-faces")["Faces"]
        assert [f["ExternalImageId"] for f in faces] == ["grace-hopper"]
