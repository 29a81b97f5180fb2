"""Dead-letter queue messages: every frame that cannot be processed lands here with its reason."""

from __future__ import annotations

import json
from typing import Any

from framewatch.aws.clients import client


def send_dead_letter(queue_url: str, body: dict[str, Any]) -> str:
    response = client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(body, default=str))
    return str(response["MessageId"])


class SqsDeadLetters:
    """The use cases' DeadLetters: one queue."""

    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def send(self, body: dict[str, Any]) -> None:
        send_dead_letter(self.queue_url, body)
