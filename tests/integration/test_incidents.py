"""Incidents on the embedded stack: a still scene alerts once per object; two visits, two alerts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from framewatch.aws.clients import client
from framewatch.embedded import report

from ..support.frames import ClipFrames, Pipeline
from .conftest import start_time


@pytest.fixture(scope="module")
def scenes(clip_frames: ClipFrames) -> dict[int, bytes]:
    """Frame 140 of bikes.mp4: three parked cars. Frame 0: one person; frame 30: another person elsewhere."""
    return clip_frames("bikes.mp4", [140, 0, 30])


def _empty_scene() -> bytes:
    import cv2

    grey = np.full((272, 640, 3), 128, dtype=np.uint8)
    return cv2.imencode(".jpg", grey)[1].tobytes()


def _incidents(stack, camera: str) -> list[report.IncidentRow]:  # type: ignore[no-untyped-def]
    return [i for i in report.incidents(stack.resource("IncidentsTable")) if i.camera_id == camera]


def _alerts(stack, camera: str) -> list[report.AlertRow]:  # type: ignore[no-untyped-def]
    return [a for a in report.alerts(stack.resource("AlertsTable")) if a.camera_id == camera]


def test_a_still_scene_every_10_s_for_an_hour_alerts_exactly_once_per_object(
    scenes: dict[int, bytes], stack, pipeline: Pipeline
) -> None:
    camera, t0 = "lot", start_time(3700)
    records = [
        pipeline.record(camera, scenes[140], seq=n, at=t0 + timedelta(seconds=10 * n)) for n in range(360)
    ]
    for start in range(0, len(records), 60):  # as the keep-alive would deliver them, in order
        pipeline.put(records[start : start + 60], camera, timeout=300)

    frames = [f for f in report.frames(stack.resource("FramesTable")) if f.camera_id == camera]
    assert len(frames) == 360
    cars = [i for label in frames[0].labels if label["name"] == "Car" for i in label["instances"]]
    assert len(cars) >= 2, frames[0].labels  # several objects, so "once per object" means something

    incidents = _incidents(stack, camera)
    alerts = _alerts(stack, camera)
    assert len(incidents) == len(cars), incidents
    assert Counter(a.incident_id for a in alerts) == Counter({i.incident_id: 1 for i in incidents})
    assert all(i.stationary and i.state == "active" and i.alert_status == "sent" for i in incidents)
    assert all(i.frame_count == 360 for i in incidents)  # every frame since the first sighting
    # "Record alert sent" wrote the alert's record, its outbox slot and its incident in one transaction.
    assert all(a.status == "sent" for a in alerts)
    slots = [
        s
        for s in client("dynamodb").scan(TableName=stack.resource("AlertSlotsTable"))["Items"]
        if s["camera_id"]["S"] == camera
    ]
    assert sorted(s["status"]["S"] for s in slots) == ["sent"] * len(alerts)
    assert all(s["message_id"]["S"] and s["sent_at"]["S"] for s in slots)


def test_person_a_then_nobody_then_person_b_are_two_incidents_and_two_alerts(
    scenes: dict[int, bytes], stack, pipeline: Pipeline
) -> None:
    camera, t0 = "hall", start_time(400)
    empty = _empty_scene()
    timeline = [scenes[0]] * 12 + [empty] * 12 + [scenes[30]] * 12  # 60 s each, a frame every 5 s
    records = [
        pipeline.record(camera, jpeg, seq=n, at=t0 + timedelta(seconds=5 * n))
        for n, jpeg in enumerate(timeline)
    ]
    pipeline.put(records, camera, timeout=300)

    people = [i for i in _incidents(stack, camera) if i.rule == "person"]
    assert len(people) == 2, people
    first, second = sorted(people, key=lambda i: i.first_seen)
    assert first.state == "ended" and second.state == "active"
    person_alerts = [a for a in _alerts(stack, camera) if a.rule == "person"]
    assert sorted(a.incident_id for a in person_alerts) == sorted(i.incident_id for i in people)


def test_a_camera_that_goes_silent_has_its_incidents_ended_by_the_schedule(
    scenes: dict[int, bytes], stack, pipeline: Pipeline
) -> None:
    """The template's 5-minute schedule, fired by the embedded stack as EventBridge would (last in
    this module: the sweep ends every silent camera's incidents, not only this one's)."""
    camera, t0 = "offline", start_time(60)
    records = [pipeline.record(camera, scenes[0], seq=n, at=t0 + timedelta(seconds=2 * n)) for n in range(5)]
    pipeline.put(records, camera, timeout=120)
    assert {i.state for i in _incidents(stack, camera)} == {"active"}

    assert stack.schedules.fire_due(datetime.now(UTC) + timedelta(minutes=4)) == 0  # not due yet
    assert stack.schedules.fire_due(datetime.now(UTC) + timedelta(minutes=12)) == 1
    assert stack.schedules.errors == []
    assert {i.state for i in _incidents(stack, camera)} == {"ended"}
