"""Schedule.active, including spans that cross midnight, against a brute-force week oracle."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framewatch.core.watchlist import WEEKDAYS, Schedule

PROPERTY = settings(max_examples=25, deadline=None)
MONDAY = datetime(2024, 1, 1)  # 1 January 2024 was a Monday
DAY = 86_400
WEEK = 7 * DAY


def at(day: str, hh: int, mm: int, ss: int = 0, us: int = 0) -> datetime:
    return MONDAY + timedelta(days=WEEKDAYS.index(day), hours=hh, minutes=mm, seconds=ss, microseconds=us)


def oracle(schedule: Schedule, second_of_week: int) -> bool:
    """Active iff inside a span [start, end] that begins on a listed day; a span whose end is before its
    start runs to ``end`` on the next day (Sunday's runs into Monday)."""
    start = schedule.start.hour * 3600 + schedule.start.minute * 60 + schedule.start.second
    end = schedule.end.hour * 3600 + schedule.end.minute * 60 + schedule.end.second
    length = end - start if start <= end else DAY - start + end
    return any(
        (second_of_week - (WEEKDAYS.index(day) * DAY + start)) % WEEK <= length for day in schedule.days
    )


OVERNIGHT_FRIDAY = Schedule(days=["fri"], start=time(22, 0), end=time(6, 0))


@pytest.mark.parametrize(
    ("moment", "active"),
    [
        (at("fri", 21, 59), False),
        (at("fri", 22, 0), True),
        (at("fri", 23, 59, 59, 999_999), True),
        (at("sat", 0, 0), True),  # the early morning belongs to Friday's span
        (at("sat", 5, 59), True),
        (at("sat", 6, 0), True),  # the end is inclusive
        (at("sat", 6, 0, 1), False),
        (at("fri", 3, 0), False),  # Thursday is not listed, so Friday's small hours are quiet
        (at("sat", 22, 30), False),  # Saturday is not listed
    ],
)
def test_overnight_span_belongs_to_the_day_it_starts(moment: datetime, active: bool):
    assert OVERNIGHT_FRIDAY.active(moment) is active


def test_sundays_overnight_span_runs_into_monday_morning():
    schedule = Schedule(days=["sun"], start=time(23, 0), end=time(2, 0))
    assert schedule.active(at("mon", 1, 30))
    assert not schedule.active(at("sun", 1, 30))


def test_daytime_span_only_on_listed_days():
    weekdays = Schedule(days=["mon", "tue", "wed", "thu", "fri"], start=time(8, 30), end=time(17, 0))
    assert weekdays.active(at("wed", 8, 30))
    assert weekdays.active(at("wed", 17, 0))
    assert not weekdays.active(at("wed", 8, 29, 59))
    assert not weekdays.active(at("wed", 17, 1))
    assert not weekdays.active(at("sat", 12, 0))


@pytest.mark.parametrize("moment", [at("sat", 0, 0), at("sat", 12, 0), at("sun", 23, 59, 59, 999_000)])
def test_a_schedule_with_only_days_covers_the_whole_of_each_day(moment: datetime):
    # Frames carry milliseconds; the last fraction of a second of the day still counts.
    assert Schedule(days=["sat", "sun"]).active(moment)


def test_a_schedule_with_only_days_is_quiet_on_other_days():
    assert not Schedule(days=["sat", "sun"]).active(at("mon", 0, 0))
    assert not Schedule(days=["sat", "sun"]).active(at("fri", 23, 59, 59, 999_000))


def test_aware_local_times_use_their_own_wall_clock():
    paris = ZoneInfo("Europe/Paris")
    schedule = Schedule(days=["fri"], start=time(22, 0), end=time(6, 0))
    # Saturday 03:00 in Paris is Saturday 02:00 UTC: inside Friday's span either way.
    assert schedule.active(datetime(2024, 1, 6, 3, 0, tzinfo=paris))


clock_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 1, 15, 29, 30, 59]))
day_sets = st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True)


@PROPERTY
@given(day_sets, clock_times, clock_times)
def test_active_agrees_with_the_oracle_over_every_minute_of_a_week(days, start, end):
    schedule = Schedule(days=days, start=start, end=end)
    mismatches = [
        second
        for second in range(0, WEEK, 60)
        if schedule.active(MONDAY + timedelta(seconds=second)) != oracle(schedule, second)
    ]
    assert not mismatches, f"first disagreement at {MONDAY + timedelta(seconds=mismatches[0]):%a %H:%M:%S}"
