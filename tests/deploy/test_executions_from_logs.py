"""Express workflows keep no history in Step Functions: failures are read from their log group."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from moto import mock_aws

from framewatch.aws import clients, stepfunctions


@pytest.fixture()
def logs(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_REKOGNITION"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    clients.reset()
    with mock_aws():
        yield clients.client("logs")
    clients.reset()


def test_failed_express_executions_come_from_the_log_group(logs) -> None:  # type: ignore[no-untyped-def]
    group = "/aws/vendedlogs/states/fw-analyze-frames"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="states/fw/2026")
    now = int(datetime.now(UTC).timestamp() * 1000)
    arn = "arn:aws:states:us-east-1:123456789012:express:fw-analyze-frames:abc:def"
    events = [
        {"id": "1", "type": "ExecutionStarted", "details": {}, "execution_arn": arn},
        {
            "id": "9",
            "type": "ExecutionFailed",
            "execution_arn": arn,
            "event_timestamp": str(now),
            "details": {"error": "States.Runtime", "cause": "ItemsPath is not an array"},
        },
        {
            "id": "1",
            "type": "ExecutionSucceeded",
            "details": {},
            "execution_arn": arn + "-ok",
            "event_timestamp": str(now),
        },
    ]
    logs.put_log_events(
        logGroupName=group,
        logStreamName="states/fw/2026",
        logEvents=[{"timestamp": now, "message": json.dumps(e)} for e in events],
    )
    since = datetime.now(UTC) - timedelta(hours=1)
    failed = stepfunctions.executions_in_log_group(group, since, 10, failed_only=True)
    assert [(f.execution_arn, f.status, f.error) for f in failed] == [(arn, "FAILED", "States.Runtime")]
    # The console's Express execution page reads the log group too and needs the start date.
    assert failed[0].console_url("us-east-1") == (
        "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1"
        f"#/express-executions/details/{arn}?startDate={now}"
    )
    from framewatch.ops.executions import describe

    assert describe(failed[0]).splitlines()[-1].strip() == failed[0].console_url("us-east-1")
    every = stepfunctions.executions_in_log_group(group, since, 10, failed_only=False)
    assert {f.status for f in every} == {"FAILED", "SUCCEEDED"}


def test_log_group_is_read_from_the_logging_configuration() -> None:
    machine = {
        "loggingConfiguration": {
            "destinations": [
                {
                    "cloudWatchLogsLogGroup": {
                        "logGroupArn": "arn:aws:logs:us-east-1:1:log-group:/aws/vendedlogs/states/x:*"
                    }
                }
            ]
        }
    }
    assert stepfunctions.log_group_of(machine) == "/aws/vendedlogs/states/x"


def test_one_express_execution_is_read_back_from_the_log_group_through_the_api(logs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """GET /api/executions/{arn} on AWS: DescribeExecution does not serve Express executions, so the
    API reads the execution's lines from its log group, start date and history included."""
    from framewatch.api import service
    from framewatch.api.dal import AwsStore
    from framewatch.api.settings import ApiSettings

    group = "/aws/vendedlogs/states/fw-analyze-frames"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    arn = "arn:aws:states:us-east-1:123456789012:express:fw-analyze-frames:pipe-1:0f1e"
    start = int(datetime.now(UTC).timestamp() * 1000) - 60_000  # CloudWatch refuses events over 14 days old
    lines = [
        {"id": "1", "previous_event_id": "0", "type": "ExecutionStarted", "event_timestamp": str(start),
         "details": {"input": "[{\"frame_id\": \"f1\"}]"}, "execution_arn": arn},
        {"id": "2", "previous_event_id": "1", "type": "MapStateEntered", "event_timestamp": str(start + 5),
         "details": {"name": "Analyze each frame", "input": "[]"}, "execution_arn": arn},
        {"id": "3", "previous_event_id": "2", "type": "ExecutionFailed", "event_timestamp": str(start + 900),
         "details": {"error": "States.Runtime", "cause": "boom"}, "execution_arn": arn},
        {"id": "1", "previous_event_id": "0", "type": "ExecutionStarted", "event_timestamp": str(start),
         "details": {}, "execution_arn": arn + "-other"},
    ]  # fmt: skip
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": start, "message": json.dumps(line)} for line in lines],
    )
    monkeypatch.setenv("FRAMES_TABLE", "f")
    monkeypatch.setenv("PEOPLE_TABLE", "p")
    monkeypatch.setenv("ALERTS_TABLE", "a")
    monkeypatch.setenv("INCIDENTS_TABLE", "i")
    monkeypatch.setenv("MEDIA_BUCKET", "m")
    monkeypatch.setenv("EXECUTION_LOG_GROUP", group)
    shaped = service.get_execution(AwsStore(ApiSettings.from_env()), arn)

    execution = shaped["execution"]
    assert execution["status"] == "FAILED" and execution["error"] == "States.Runtime"
    assert execution["start_date"].startswith(
        datetime.fromtimestamp(start / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    )
    assert (
        execution["state_machine_arn"]
        == "arn:aws:states:us-east-1:123456789012:stateMachine:fw-analyze-frames"
    )
    # The page links to the console's Express execution view, which needs the start date.
    assert execution["console_url"] == (
        "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1"
        f"#/express-executions/details/{arn}?startDate={start}"
    )
    assert [(e["id"], e["type"], e["state"]) for e in shaped["events"]] == [
        (1, "ExecutionStarted", None),
        (2, "MapStateEntered", "Analyze each frame"),
        (3, "ExecutionFailed", None),
    ]
