"""template.yaml and the ASL files: lint-clean, translatable, fully creatable, and consistent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint
from moto import mock_aws

from framewatch.aws import clients
from framewatch.embedded.deployer import SERVED_LOCALLY, Deployer
from framewatch.embedded.template import REPO_ROOT, TEMPLATE, translate
from framewatch.errors import UserError
from framewatch.vision.server import serve_in_thread

STATEMACHINES = REPO_ROOT / "statemachines"


def test_template_is_cfn_lint_clean() -> None:
    matches = lint(TEMPLATE.read_text(), config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    problems = [str(m) for m in matches if m.rule.id[0] in "EW"]  # I-rules are suggestions
    assert problems == []


@pytest.fixture()
def emulated_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """moto in-process, and framewatch's vision service for Rekognition (moto has no collections)."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    vision = serve_in_thread("127.0.0.1", 0, tmp_path / "vision")
    monkeypatch.setenv("AWS_ENDPOINT_URL_REKOGNITION", vision.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    clients.reset()
    with mock_aws():
        yield
    vision.stop()
    clients.reset()


def test_every_declared_resource_is_created_or_served_locally(emulated_aws: None) -> None:
    cloudformation = translate()
    deployed = Deployer(cloudformation, "fwtest", "us-east-1").deploy()
    declared = {lid for lid, r in cloudformation["Resources"].items() if "Condition" not in r}
    assert declared <= set(deployed.refs)
    # Served locally: every resource of those kinds, each with the reason, and none made in the emulator.
    assert deployed.served_locally == {
        logical: SERVED_LOCALLY[kind] for logical, kind in deployed.types.items() if kind in SERVED_LOCALLY
    }
    assert "FramesApi" in deployed.served_locally
    assert clients.client("apigateway").get_rest_apis()["items"] == []
    assert clients.client("lambda").list_layers()["Layers"] == []
    created = {lid for lid in deployed.types if lid not in deployed.served_locally}
    assert {
        "FramesStream",
        "MediaBucket",
        "FramesTable",
        "AnalyzeFramesStateMachine",
        "FramesPipe",
        "IngestFunction",
        "FacesCollection",
    } <= created
    # Created: each exists in the emulator under the name the stack reports.
    refs = deployed.refs
    assert clients.client("dynamodb").describe_table(TableName=refs["FramesTable"])["Table"]["TableStatus"]
    assert refs["FramesStream"] in clients.client("kinesis").list_streams()["StreamNames"]
    clients.client("s3").head_bucket(Bucket=refs["MediaBucket"])
    clients.client("stepfunctions").describe_state_machine(stateMachineArn=refs["AnalyzeFramesStateMachine"])
    clients.client("lambda").get_function(FunctionName=refs["IngestFunction"])
    sfn = clients.client("stepfunctions")
    analyze = sfn.describe_state_machine(stateMachineArn=deployed.physical("AnalyzeFramesStateMachine"))
    assert analyze["type"] == "EXPRESS"
    assert "${" not in analyze["definition"]  # every DefinitionSubstitution applied
    assert json.loads(analyze["definition"])["StartAt"] == "Where did the frames come from?"
    assert deployed.outputs["StreamName"] == "fwtest-frames"


def test_a_state_referring_to_a_missing_resource_names_it(emulated_aws: None, tmp_path: Path) -> None:
    text = TEMPLATE.read_text().replace("        DeadLetterQueueUrl: !Ref DeadLetterQueue\n", "", 1)
    for name in ("analyze_frames.asl.json", "enroll_face.asl.json"):
        text = text.replace(f"statemachines/{name}", str(STATEMACHINES / name))
    broken = tmp_path / "template.yaml"
    broken.write_text(text)
    with pytest.raises(UserError, match="no substitution for DeadLetterQueueUrl"):
        Deployer(translate(broken), "fwtest", "us-east-1").deploy()


def _task_states(states: dict, path: str = "") -> list[tuple[str, dict]]:
    found = []
    for name, state in states.items():
        if state["Type"] == "Task":
            found.append((path + name, state))
        for branch in state.get("Branches", []):
            found += _task_states(branch["States"], f"{path}{name}/")
        if "ItemProcessor" in state:
            found += _task_states(state["ItemProcessor"]["States"], f"{path}{name}/")
    return found


@pytest.mark.parametrize("name", ["analyze_frames.asl.json", "enroll_face.asl.json"])
def test_every_task_retries_transient_errors(name: str) -> None:
    definition = json.loads((STATEMACHINES / name).read_text())
    for state_name, state in _task_states(definition["States"]):
        errors = {e for retrier in state.get("Retry", []) for e in retrier["ErrorEquals"]}
        assert errors, f"{state_name} has no Retry"
        assert not errors & {"States.ALL", "States.TaskFailed"}, f"{state_name} retries everything"


def test_every_per_frame_step_that_can_fail_ends_in_the_dead_letter_queue() -> None:
    definition = json.loads((STATEMACHINES / "analyze_frames.asl.json").read_text())
    per_frame = definition["States"]["Analyze each frame"]["ItemProcessor"]["States"]
    for name in ("Detect labels", "Find and identify faces", "Record frame", "Evaluate watch list"):
        catchers = per_frame[name]["Catch"]
        assert any(
            "States.ALL" in c["ErrorEquals"] and c["Next"] == "Send frame to dead-letter queue"
            for c in catchers
        ), name
    tracking = definition["States"]["Track objects"]
    assert tracking["Catch"][0]["Next"] == "Send batch to dead-letter queue"
    assert "TrackStateConflict" in tracking["Retry"][0]["ErrorEquals"]  # a lost race is retried
    alerting = definition["States"]["Send each alert"]
    assert alerting["MaxConcurrency"] == 1  # alerts go out oldest first
    assert alerting["Catch"][0]["Next"] == "Send failed alerts to dead-letter queue"
