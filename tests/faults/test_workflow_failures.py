"""Issue 15: a broken workflow stops the stack at once; a failing or endless execution is reported as it
happens and never holds the pipe (or the demo) forever.

The runtime cases run the real stack on a copy of the tree whose AnalyzeFrames, for each frame, first
asks which camera it came from: "refused" ends in a Fail state, anything else waits past the workflow's
TimeoutSeconds. The copy's Pipe has no retries, so each batch runs once."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from framewatch.embedded.pipe import ExecutionFailure
from framewatch.embedded.stack import EmbeddedStack
from framewatch.embedded.template import REPO_ROOT, TEMPLATE

from ..support.frames import ClipFrames
from ..support.frames import frame_record as record
from ..support.frames import put_frames as put
from .conftest import start_stack, start_time

ANALYZE = "statemachines/analyze_frames.asl.json"


def copy_tree(folder: Path) -> Path:
    shutil.copy(TEMPLATE, folder / "template.yaml")
    shutil.copytree(REPO_ROOT / "statemachines", folder / "statemachines")
    return folder / "template.yaml"


# ------------------------------------------------------------------ at start: the typo of the issue
def test_demo_with_a_mistyped_next_exits_at_once_with_the_state_named(tmp_path: Path) -> None:
    """A Pass state added after "Record frame" whose Next is mistyped, as the issue tried it."""
    template = copy_tree(tmp_path)
    path = tmp_path / ANALYZE
    definition = json.loads(path.read_text())
    frame_states = definition["States"]["Analyze each frame"]["ItemProcessor"]["States"]
    frame_states["Note the frame"] = {
        "Type": "Pass",
        "Result": "noted",
        "ResultPath": "$.note",
        "Next": "Evaluate the watch list (typo)",
    }
    frame_states["Record frame"]["Next"] = "Note the frame"
    path.write_text(json.dumps(definition, indent=2))

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FRAMEWATCH_"))}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "framewatch.cli", "demo", "--exit", "--template", str(template)],
        cwd=tmp_path,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    elapsed = time.monotonic() - started
    print(f"\nFAULTS invalid-asl: exit {process.returncode} after {elapsed:.1f} s:\n{stderr}")

    assert process.returncode == 2, (stdout, stderr)
    assert elapsed < 20, f"took {elapsed:.1f} s to refuse the workflow"
    assert "SUMMARY" not in stdout and "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert all(line.startswith("framewatch: error: ") for line in lines), lines
    assert (
        f'framewatch: error: {ANALYZE}: No state found named "Evaluate the watch list (typo)", '
        "referenced at State Machine.States.Analyze each frame.ItemProcessor.States.Note the frame.Next"
    ) in lines
    assert lines[-1].startswith("framewatch: error: AWS would refuse to deploy this workflow: fix "), lines


# ------------------------------------------------------------------ at run time
@pytest.fixture(scope="module")
def failing_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    folder = tmp_path_factory.mktemp("failing-workflow")
    template = copy_tree(folder)
    text = template.read_text()
    assert text.count("MaximumRetryAttempts: 3") == 1
    template.write_text(text.replace("MaximumRetryAttempts: 3", "MaximumRetryAttempts: 0"))
    path = folder / ANALYZE
    definition = json.loads(path.read_text())
    definition["TimeoutSeconds"] = 2
    per_frame = definition["States"]["Analyze each frame"]["ItemProcessor"]
    first = per_frame["StartAt"]
    per_frame["StartAt"] = "Which camera?"
    per_frame["States"].update(
        {
            "Which camera?": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.frame.camera_id", "StringEquals": "refused", "Next": "Refuse it"}
                ],
                "Default": "Hold the batch",
            },
            "Refuse it": {"Type": "Fail", "Error": "Test.Refused", "Cause": "this camera is refused"},
            "Hold the batch": {"Type": "Wait", "Seconds": 30, "Next": first},
        }
    )
    path.write_text(json.dumps(definition, indent=2))
    with start_stack(folder, template=template) as stack:
        yield stack


@pytest.fixture(scope="module")
def frame(clip_frames: ClipFrames) -> bytes:
    return clip_frames("bikes.mp4", [25])[25]


def run_one_frame(stack: EmbeddedStack, camera: str, frame: bytes) -> tuple[list[ExecutionFailure], float]:
    """Puts one frame of ``camera``; returns the failures reported as they happened, and the time."""
    pipe = stack.pipes[0]
    reported: list[ExecutionFailure] = []
    arrived = threading.Event()

    def on_failure(failure: ExecutionFailure) -> None:
        reported.append(failure)
        arrived.set()

    pipe.on_execution_failed = on_failure
    failed_before = pipe.stats.executions_failed
    started = time.monotonic()
    put(stack, [record(camera, frame, seq=1, at=start_time())], camera, timeout=60)
    elapsed = time.monotonic() - started
    assert arrived.is_set(), "the failure was not reported"
    assert pipe.stats.executions_failed == failed_before + 1  # what SUMMARY's executions_failed adds up
    return reported, elapsed


def test_a_failed_execution_is_reported_with_its_state_error_and_cause(
    failing_stack: EmbeddedStack, frame: bytes
) -> None:
    reported, _ = run_one_frame(failing_stack, "refused", frame)
    [failure] = reported
    assert failure.name.startswith("pipe-")
    assert (failure.status, failure.state, failure.error, failure.cause) == (
        "FAILED",
        "Refuse it",
        "Test.Refused",
        "this camera is refused",
    )
    assert failure.describe() == (
        f'execution {failure.name} FAILED in state "Refuse it": Test.Refused: this camera is refused'
    )


def test_an_execution_past_the_workflow_timeout_is_reported_and_the_pipe_goes_on(
    failing_stack: EmbeddedStack, frame: bytes
) -> None:
    pipe = failing_stack.pipes[0]
    assert pipe.execution_bound == 2 + 5  # the workflow's TimeoutSeconds, plus the safety margin
    reported, elapsed = run_one_frame(failing_stack, "slowcam", frame)
    [failure] = reported
    assert (failure.status, failure.state) == ("TIMED_OUT", "Hold the batch")
    assert elapsed < 15, f"the pipe held the batch {elapsed:.1f} s"
    assert pipe.wait_idle(pipe.stats.records) is True


def test_an_execution_that_never_ends_is_stopped_at_the_bound(
    failing_stack: EmbeddedStack, frame: bytes
) -> None:
    """The emulator's own timeout is not relied on: with a bound below it, the pipe stops the run."""
    pipe = failing_stack.pipes[0]
    saved, dead_lettered_before = pipe.execution_bound, pipe.stats.batches_dead_lettered
    pipe.execution_bound = 0.5
    try:
        reported, _ = run_one_frame(failing_stack, "stuckcam", frame)
    finally:
        pipe.execution_bound = saved
    [failure] = reported
    assert (failure.status, failure.error) == ("TIMED_OUT", "States.Timeout")
    assert failure.cause == "no result after 0.5 s; the local pipe stopped it"  # not the emulator's timeout
    assert failure.state == "Hold the batch"
    assert pipe.stats.batches_dead_lettered == dead_lettered_before + 1
