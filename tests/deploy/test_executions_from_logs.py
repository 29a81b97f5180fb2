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
