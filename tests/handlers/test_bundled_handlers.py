"""functions/bundled end to end in-process: the stack deployed into moto with DetectorBackend=bundled,
each handler run with exactly the environment the template gives its function, no Rekognition at all.

Enrolment writes the face's embedding to the bucket (faces/<collection>/<person>/<face>.json), a
frame of the same person is then named from it, and the bundled object detector answers in
Rekognition's shape.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from framewatch.api.local_server import LambdaContext
from framewatch.aws import clients
from framewatch.embedded.deployer import Deployed, Deployer
from framewatch.embedded.template import local_path, translate
from framewatch.settings import PipelineSettings, forget_settings
from framewatch.vision.server import serve_in_thread

from ..support.frames import ClipFrames

EVENTS = Path(__file__).parents[1] / "events"
# Every variable any function reads: each handler starts with none of them but its own.
FRAMEWATCH_VARIABLES = {name.upper() for name in PipelineSettings.model_fields} | {"FRAMES_TABLE"}
BUNDLED = ("BundledDetectObjectsFunction", "BundledIdentifyFacesFunction", "BundledEnrollFunction")


def event(name: str) -> Any:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Deployed, str]]:
    patch = pytest.MonkeyPatch()
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", *FRAMEWATCH_VARIABLES):
        patch.delenv(key, raising=False)
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # The stack still creates its Rekognition collection (moto has none): the vision service serves
    # that during the deploy only, then stops, so a bundled handler calling Rekognition would fail.
    vision = serve_in_thread("127.0.0.1", 0, tmp_path_factory.mktemp("vision"))
    patch.setenv("AWS_ENDPOINT_URL_REKOGNITION", vision.url)
    clients.reset()
    with mock_aws():
        stack = Deployer(translate(), "fwb", "us-east-1", {"DetectorBackend": "bundled"}).deploy()
        vision.stop()
        clients.reset()
        yield stack, stack.refs["MediaBucket"]
    clients.reset()
    forget_settings()
    patch.undo()


@pytest.fixture
def invoke(deployed: tuple[Deployed, str], monkeypatch: pytest.MonkeyPatch) -> Callable[[str, Any], Any]:
    """Calls a bundled function's handler as Lambda would, in the environment the template gives it."""
    stack, _ = deployed

    def call(logical_id: str, payload: Any) -> Any:
        [props] = [p for p in stack.functions.values() if p["LogicalId"] == logical_id]
        for key in FRAMEWATCH_VARIABLES:
            monkeypatch.delenv(key, raising=False)
        for key, value in props.get("Environment", {}).get("Variables", {}).items():
            monkeypatch.setenv(key, str(value))
        monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
        forget_settings()
        module_name, _, handler_name = props["Handler"].rpartition(".")
        path = local_path(props["Code"]) / f"{module_name}.py"
        spec = importlib.util.spec_from_file_location(f"handler_{uuid.uuid4().hex}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, spec.name, module)  # pydantic resolves annotations through it
        spec.loader.exec_module(module)
        context = LambdaContext(aws_request_id=str(uuid.uuid4()), function_name=props["FunctionName"])
        return getattr(module, handler_name)(payload, context)

    return call


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
