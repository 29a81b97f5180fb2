"""Helpers of the fault suite (issue 7): an embedded stack per module, counters for what it recorded.

Each test module starts its own stack (``start_stack``, tests/support/stack.py with this suite's
watch list) and tears it down at the end of the module: only one EmbeddedStack may run in a process
at a time. Counts come from the stack itself (Frames and Alerts tables, the dead-letter queue, the SNS
messages the local alert sink received), never from the code under test's own bookkeeping.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from framewatch.aws.clients import client
from framewatch.embedded.stack import EmbeddedStack

from ..support import stack as shared

# Watch list of the fault modules: people and vehicles anywhere.
WATCHLIST = """
rules:
  - name: person
    labels: [Person]
    min_confidence: 55
  - name: vehicle
    labels: [Vehicle]
    min_confidence: 45
"""


@contextmanager
def start_stack(directory: Path, watchlist: str = WATCHLIST, **options: Any) -> Iterator[EmbeddedStack]:
    with shared.start_stack(directory, watchlist, **options) as running:
        yield running


def start_time(seconds_ago: float = 60) -> datetime:
    return shared.start_time(seconds_ago)


def _scan(table: str) -> list[dict[str, Any]]:
    pages = client("dynamodb").get_paginator("scan").paginate(TableName=table)
    return [item for page in pages for item in page.get("Items", [])]


def frame_items(stack: EmbeddedStack, camera: str | None = None) -> list[dict[str, Any]]:
    items = _scan(stack.resource("FramesTable"))
    return [i for i in items if camera is None or i["camera_id"]["S"] == camera]


def incident_items(stack: EmbeddedStack, camera: str | None = None) -> list[dict[str, Any]]:
    items = _scan(stack.resource("IncidentsTable"))
    return [i for i in items if camera is None or i["camera_id"]["S"] == camera]


def alert_items(stack: EmbeddedStack, camera: str | None = None) -> list[dict[str, Any]]:
    items = _scan(stack.resource("AlertsTable"))
    return [i for i in items if camera is None or i["camera_id"]["S"] == camera]


@dataclass
class Collected:
    """Messages taken off a queue (received and deleted), kept for every later look."""

    queue_url: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    def drain(self) -> list[dict[str, Any]]:
        sqs = client("sqs")
        while batch := sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60
        ).get("Messages", []):
            for message in batch:
                self.messages.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return self.messages


class Observed:
    """What one stack recorded: SNS deliveries to the local sink and dead letters, per camera."""

    def __init__(self, stack: EmbeddedStack) -> None:
        self.stack = stack
        self.sns = Collected(stack.alert_sink_url)
        self.dlq = Collected(stack.resource("DeadLetterQueue"))

    def sns_messages(self, camera: str) -> list[dict[str, Any]]:
        return [m for m in self.sns.drain() if m["MessageAttributes"]["camera_id"]["Value"] == camera]

    def dead_letters(self, camera: str) -> list[dict[str, Any]]:
        return [b for b in self.dlq.drain() if dead_letter_camera(b) == camera]

    def counts(self, camera: str, frames_in: int) -> dict[str, int]:
        alerts = alert_items(self.stack, camera)
        return {
            "frames_in": frames_in,
            "enriched": len(frame_items(self.stack, camera)),
            "in_dlq": len(self.dead_letters(camera)),
            "alerts_sent": len(self.sns_messages(camera)),
            "alerts_recorded_sent": sum(1 for a in alerts if a["status"]["S"] == "sent"),
            "incidents": len(incident_items(self.stack, camera)),
        }


def dead_letter_camera(body: dict[str, Any]) -> str | None:
    """The camera a dead letter is about: the frame's camera, or the record's partition key."""
    frame = body.get("frame")
    if isinstance(frame, dict) and frame.get("camera_id"):
        return str(frame["camera_id"])
    return body.get("partition_key")


def report(scenario: str, counts: dict[str, Any]) -> None:
    print(f"\nFAULTS {scenario}: " + json.dumps(counts, sort_keys=False), flush=True)


def rss_kib(pid: int | str = "self") -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB, from /proc/<pid>/status."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default
