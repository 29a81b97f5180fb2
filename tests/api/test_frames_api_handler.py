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


FORBIDDEN = (403, {"message": "Forbidden"})
# The right key gets past the check to the route, which refuses the id before any AWS call.
PAST_THE_KEY_CHECK = (400, {"message": "person id has an invalid format"})


@pytest.mark.parametrize(
    ("key", "reply"), [(None, FORBIDDEN), ("wrong", FORBIDDEN), ("s3cret", PAST_THE_KEY_CHECK)]
)
def test_handler_checks_key_when_configured(key: str | None, reply: tuple[int, dict[str, str]]) -> None:
    headers = {"x-api-key": key} if key else {}
    event = build_event("DELETE", "/api/people/Bad_Id", headers, b"", "127.0.0.1", key)
    response = load_handler()(event, LambdaContext(aws_request_id="t-1"))
    assert (response["statusCode"], json.loads(response["body"])) == reply


def test_health_is_public_in_the_handler() -> None:
    event = build_event("GET", "/api/health", {}, b"", "127.0.0.1", None)
    reply = load_handler()(event, LambdaContext(aws_request_id="t-2"))
    assert (reply["statusCode"], json.loads(reply["body"])) == (200, {"status": "ok"})
