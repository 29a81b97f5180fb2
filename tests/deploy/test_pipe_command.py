"""`framewatch pipe --stack NAME` and the LocalStack switches of the template (issue 12, item 4).

The command is tested against the embedded stack's endpoint with the stack's own Pipe stopped: a
stack without a Pipe, reached only through the AWS APIs, exactly what LocalStack offers."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from framewatch.aws.clients import client
from framewatch.core.frame_record import FrameRecord
from framewatch.embedded.deployer import Deployer
from framewatch.embedded.stack import EmbeddedStack, StackOptions
from framewatch.embedded.template import translate
from framewatch.ops import pipe as pipe_command
from framewatch.ops.resources import resolve

from ..support.frames import ClipFrames


def test_localstack_parameters_leave_out_the_pipe_and_the_collection_and_set_the_endpoint() -> None:
    parameters = {
        "DeployPipe": "false",
        "DeployFaceCollection": "false",
        "RekognitionEndpoint": "http://host.docker.internal:4599",
    }
    resolved = Deployer(translate(parameters=parameters), "fw", "us-east-1", parameters)
    template = resolved.template
    skipped = {
        logical
        for logical, resource in template["Resources"].items()
        if "Condition" in resource and not resolved._condition(resource["Condition"])
    }
    assert {"FramesPipe", "FramesPipeRole", "FacesCollection"} <= skipped
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    # Only the functions that call Rekognition are given its endpoint.
    endpoints = {
        resolved.resolve(f["Properties"]["Environment"]["Variables"]["AWS_ENDPOINT_URL_REKOGNITION"])
        for f in functions
        if "AWS_ENDPOINT_URL_REKOGNITION" in f["Properties"]["Environment"]["Variables"]
    }
    assert endpoints == {"http://host.docker.internal:4599"}


def test_on_aws_the_functions_keep_the_real_rekognition_endpoint() -> None:
    deployer = Deployer(translate(), "fw", "us-east-1", {})
    callers = set()
    for logical, resource in deployer.template["Resources"].items():
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        if resource["Type"] == "AWS::Lambda::Function" and "AWS_ENDPOINT_URL_REKOGNITION" in variables:
            callers.add(logical)
            endpoint = variables["AWS_ENDPOINT_URL_REKOGNITION"]
            assert deployer.resolve({"AWS_ENDPOINT_URL_REKOGNITION": endpoint}) == {}  # NoValue: left out
    assert callers == {
        "DetectLabelsFunction",
        "IdentifyFacesFunction",
        "EnrollFunction",
        "FramesApiFunction",
        "ConfirmIncidentsFunction",
    }


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    directory = tmp_path_factory.mktemp("pipe")
    (directory / "watchlist.yaml").write_text("rules:\n  - name: any\n    labels: [Vehicle]\n")
    options = StackOptions(
        data_dir=directory / "data", watchlist=directory / "watchlist.yaml", serve_ui=False
    )
    with EmbeddedStack(options) as running:
        for running_pipe in running.pipes:  # no Pipe in this stack, as with DeployPipe=false
            running_pipe.stop()
        running.pipes.clear()
        yield running


def test_framewatch_pipe_plays_the_pipe_against_an_endpoint(
    stack: EmbeddedStack, tmp_path: Path, clip_frames: ClipFrames
) -> None:
    jpeg = clip_frames("bikes.mp4", [0])[0]
    resources = resolve(stack.options.stack_name)
    stop, lines = threading.Event(), []
    runner = threading.Thread(
        target=lambda: lines.append(pipe_command.run(resources, tmp_path / "c.json", stop, lines.append, 0.2))
    )
    runner.start()
    try:
        records = [
            FrameRecord(
                camera_id="gate",
                frame_id=f"gate-{n}",
                captured_at=datetime.now(UTC),
                seq=n,
                width=640,
                height=272,
                image=base64.b64encode(jpeg).decode(),
            ).to_json()
            for n in range(3)
        ]
        client("kinesis").put_records(
            StreamName=resources.stream, Records=[{"Data": r, "PartitionKey": "gate"} for r in records]
        )
        deadline = time.monotonic() + 120
        frames: list = []
        while time.monotonic() < deadline and len(frames) < 3:
            frames = client("dynamodb").scan(TableName=resources.frames_table)["Items"]
            time.sleep(0.3)
        # A frame is recorded mid-workflow; the pipe counts it when the execution ends, and reports
        # on its next tick: wait for that line rather than stop before it (a loaded machine is slow).
        while time.monotonic() < deadline and not any("3 frames analysed" in str(line) for line in lines):
            time.sleep(0.2)
    finally:
        stop.set()
        runner.join(60)
    assert sorted(f["frame_id"]["S"] for f in frames) == ["gate-0", "gate-1", "gate-2"]
    assert lines[0].startswith(f"pipe {resources.stack}-frames: arn:aws:kinesis:")
    assert f"-> {resources.ingest_function} -> arn:aws:states:" in lines[0]
    pipe = lines[-1]
    assert pipe.stats.frames == 3 and pipe.stats.executions_succeeded >= 1
    assert any("3 records, 3 frames analysed" in line for line in lines[1:-1])


def test_framewatch_pipe_without_the_stack_says_what_to_do(stack: EmbeddedStack) -> None:
    from framewatch.errors import UserError

    with pytest.raises(UserError, match=r"stack nope is not complete here .*make localstack-deploy"):
        pipe_command.pipe_props(resolve("nope"))


def test_localstack_deploy_uses_the_switches_and_a_pinned_image() -> None:
    from framewatch.embedded.template import REPO_ROOT, load_sam

    script = (REPO_ROOT / "scripts/deploy.sh").read_text()
    localstack = script[script.index("  localstack)") :]
    parameters = load_sam()["Parameters"]
    for switch in ("DeployPipe=false", "DeployFaceCollection=false", "RekognitionEndpoint=$"):
        assert switch in localstack and switch.split("=")[0] in parameters, switch
    compose = (REPO_ROOT / "localstack/docker-compose.yml").read_text()
    (image,) = [line.split("image:", 1)[1].strip() for line in compose.splitlines() if "image:" in line]
    name, _, tag = image.partition(":")
    assert name == "localstack/localstack" and tag and tag != "latest"
