"""A camera that goes silent (offline, unplugged, its link down) has its incidents ended by the
scheduled sweep, on the camera's own clock; a camera that keeps sending is never touched."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from framewatch.logic.track import QUIET_MARGIN_SECONDS, TrackStateConflict, end_quiet_incidents, track_batch

from .test_core_tracking import CONTEXT, T0, analyzed, box, car, person, watchlist
from .track_fakes import InMemoryTrackStore

# The default tracking settings: a stationary track may go 600 s unseen, a moving one 30 s.
QUIET = timedelta(seconds=600 + QUIET_MARGIN_SECONDS)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def parked_car_and_passer_by(store: InMemoryTrackStore, camera: str = "driveway", skew: float = 0) -> None:
    """A car parked for 60 s (stationary) and a person walking past, as frames every 2 s."""
    frames = [
        analyzed(skew + 2 * i, i, [car(box(0.6, 0.6, 0.3, 0.2)), person(box(0.1 + 0.03 * i, 0.3))], camera)
        for i in range(30)
    ]
    track_batch(frames, store, watchlist(), CONTEXT, now=T0)


def states(store: InMemoryTrackStore, camera: str = "driveway") -> dict[str, str]:
    return {i["label"]: i["state"] for i in store.incidents.values() if i["camera_id"] == camera}


def test_a_silent_camera_has_all_its_incidents_ended_once() -> None:
    clock = Clock(T0 + timedelta(seconds=60))
    store = InMemoryTrackStore(clock)
    parked_car_and_passer_by(store)
    assert states(store) == {"Car": "active", "Person": "active"}

    # Silent for less than a stationary track may go unseen: the parked car may well still be there.
    assert end_quiet_incidents(store, watchlist(), CONTEXT, now=clock.now + QUIET - timedelta(seconds=5)) == 0
    assert states(store) == {"Car": "active", "Person": "active"}

    sweep = clock.now + QUIET + timedelta(seconds=1)
    clock.now = sweep
    assert end_quiet_incidents(store, watchlist(), CONTEXT, now=sweep) == 2
    assert states(store) == {"Car": "ended", "Person": "ended"}
    car_incident = next(i for i in store.incidents.values() if i["label"] == "Car")
    assert car_incident["stationary"] and car_incident["last_seen"] == "2026-11-28T21:04:58.000Z"
    # Nothing is left to end: later sweeps write nothing.
    commits = store.commits
    assert end_quiet_incidents(store, watchlist(), CONTEXT, now=sweep + 2 * QUIET) == 0
    assert store.commits == commits


def test_a_camera_that_keeps_sending_is_left_alone() -> None:
    clock = Clock(T0)
    store = InMemoryTrackStore(clock)
    parked_car_and_passer_by(store, "busy")
    clock.now = T0 + 2 * QUIET  # a batch arrived just now
    parked_car_and_passer_by(store, "busy", skew=100)
    assert end_quiet_incidents(store, watchlist(), CONTEXT, now=clock.now + timedelta(seconds=30)) == 0
    assert "active" in states(store, "busy").values()


def test_silence_is_measured_on_the_wall_clock_even_when_the_cameras_clock_is_hours_off() -> None:
    """A camera stamping frames 5 h in the past still has its incidents ended after ~11 min of
    silence, and they end at the camera's time, not at the server's."""
    clock = Clock(T0)
    store = InMemoryTrackStore(clock)
    parked_car_and_passer_by(store, "behind", skew=-5 * 3600)
    clock.now = T0 + QUIET + timedelta(seconds=1)
    assert end_quiet_incidents(store, watchlist(), CONTEXT, now=clock.now) == 2
    assert set(states(store, "behind").values()) == {"ended"}


def test_a_frame_that_lands_during_the_sweep_wins() -> None:
    """The sweep writes on the version it read; a batch committed in between makes it re-read, and
    the camera is no longer silent."""
    clock = Clock(T0)
    store = InMemoryTrackStore(clock)
    parked_car_and_passer_by(store, "racy")
    sweep = T0 + QUIET + timedelta(seconds=1)

    original_commit = store.commit

    def batch_lands_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        clock.now = sweep
        store.commit = original_commit  # type: ignore[method-assign]
        parked_car_and_passer_by(store, "racy", skew=200)
        return original_commit(*args, **kwargs)

    store.commit = batch_lands_first  # type: ignore[method-assign]
    assert end_quiet_incidents(store, watchlist(), CONTEXT, now=sweep) == 0
    assert "active" in states(store, "racy").values()


def test_a_sweep_that_keeps_losing_the_race_says_so() -> None:
    store = InMemoryTrackStore(Clock(T0))
    parked_car_and_passer_by(store, "hot")
    store.commit = lambda *args, **kwargs: False  # type: ignore[method-assign]
    with pytest.raises(TrackStateConflict, match="camera hot"):
        end_quiet_incidents(store, watchlist(), CONTEXT, now=T0 + QUIET + timedelta(seconds=1))
