"""The Lambda handler's own API key check (what guards the API where API Gateway does not)."""

from __future__ import annotations

import json

import pytest

from framewatch.api.local_server import LambdaContext, build_event, load_handler

ENV = {
    "FRAMES_TABLE": "f",
    "PEOPLE_TABLE": "p",
    "ALERTS_TABLE": "a",
    "INCIDENTS_TABLE": "i",
    "MEDIA_BUCKET": "m",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "API_KEY": "s3cret",
}


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize(("key", "status"), [(None, 403), ("wrong", 403), ("s3cret", 200)])
def test_handler_checks_key_when_configured(key: str | None, status: int) -> None:
    # /api/people/<bad id> fails validation before any AWS call, so no backend is needed.
    headers = {"x-api-key": key} if key else {}
    event = build_event("DELETE", "/api/people/Bad_Id", headers, b"", "127.0.0.1", key)
    reply = load_handler()(event, LambdaContext(aws_request_id="t-1"))
    assert reply["statusCode"] == (400 if status == 200 else 403)
    if status == 403:
        assert json.loads(reply["body"]) == {"message": "Forbidden"}


def test_health_is_public_in_the_handler() -> None:
    event = build_event("GET", "/api/health", {}, b"", "127.0.0.1", None)
    reply = load_handler()(event, LambdaContext(aws_request_id="t-2"))
    assert (reply["statusCode"], json.loads(reply["body"])) == (200, {"status": "ok"})
