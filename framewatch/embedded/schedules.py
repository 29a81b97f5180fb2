"""EventBridge schedules, which the emulator stores but never fires.

A ``rate(...)`` rule's Lambda targets are invoked every period with the event EventBridge sends
("Scheduled Event"), through the emulator's Lambda API as EventBridge would call it. Only rate
expressions are fired; the template has no cron schedule, and a cron rule stops the stack at start
(one line) rather than silently never running.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from framewatch.aws.clients import client
from framewatch.core.frame_record import utc_iso
from framewatch.errors import UserError

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86_400}
ACCOUNT = "123456789012"  # moto's default account


def period(expression: str) -> timedelta:
    match = _RATE.match(expression.strip())
    if not match or int(match.group(1)) < 1:
        raise UserError(
            f"schedule {expression!r}: the embedded stack fires rate(N minutes|hours|days) rules only; "
            "use a rate expression in template.yaml"
        )
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2).removesuffix("s")])


@dataclass
class Schedule:
    rule: str
    every: timedelta
    targets: list[str]
    next_at: datetime


class Scheduler(threading.Thread):
    """Fires every due schedule; ``fire_due(now)`` is the whole behaviour, the thread only waits."""

    def __init__(
        self, schedules: dict[str, tuple[str, list[str]]], region: str, now: datetime | None = None
    ) -> None:
        super().__init__(name="schedules", daemon=True)
        start = now or datetime.now(UTC)
        self.region = region
        self.schedules = [
            Schedule(rule, period(expression), targets, start + period(expression))
            for rule, (expression, targets) in sorted(schedules.items())
        ]
        self.stop_event = threading.Event()
        self.errors: list[str] = []  # surfaced by tests; each also ends in the function's own log
        self.fired = 0

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.fire_due(datetime.now(UTC))
            upcoming = min((s.next_at for s in self.schedules), default=None)
            wait = 60.0 if upcoming is None else (upcoming - datetime.now(UTC)).total_seconds()
            self.stop_event.wait(min(max(wait, 0.5), 60.0))

    def fire_due(self, now: datetime) -> int:
        """Invoke the targets of every schedule due at ``now`` once (a missed period is not made up,
        as EventBridge does not replay them either); returns how many invocations were made."""
        fired = 0
        for schedule in self.schedules:
            if now < schedule.next_at:
                continue
            schedule.next_at = now + schedule.every
            for target in schedule.targets:
                self._invoke(schedule.rule, target, now)
                fired += 1
        self.fired += fired
        return fired

    def _invoke(self, rule: str, target: str, now: datetime) -> None:
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT,
            "time": utc_iso(now),
            "region": self.region,
            "resources": [f"arn:aws:events:{self.region}:{ACCOUNT}:rule/{rule}"],
            "detail": {},
        }
        try:
            response = client("lambda").invoke(FunctionName=target, Payload=json.dumps(event).encode())
            if response.get("FunctionError"):
                self.errors.append(f"{rule} → {target}: {response['Payload'].read().decode()[:300]}")
        except Exception as exc:  # a schedule keeps firing whatever one invocation did
            self.errors.append(f"{rule} → {target}: {exc}")

    def stop(self) -> None:
        self.stop_event.set()
