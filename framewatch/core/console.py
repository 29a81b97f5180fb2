"""Links into the AWS console (pure: no AWS calls)."""

from __future__ import annotations

from datetime import datetime


def express_execution_url(region: str, execution_arn: str, started_at: datetime | None) -> str | None:
    """The Step Functions console page of an Express execution. The console reads its history from
    the workflow's log group and needs the start date to know where to look; without it, no link."""
    if ":express:" not in execution_arn or started_at is None:
        return None
    start_ms = int(started_at.timestamp() * 1000)
    return (
        f"https://{region}.console.aws.amazon.com/states/home?region={region}"
        f"#/express-executions/details/{execution_arn}?startDate={start_ms}"
    )
