"""The embedded stack's EventBridge schedules: rate expressions fire on time, anything else is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from framewatch.embedded.schedules import Scheduler, period
from framewatch.errors import UserError

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(5 minutes)", 300), ("rate(1 minute)", 60), ("rate(2 hours)", 7200), ("rate(1 day)", 86_400)],
)
def test_rate_expressions(expression: str, seconds: int) -> None:
    assert period(expression) == timedelta(seconds=seconds)


@pytest.mark.parametrize("expression", ["cron(0 12 * * ? *)", "rate(0 minutes)", "every 5 minutes"])
def test_other_expressions_stop_the_stack_in_one_line(expression: str) -> None:
    with pytest.raises(UserError, match="fires rate\\(N minutes\\|hours\\|days\\) rules only"):
        Scheduler({"rule": (expression, ["arn:aws:lambda:us-east-1:123456789012:function:f"])}, "us-east-1")


def test_a_schedule_fires_once_per_period_and_does_not_make_up_missed_ones() -> None:
    invoked: list[tuple[str, datetime]] = []
    scheduler = Scheduler({"sweep": ("rate(5 minutes)", ["fn"])}, "us-east-1", now=T0)
    scheduler._invoke = lambda rule, target, now: invoked.append((target, now))  # type: ignore[method-assign]
    assert scheduler.fire_due(T0 + timedelta(minutes=4)) == 0
    assert scheduler.fire_due(T0 + timedelta(minutes=5)) == 1
    assert scheduler.fire_due(T0 + timedelta(minutes=6)) == 0
    assert scheduler.fire_due(T0 + timedelta(minutes=31)) == 1  # 5 periods late: one invocation
    assert scheduler.fire_due(T0 + timedelta(minutes=35)) == 0
    assert invoked == [("fn", T0 + timedelta(minutes=5)), ("fn", T0 + timedelta(minutes=31))]
