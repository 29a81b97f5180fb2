"""EventBridge rule → Step Functions delivery, which the emulator lacks.

moto already matches S3 "Object Created" events against the rules' patterns and applies input
transformers; it only has no Step Functions target. This adds one (hooked in by
:mod:`framewatch.embedded.moto_hooks`): a matching event starts an execution of the target state
machine, asynchronously, as EventBridge does.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from framewatch.aws.clients import client


class RuleRouter:
    def __init__(self) -> None:
        self.started: list[str] = []
        self.errors: list[str] = []
        self._threads: list[threading.Thread] = []

    def deliver(self, state_machine_arn: str, event: dict[str, Any]) -> None:
        thread = threading.Thread(target=self._start, args=(state_machine_arn, event), daemon=True)
        self._threads.append(thread)
        thread.start()

    def _start(self, state_machine_arn: str, event: dict[str, Any]) -> None:
        try:
            arn = client("stepfunctions").start_execution(
                stateMachineArn=state_machine_arn,
                name=f"event-{uuid.uuid4().hex[:24]}",
                input=json.dumps(_as_aws_event(event)),
            )["executionArn"]
            self.started.append(arn)
        except Exception as exc:  # surfaced by `framewatch up` and the tests
            self.errors.append(f"{state_machine_arn}: {exc}")

    def wait(self, timeout: float = 10.0) -> None:
        for thread in list(self._threads):
            thread.join(timeout)


def _as_aws_event(event: dict[str, Any]) -> dict[str, Any]:
    """moto stamps events with epoch seconds; EventBridge uses ISO-8601 UTC."""
    shaped = dict(event)
    if isinstance(shaped.get("time"), int | float):
        shaped["time"] = datetime.fromtimestamp(shaped["time"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    shaped.setdefault("id", str(uuid.uuid4()))
    return shaped
