"""Every functions/*/app.py fed its sample event from tests/events/, Powertools style.

The template is deployed once into moto (in-process) with framewatch's vision service as Rekognition;
each handler then runs with exactly the environment the template gives its function, so a variable a
function needs but is not given fails here, not on the first deploy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from framewatch.aws import clients
from framewatch.embedded.deployer import Deployed

from ..support.frames import ClipFrames
from ..support.handlers import deployed_stack, event, handler_invoker

WATCHLIST = "rules:\n  - name: vehicle\n    labels: [Vehicle]\n    min_confidence: 45\n"


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Deployed, str]]:
    with deployed_stack(tmp_path_factory.mktemp("vision"), "fwh") as stack:
        bucket = stack.refs["MediaBucket"]
        clients.client("s3").put_object(Bucket=bucket, Key="config/watchlist.yaml", Body=WATCHLIST.encode())
        yield stack, bucket


@pytest.fixture
def invoke(deployed: tuple[Deployed, str], monkeypatch: pytest.MonkeyPatch) -> Callable[[str, Any], Any]:
    """Calls a function's handler as Lambda would, in the environment the template gives it."""
    return handler_invoker(deployed[0], monkeypatch)


def s3_body(bucket: str, key: str) -> bytes:
    return bytes(clients.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def test_ingest_stores_the_frame_and_dead_letters_the_bad_record(
    deployed: tuple[Deployed, str], invoke: Callable[[str, Any], Any]
) -> None:
    stack, bucket = deployed
    [ref] = invoke("IngestFunction", event("ingest_pipes_batch.json"))
    assert (ref["camera_id"], ref["frame_id"], ref["bucket"]) == ("porch", "porch-1", bucket)
    assert s3_body(bucket, ref["s3_key"]).startswith(b"\xff\xd8\xff")
    queue = stack.refs["DeadLetterQueue"]
    [message] = clients.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    body = json.loads(message["Body"])
    assert body["sequence_number"].endswith("0002") and body["reason"].startswith("FrameRecordError")


def test_an_upload_becomes_a_one_frame_batch(
    deployed: tuple[Deployed, str], invoke: Callable[[str, Any], Any], clip_frames: ClipFrames
) -> None:
    _, bucket = deployed
    clients.client("s3").put_object(
        Bucket=bucket, Key="uploads/photo_1.jpg", Body=clip_frames("bikes.mp4", [0])[0]
    )
    created = event("describe_upload_object_created.json")
    created["detail"]["bucket"]["name"] = bucket
    [ref] = invoke("DescribeUploadFunction", created)
    assert (ref["camera_id"], ref["frame_id"], ref["source"]) == ("uploads", "upload-photo_1", "upload")
    assert (ref["width"], ref["height"], ref["captured_at"]) == (640, 272, "2026-05-01T12:30:00.000Z")


def test_labels_of_a_stored_frame(
    deployed: tuple[Deployed, str], invoke: Callable[[str, Any], Any], clip_frames: ClipFrames
) -> None:
    _, bucket = deployed
    frame = event("detect_frame_ref.json") | {"bucket": bucket}
    clients.client("s3").put_object(
        Bucket=bucket, Key=frame["s3_key"], Body=clip_frames("bikes.mp4", [140])[140]
    )
    labels = invoke("DetectLabelsFunction", frame)["labels"]
    assert "Car" in {label["name"] for label in labels}


def test_a_face_enrolled_by_its_photo_is_named_in_a_frame(
    deployed: tuple[Deployed, str], invoke: Callable[[str, Any], Any], clip_frames: ClipFrames
) -> None:
    stack, bucket = deployed
    faces = clip_frames("carphone_pristine.mp4", [0, 90])
    clients.client("s3").put_object(Bucket=bucket, Key="enroll/grace-hopper/photo.jpg", Body=faces[0])
    created = event("enroll_object_created.json")
    created["detail"]["bucket"]["name"] = bucket
    outcome = invoke("EnrollFunction", created)
    assert (outcome["person_id"], outcome["status"]) == ("grace-hopper", "enrolled")

    people = stack.refs["PeopleTable"]
    item = {"person_id": {"S": "grace-hopper"}, "display_name": {"S": "Grace Hopper"}}
    clients.client("dynamodb").put_item(TableName=people, Item=item)
    frame = event("detect_frame_ref.json") | {"bucket": bucket, "s3_key": "frames/door/90.jpg"}
    clients.client("s3").put_object(Bucket=bucket, Key=frame["s3_key"], Body=faces[90])
    [face] = invoke("IdentifyFacesFunction", frame)["faces"]
    assert (face["person_id"], face["person_name"]) == ("grace-hopper", "Grace Hopper")


def test_evaluate_keeps_what_the_watch_list_watches(
    deployed: tuple[Deployed, str], invoke: Callable[[str, Any], Any]
) -> None:
    observed = invoke("EvaluateFunction", event("evaluate_frame.json"))["observations"]
    # The person and the cat are not on this watch list (vehicles only): nothing to track.
    assert observed == []
    vehicle = event("evaluate_frame.json")
    vehicle["detections"]["labels"][0] |= {"name": "Car", "parents": ["Vehicle"]}
    [seen] = invoke("EvaluateFunction", vehicle)["observations"]
    assert (seen["label"], seen["family"], seen["rules"]) == ("Car", "Vehicle", ["vehicle"])


def test_track_opens_one_incident_and_decides_its_alert(
    deployed: tuple[Deployed, str], invoke: Callable[[str, Any], Any]
) -> None:
    stack, _ = deployed
    batch = event("track_batch.json")
    [alert] = invoke("TrackFunction", batch)["alerts"]
    assert (alert["camera_id"], alert["rule"]) == ("gate", "vehicle")
    # A replay decides nothing new; the alert nobody marked sent is still pending, so it comes again.
    assert [a["alert_id"] for a in invoke("TrackFunction", batch)["alerts"]] == [alert["alert_id"]]
    incidents = clients.client("dynamodb").scan(TableName=stack.refs["IncidentsTable"])["Items"]
    assert [i["camera_id"]["S"] for i in incidents] == ["gate"]


def test_the_schedule_ends_the_incidents_of_a_camera_that_went_silent(
    deployed: tuple[Deployed, str], invoke: Callable[[str, Any], Any]
) -> None:
    stack, _ = deployed
    batch = event("track_batch.json")
    for analyzed in batch["frames"]:
        analyzed["frame"]["camera_id"] = "yard"
        analyzed["frame"]["frame_key"] = analyzed["frame"]["frame_key"].replace("gate", "yard")
    invoke("TrackFunction", batch)

    def yard() -> list[str]:
        items = clients.client("dynamodb").scan(TableName=stack.refs["IncidentsTable"])["Items"]
        return [i["state"]["S"] for i in items if i["camera_id"]["S"] == "yard"]

    assert yard() == ["active"]
    scheduled = event("scheduled_event.json")
    # Written just now: at the schedule's time the camera has not been silent long enough.
    scheduled["time"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert invoke("EndQuietIncidentsFunction", scheduled) == {"incidents_ended": 0}
    scheduled["time"] = (datetime.now(UTC) + timedelta(minutes=12)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert invoke("EndQuietIncidentsFunction", scheduled)["incidents_ended"] >= 1
    assert yard() == ["ended"]


def test_the_frames_api_lists_people(
    deployed: tuple[Deployed, str], invoke: Callable[[str, Any], Any]
) -> None:
    response = invoke("FramesApiFunction", event("frames_api_list_people.json"))
    assert response["statusCode"] == 200
    assert isinstance(json.loads(response["body"])["people"], list)
