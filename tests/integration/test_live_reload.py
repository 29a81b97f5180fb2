"""Edit the workflow while it runs: a saved ASL edit reaches the next frame; an invalid one is
refused with one line naming the state, and the running workflow stays."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from framewatch.api import service
from framewatch.api.dal import AwsStore
from framewatch.aws.clients import client
from framewatch.embedded.stack import EmbeddedStack, StackOptions
from framewatch.embedded.template import REPO_ROOT
from framewatch.media import clip_jpegs

from ..support.frames import frames_api_settings
from .conftest import WATCHLIST, Pipeline, start_time

FRAME = clip_jpegs("bikes.mp4", [25])[25]


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedStack, Path, list[str]]]:
    """A stack run from a copy of the template and its ASL files, which the tests then edit."""
    folder = tmp_path_factory.mktemp("live")
    shutil.copy(REPO_ROOT / "template.yaml", folder / "template.yaml")
    shutil.copytree(REPO_ROOT / "statemachines", folder / "statemachines")
    watchlist = folder / "watchlist.yaml"
    watchlist.write_text(WATCHLIST)
    said: list[str] = []
    options = StackOptions(
        data_dir=folder / "data",
        watchlist=watchlist,
        template=folder / "template.yaml",
        serve_ui=False,
        watch=True,
        notify=said.append,
    )
    with EmbeddedStack(options) as running:
        running.live_reload.interval = 0.2
        yield running, folder / "statemachines" / "analyze_frames.asl.json", said


def _wait_for(said: list[str], start: int, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(said) > start:
            return said[start]
        time.sleep(0.1)
    raise AssertionError(f"the watcher said nothing; so far: {said}")


def _output_of_next_frame(stack: EmbeddedStack, seq: int) -> dict:  # type: ignore[type-arg]
    pipeline = Pipeline(stack)
    pipeline.sent = stack.pipes[0].stats.records
    before = len(stack.pipes[0].stats.execution_arns)
    pipeline.put([pipeline.record("live", FRAME, seq=seq, at=start_time(30 - seq))], "live")
    arn = stack.pipes[0].stats.execution_arns[before]
    desc = client("stepfunctions").describe_execution(executionArn=arn)
    assert desc["status"] == "SUCCEEDED", desc
    return json.loads(desc["output"])


def test_a_saved_asl_edit_reaches_the_next_frame(edited) -> None:  # type: ignore[no-untyped-def]
    stack, asl, said = edited
    assert _output_of_next_frame(stack, 0) == {"frames": 1}
    definition = json.loads(asl.read_text())
    definition["States"]["Summarize batch"]["Parameters"]["edited"] = "live"
    heard = len(said)
    asl.write_text(json.dumps(definition, indent=2))
    assert _wait_for(said, heard).startswith(f"applied {asl}")
    assert _output_of_next_frame(stack, 1) == {"frames": 1, "edited": "live"}
    # and the history of that execution, read from the log group, shows it too
    arn = stack.pipes[0].stats.execution_arns[-1]
    shaped = service.get_execution(AwsStore(frames_api_settings(stack)), arn)
    assert json.loads(shaped["execution"]["output"]) == {"frames": 1, "edited": "live"}


def test_an_invalid_edit_is_refused_and_the_running_workflow_kept(edited) -> None:  # type: ignore[no-untyped-def]
    stack, asl, said = edited
    arn = stack.resource("AnalyzeFramesStateMachine")
    running = client("stepfunctions").describe_state_machine(stateMachineArn=arn)["definition"]
    definition = json.loads(asl.read_text())
    definition["States"]["Batch analyzed"]["Next"] = "Nowhere"
    heard = len(said)
    asl.write_text(json.dumps(definition, indent=2))
    line = _wait_for(said, heard)
    assert line.startswith("edit refused, the running workflow is kept: ")
    assert "Batch analyzed" in line and "Nowhere" in line and "\n" not in line
    assert client("stepfunctions").describe_state_machine(stateMachineArn=arn)["definition"] == running
    assert _output_of_next_frame(stack, 2)["frames"] == 1  # frames still go through the old one


def test_a_watch_list_edit_is_validated_then_uploaded(edited) -> None:  # type: ignore[no-untyped-def]
    stack, _, said = edited
    watchlist = stack.options.watchlist
    key = {"Bucket": stack.media_bucket, "Key": "config/watchlist.yaml"}
    heard = len(said)
    watchlist.write_text("rules:\n  - name: broken\n    min_confidence: 400\n")
    line = _wait_for(said, heard)
    assert line.startswith("edit refused, the running watch list is kept: invalid watch list")
    assert "\n" not in line
    assert client("s3").get_object(**key)["Body"].read().decode() == WATCHLIST

    heard = len(said)
    watchlist.write_text(WATCHLIST + "  - name: cats\n    labels: [Cat]\n")
    assert _wait_for(said, heard).startswith(f"applied {watchlist}")
    assert "name: cats" in client("s3").get_object(**key)["Body"].read().decode()
