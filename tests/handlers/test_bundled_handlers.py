"""functions/bundled end to end in-process: the stack deployed into moto with DetectorBackend=bundled,
each handler run with exactly the environment the template gives its function, no Rekognition at all.

Enrolment writes the face's embedding to the bucket (faces/<collection>/<person>/<face>.json), a
frame of the same person is then named from it, and the bundled object detector answers in
Rekognition's shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from framewatch.aws import clients
from framewatch.embedded.deployer import Deployed

from ..support.frames import ClipFrames
from ..support.handlers import deployed_stack, event, handler_invoker

BUNDLED = ("BundledDetectObjectsFunction", "BundledIdentifyFacesFunction", "BundledEnrollFunction")


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Deployed, str]]:
    # The stack still creates its Rekognition collection (moto has none): the vision service serves
    # that during the deploy only, so a bundled handler calling Rekognition would fail.
    vision_dir = tmp_path_factory.mktemp("vision")
    with deployed_stack(
        vision_dir, "fwb", {"DetectorBackend": "bundled"}, vision_during_deploy_only=True
    ) as stack:
        yield stack, stack.refs["MediaBucket"]


@pytest.fixture
def invoke(deployed: tuple[Deployed, str], monkeypatch: pytest.MonkeyPatch) -> Callable[[str, Any], Any]:
    """Calls a bundled function's handler as Lambda would, in the environment the template gives it."""
    return handler_invoker(deployed[0], monkeypatch)


def test_the_bundled_functions_are_deployed_with_the_vision_layer_only(
    deployed: tuple[Deployed, str],
) -> None:
    stack, _ = deployed
    found = {p["LogicalId"]: p for p in stack.functions.values() if p["LogicalId"] in BUNDLED}
    assert sorted(found) == sorted(BUNDLED)


def test_the_bundled_detector_labels_a_stored_frame(
    deployed: tuple[Deployed, str], invoke: Callable[[str, Any], Any], clip_frames: ClipFrames
) -> None:
    _, bucket = deployed
    frame = event("detect_frame_ref.json") | {"bucket": bucket}
    # Frame 40: the cyclist in front of the parked cars.
    clients.client("s3").put_object(
        Bucket=bucket, Key=frame["s3_key"], Body=clip_frames("bikes.mp4", [40])[40]
    )
    answer = invoke("BundledDetectObjectsFunction", frame)
    labels = {label["name"]: label for label in answer["labels"]}
    assert {"Person", "Car"} <= set(labels), sorted(labels)
    assert answer["person_seen"] is True
    # Rekognition's shape: instances with boxes as ratios, parents as labels of their own.
    car = labels["Car"]
    assert car["instances"] and all(0 <= i["box"]["left"] <= 1 for i in car["instances"])
    assert "Vehicle" in car["parents"] and "Vehicle" in labels


def test_a_face_enrolled_by_its_photo_is_kept_in_the_bucket_and_named_in_a_frame(
    deployed: tuple[Deployed, str], invoke: Callable[[str, Any], Any], clip_frames: ClipFrames
) -> None:
    stack, bucket = deployed
    s3 = clients.client("s3")
    faces = clip_frames("carphone_pristine.mp4", [0, 90])
    s3.put_object(Bucket=bucket, Key="enroll/grace-hopper/photo.jpg", Body=faces[0])
    created = event("enroll_object_created.json")
    created["detail"]["bucket"]["name"] = bucket
    outcome = invoke("BundledEnrollFunction", created)
    assert (outcome["person_id"], outcome["status"]) == ("grace-hopper", "enrolled"), outcome

    collection = stack.parameters["CollectionId"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="faces/")
    keys = [entry["Key"] for entry in listed.get("Contents", [])]
    assert keys == [f"faces/{collection}/grace-hopper/{outcome['face_id']}.json"]
    stored = json.loads(s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read())
    assert (stored["face_id"], stored["external_image_id"]) == (outcome["face_id"], "grace-hopper")

    item = {"person_id": {"S": "grace-hopper"}, "display_name": {"S": "Grace Hopper"}}
    clients.client("dynamodb").put_item(TableName=stack.refs["PeopleTable"], Item=item)
    frame = event("detect_frame_ref.json") | {"bucket": bucket, "s3_key": "frames/door/90.jpg"}
    s3.put_object(Bucket=bucket, Key=frame["s3_key"], Body=faces[90])
    [face] = invoke("BundledIdentifyFacesFunction", frame)["faces"]
    assert (face["person_id"], face["person_name"]) == ("grace-hopper", "Grace Hopper")
    assert face["face_id"] == outcome["face_id"] and face["similarity"] >= 80


def test_a_stranger_is_not_named(
    deployed: tuple[Deployed, str], invoke: Callable[[str, Any], Any], clip_frames: ClipFrames
) -> None:
    """The man on bikes.mp4 is nobody registered: his face is found, and named by no one."""
    _, bucket = deployed
    frame = event("detect_frame_ref.json") | {"bucket": bucket, "s3_key": "frames/door/bikes-35.jpg"}
    clients.client("s3").put_object(
        Bucket=bucket, Key=frame["s3_key"], Body=clip_frames("bikes.mp4", [35])[35]
    )
    faces = invoke("BundledIdentifyFacesFunction", frame)["faces"]
    assert faces and all(face["person_id"] is None for face in faces)
