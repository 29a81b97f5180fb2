"""Bounded memory the AWS way: an ended execution goes to its log group's files and the emulator
forgets it; `framewatch executions`, the API and the UI read it back from there."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from framewatch.api import service
from framewatch.api.dal import AwsStore
from framewatch.aws import stepfunctions
from framewatch.aws.clients import client
from framewatch.media import clip_jpegs
from framewatch.ops import executions

from ..support.frames import frames_api_settings
from .conftest import Pipeline, start_time

FRAME = clip_jpegs("bikes.mp4", [25])[25]
VENDED_FIELDS = {"id", "type", "details", "previous_event_id", "event_timestamp", "execution_arn"}


def _emulated_executions(stack) -> int:  # type: ignore[no-untyped-def]
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    backend = stepfunctions_parser_backends["123456789012"][stack.options.region]
    return sum(len(machine.executions) for machine in backend.state_machines)


def test_history_is_read_from_the_log_group_after_the_emulator_forgot_it(stack, pipeline: Pipeline) -> None:
    before = len(stack.pipes[0].stats.execution_arns)
    pipeline.put([pipeline.record("logs-cam", FRAME, seq=0, at=start_time())], "logs-cam")
    arn = stack.pipes[0].stats.execution_arns[before]

    stack.execution_logs.forget(older_than=0)
    with pytest.raises(ClientError) as gone:
        client("stepfunctions").describe_execution(executionArn=arn)
    assert gone.value.response["Error"]["Code"] == "ExecutionDoesNotExist"

    group_files = list((stack.data_dir / "log-groups").rglob("*.jsonl"))
    assert [p.parent.name for p in group_files] == ["framewatch-analyze-frames"]
    mine = [json.loads(line) for line in group_files[0].read_text().splitlines() if arn in line]
    assert mine and all(set(line) >= VENDED_FIELDS for line in mine)
    assert mine[0]["type"] == "ExecutionStarted" and mine[-1]["type"] == "ExecutionSucceeded"

    shaped = service.get_execution(AwsStore(frames_api_settings(stack)), arn)  # GET /api/executions/{arn}
    assert shaped["execution"]["status"] == "SUCCEEDED"
    entered = [e["state"] for e in shaped["events"] if e["type"].endswith("StateEntered")]
    assert "Record frame" in entered and "Track objects" in entered

    machine = stack.resource("AnalyzeFramesStateMachine")
    listed = executions.lines(machine, since_minutes=5, limit=100, failed_only=False)
    assert any(arn in line and "SUCCEEDED" in line for line in listed)


def test_the_emulator_keeps_only_executions_that_just_ended(stack, pipeline: Pipeline) -> None:
    at = start_time()
    for seq in range(4):  # one batch each
        pipeline.put([pipeline.record("bounded", FRAME, seq=seq, at=at + timedelta(seconds=seq))], "bounded")
    assert _emulated_executions(stack) >= 4  # within the grace period the Pipe may still ask for them
    stack.execution_logs.forget(older_than=0)
    assert _emulated_executions(stack) == 0
    since = datetime.now(UTC) - timedelta(minutes=5)
    logged = stepfunctions.executions_in_log_group(
        "/aws/vendedlogs/states/framewatch-analyze-frames", since, 100, failed_only=False
    )
    assert len(logged) >= 5
