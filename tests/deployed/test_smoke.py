"""Smoke test of a deployed stack: frames in, frames recorded, an alert out, the UI served, the API
locked without its key. Opt-in: `FRAMEWATCH_STACK=<name> make test-deployed`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import requests

from .conftest import Stack, capture, wait_for


def _frames(stack: Stack, camera: str) -> list[dict]:
    return stack.client("dynamodb").query(
        TableName=f"{stack.name}-frames",
        KeyConditionExpression="camera_id = :c",
        ExpressionAttributeValues={":c": {"S": camera}},
    )["Items"]


@pytest.fixture(scope="module")
def alert_queue(stack: Stack) -> Iterator[str]:
    """A temporary SQS queue subscribed to the alert topic, removed afterwards."""
    sqs, sns = stack.client("sqs"), stack.client("sns")
    topic = stack.outputs["AlertTopicArn"]
    url = sqs.create_queue(QueueName=f"{stack.name}-smoke-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True)
    try:
        yield url
    finally:
        sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
        sqs.delete_queue(QueueUrl=url)


def test_frames_sent_by_the_capture_client_are_recorded_and_alerted(
    stack: Stack, camera: str, alert_queue: str
) -> None:
    summary = capture(stack, camera, frames=5)
    assert summary.startswith("CAPTURE_SUMMARY"), summary
    frames = wait_for(lambda: _frames(stack, camera), 180, f"frames of {camera} in the frames table")
    assert all(f["s3_key"]["S"].startswith(f"frames/{camera}/") for f in frames)

    sqs = stack.client("sqs")

    def ours() -> list[dict]:
        found = []
        for message in sqs.receive_message(
            QueueUrl=alert_queue, MaxNumberOfMessages=10, WaitTimeSeconds=10
        ).get("Messages", []):
            body = json.loads(message["Body"])
            if body.get("MessageAttributes", {}).get("camera_id", {}).get("Value") == camera:
                found.append(body)
        return found

    alerts = wait_for(ours, 180, f"an SNS alert for {camera} (the bikes clip matches the vehicle rule)")
    assert alerts[0]["TopicArn"] == stack.outputs["AlertTopicArn"]


def test_the_web_ui_is_served(stack: Stack) -> None:
    url = stack.outputs["WebUiUrl"]
    page = requests.get(url, timeout=30)
    assert page.status_code == 200 and "<html" in page.text.lower()
    config = requests.get(url.rstrip("/") + "/config.js", timeout=30)
    assert config.status_code == 200 and stack.outputs["ApiUrl"] in config.text
    assert "x-api-key" not in config.text.lower()  # no key in a public file


def test_the_api_refuses_a_request_without_the_key(stack: Stack) -> None:
    answer = requests.get(stack.outputs["ApiUrl"] + "/api/frames", timeout=30)
    assert answer.status_code == 403
    assert requests.get(stack.outputs["ApiUrl"] + "/api/health", timeout=30).status_code == 200
