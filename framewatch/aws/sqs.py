"""Dead-letter queue messages: every frame that cannot be processed lands here with its reason."""

from __future__ import annotations

import json
from typing import Any

from framewatch.aws.clients import client


def send_dead_letter(queue_url: str, body: dict[str, Any]) -> str:
    response = client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(body, default=str))
    return str(response["MessageId"])
