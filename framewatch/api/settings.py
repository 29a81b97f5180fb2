"""The frames API's configuration, from the environment the template (or embedded stack) sets."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_EXECUTION_URL = (
    "https://{region}.console.aws.amazon.com/states/home?region={region}"
    "#/express-executions/details/{execution_arn}"
)


@dataclass(frozen=True)
class ApiSettings:
    frames_table: str
    people_table: str
    alerts_table: str
    incidents_table: str
    media_bucket: str
    collection_id: str
    region: str
    url_expiry_seconds: int = 900
    execution_url_template: str = DEFAULT_EXECUTION_URL
    lookback_days: int = 31  # how many empty days a "latest" walk crosses before it stops
    # Where AnalyzeFrames (Express) logs its history; DescribeExecution does not serve Express runs.
    execution_log_group: str | None = None

    @classmethod
    def from_env(cls) -> ApiSettings:
        """Read at each request, so an embedded stack may set variables after import."""
        env = os.environ
        missing = [
            name
            for name in ("FRAMES_TABLE", "PEOPLE_TABLE", "ALERTS_TABLE", "INCIDENTS_TABLE", "MEDIA_BUCKET")
            if not env.get(name)
        ]
        if missing:
            # A deployment error, not the caller's; the handler logs and answers 500.
            raise RuntimeError(f"frames API is missing environment variables: {', '.join(missing)}")
        return cls(
            frames_table=env["FRAMES_TABLE"],
            people_table=env["PEOPLE_TABLE"],
            alerts_table=env["ALERTS_TABLE"],
            incidents_table=env["INCIDENTS_TABLE"],
            media_bucket=env["MEDIA_BUCKET"],
            collection_id=env.get("COLLECTION_ID", ""),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            url_expiry_seconds=_int_env("URL_EXPIRY_SECONDS", 900, 1, 7 * 24 * 3600),
            execution_url_template=env.get("EXECUTION_URL_TEMPLATE") or DEFAULT_EXECUTION_URL,
            lookback_days=_int_env("API_LOOKBACK_DAYS", 31, 1, 3660),
            execution_log_group=env.get("EXECUTION_LOG_GROUP") or None,
        )


def _int_env(name: str, default: int, low: int, high: int) -> int:
    text = os.environ.get(name)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise RuntimeError(f"{name} must be an integer, got {text!r}") from None
    return max(low, min(high, value))
