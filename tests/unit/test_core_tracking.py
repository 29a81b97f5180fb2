"""The tracker and incident rules: identity across frames, crossings, stationary objects, lost tracks,
required zones, loitering, face votes, severities and reminders — and replay changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from framewatch.core.frame_ref import FrameRef, make_frame_ref
from framewatch.core.geometry import Box
from framewatch.core.incidents import AlertContext, CameraIncidents, CameraState, FrameOutcome
from framewatch.core.tracking import FrameInfo
from framewatch.core.watchlist import Observation, load_watchlist
from framewatch.logic.track import AnalyzedFrame, frame_info, track_batch

from .track_fakes import InMemoryTrackStore

T0 = datetime(2026, 11, 28, 21, 4, tzinfo=UTC)
CONTEXT = AlertContext(timezone=ZoneInfo("UTC"), ui_base_url="http://ui.example", retention_days=7)
WATCHLIST = """
rules:
  - name: person
    labels: [Person]
    min_confidence: 50
  - name: vehicle
    labels: [Vehicle]
  - name: strangers
    unknown_faces: true
  - name: family
    people: [Ada Lovelace]
"""


def watchlist(text: str = WATCHLIST):
    return load_watchlist(text)


def box(left: float, top: float, width: float = 0.1, height: float = 0.2) -> Box:
    return Box(left=left, top=top, width=width, height=height)


def person(at: Box, confidence: float = 80.0, rules: tuple[str, ...] = ("person",)) -> Observation:
    return Observation(
        kind="object", label="Person", family="Person", box=at, confidence=confidence, rules=list(rules)
    )


def car(at: Box, label: str = "Car", confidence: float = 80.0) -> Observation:
    return Observation(
        kind="object", label=label, family="Vehicle", box=at, confidence=confidence, rules=["vehicle"]
    )


def face(at: Box, person_id: str | None = None, name: str | None = None) -> Observation:
    rules = ["family"] if person_id == "ada" else [] if person_id else ["strangers"]
    return Observation(
        kind="face", label="Face", family="Face", box=at, confidence=95.0, rules=rules,
        person_id=person_id, person_name=name,
    )  # fmt: skip


def ref(seconds: float, n: int, camera: str = "driveway") -> FrameRef:
    return make_frame_ref(
        camera_id=camera, frame_id=f"{camera}-{n}", captured_at=T0 + timedelta(seconds=seconds), seq=n,
        width=640, height=480, bucket="media", s3_key=f"frames/{n}.jpg", source="kinesis", retention_days=7,
    )  # fmt: skip


def frame(seconds: float, n: int, camera: str = "driveway") -> FrameInfo:
    return frame_info(ref(seconds, n, camera))


def run(
    frames: list[tuple[float, list[Observation]]], text: str = WATCHLIST
) -> tuple[CameraIncidents, FrameOutcome]:
    camera = CameraIncidents(CameraState(), watchlist(text), CONTEXT)
    total = FrameOutcome()
    for n, (seconds, observations) in enumerate(frames):
        outcome = camera.apply(frame(seconds, n), observations)
        total.incidents.extend(outcome.incidents)
        total.alerts.extend(outcome.alerts)
    return camera, total


def track_ids(camera: CameraIncidents) -> list[str]:
    return [t.track_id for t in camera.state.tracker.tracks]


# --- identity ------------------------------------------------------------------------------------
def test_a_moving_object_keeps_one_track_and_raises_one_alert():
    frames = [(i * 0.5, [person(box(0.05 + 0.03 * i, 0.4))]) for i in range(25)]
    camera, outcome = run(frames)
    assert track_ids(camera) == ["t1"]
    assert [a.rule for a in outcome.alerts] == ["person"]
    assert {r.incident_id for r in outcome.incidents} == {outcome.alerts[0].incident_id}
    assert outcome.incidents[-1].frame_count == 25  # every frame since the first sighting


def test_two_people_crossing_keep_their_identities():
    frames = []
    for i in range(21):
        a = person(box(0.05 + 0.04 * i, 0.40))  # walks right
        b = person(box(0.85 - 0.04 * i, 0.45))  # walks left; they overlap mid-way
        frames.append((i * 0.5, [a, b]))
    camera, outcome = run(frames)
    tracks = {t.track_id: t for t in camera.state.tracker.tracks}
    assert set(tracks) == {"t1", "t2"}
    # t1 was born on the left moving right: it must end on the right, and t2 on the left.
    assert tracks["t1"].box.left > 0.8 and tracks["t2"].box.left < 0.1
    assert len(outcome.alerts) == 2


def test_a_single_stray_detection_never_becomes_an_incident():
    _, outcome = run([(0, [person(box(0.5, 0.5))]), (40, []), (80, [])])
    assert outcome.alerts == [] and outcome.incidents == []


# --- stationary and lost -------------------------------------------------------------------------
def test_a_parked_car_seen_every_10_s_for_an_hour_alerts_once_and_becomes_stationary():
    jitter = [0.0, 0.004, -0.003, 0.002]
    frames = [(10 * i, [car(box(0.3 + jitter[i % 4], 0.5, 0.3, 0.2))]) for i in range(360)]
    camera, outcome = run(frames)
    assert len(outcome.alerts) == 1
    [track] = camera.state.tracker.tracks
    assert track.stationary and outcome.incidents[-1].stationary
    assert outcome.incidents[-1].state == "active"


def test_a_stationary_track_survives_gaps_longer_than_a_moving_one_would():
    text = WATCHLIST + "tracking: {lost_after_seconds: 30, stationary_seconds: 20}\n"
    parked = box(0.3, 0.5, 0.3, 0.2)
    frames = [(10 * i, [car(parked)]) for i in range(5)]  # stationary from 20 s on
    frames.append((40 + 120, [car(parked)]))  # a 2-minute gap (motion gate, misses)
    camera, outcome = run(frames, text)
    assert len(outcome.alerts) == 1 and track_ids(camera) == ["t1"]


def test_a_track_lost_after_a_gap_ends_its_incident_and_a_new_one_alerts_again():
    frames = [(i, [person(box(0.2 + 0.01 * i, 0.4))]) for i in range(10)]
    frames += [(60 + i, [person(box(0.6, 0.4))]) for i in range(3)]  # nobody for 50 s, then someone
    camera, outcome = run(frames)
    assert len(outcome.alerts) == 2
    first = outcome.alerts[0].incident_id
    ended = [r for r in outcome.incidents if r.incident_id == first and r.state == "ended"]
    assert ended and ended[-1].last_seen == frame(9, 9).captured_at
    assert track_ids(camera) == ["t2"]


def test_a_car_called_a_truck_now_and_then_stays_one_track_named_by_its_majority():
    frames = [(i, [car(box(0.3, 0.5, 0.3, 0.2), label="Truck" if i % 3 == 0 else "Car")]) for i in range(9)]
    camera, outcome = run(frames)
    assert track_ids(camera) == ["t1"] and len(outcome.alerts) == 1
    assert outcome.incidents[-1].label == "Car"


# --- zones and loitering -------------------------------------------------------------------------
ZONED = """
zones:
  driveway: { points: [[0.5, 0.5], [1, 0.5], [1, 1], [0.5, 1]] }
rules:
  - name: person
    labels: [Person]
    required_zones: [driveway]
"""


def test_required_zone_alerts_only_once_the_bottom_centre_enters():
    # Walks right along y; the bottom-centre crosses x = 0.5 at the 6th frame.
    frames = [(i, [person(box(0.1 + 0.08 * i, 0.5, 0.1, 0.3))]) for i in range(9)]
    _, outcome = run(frames, ZONED)
    [alert] = outcome.alerts
    entered_at = next(i for i in range(9) if 0.1 + 0.08 * i + 0.05 > 0.5)
    assert alert.captured_at == frame(entered_at, entered_at).captured_at
    assert outcome.incidents[-1].zones_entered == ["driveway"]


def test_an_object_that_never_enters_the_required_zone_never_alerts():
    _, outcome = run([(i, [person(box(0.1, 0.1 + 0.01 * i))]) for i in range(20)], ZONED)
    assert outcome.alerts == [] and outcome.incidents == []


def test_loitering_alerts_only_after_the_object_stayed_in_the_zone_that_long():
    text = ZONED + "    loitering_seconds: 30\n"
    inside = box(0.6, 0.5, 0.1, 0.3)
    short = run([(5 * i, [person(inside)]) for i in range(6)], text)[1]  # 25 s inside
    assert short.alerts == []
    long = run([(5 * i, [person(inside)]) for i in range(8)], text)[1]  # 35 s inside
    [alert] = long.alerts
    assert alert.captured_at == frame(30, 6).captured_at


# --- faces ---------------------------------------------------------------------------------------
def test_a_registered_person_is_named_only_when_two_frames_agree():
    body = box(0.4, 0.2, 0.2, 0.6)
    head = box(0.45, 0.22, 0.08, 0.1)
    one_vote = run([(0, [person(body), face(head, "ada", "Ada Lovelace")]), (1, [person(body)])])[1]
    assert [a.rule for a in one_vote.alerts] == ["person"]
    two_votes = run([(i, [person(body), face(head, "ada", "Ada Lovelace")]) for i in range(2)])[1]
    assert sorted(a.rule for a in two_votes.alerts) == ["family", "person"]
    family = next(a for a in two_votes.alerts if a.rule == "family")
    assert family.subject_line.startswith("Ada Lovelace at driveway, 21:04")


def test_an_unknown_face_belongs_to_the_person_track_it_is_inside():
    body = box(0.4, 0.2, 0.2, 0.6)
    frames = [(i, [person(body), face(box(0.45, 0.22, 0.08, 0.1))]) for i in range(4)]
    camera, outcome = run(frames)
    assert track_ids(camera) == ["t1"]  # no separate face track
    assert sorted(a.rule for a in outcome.alerts) == ["person", "strangers"]
    assert {a.incident_id.split("-t")[1] for a in outcome.alerts} == {"1-person", "1-strangers"}


# --- severity, reminders and the alert itself ------------------------------------------------------
def test_a_detection_rule_records_the_incident_but_never_alerts():
    text = "rules: [{name: person, labels: [Person], severity: detection}]"
    _, outcome = run([(i, [person(box(0.1, 0.1))]) for i in range(5)], text)
    assert outcome.alerts == []
    assert outcome.incidents[-1].severity == "detection" and not outcome.incidents[-1].alert_due


def test_remind_after_reminds_a_moving_incident_but_never_a_stationary_one():
    text = "rules: [{name: person, labels: [Person], remind_after: 60}]"
    walking = run([(10 * i, [person(box(0.02 * (i % 20), 0.3))]) for i in range(19)], text)[1]
    assert [a.alert_number for a in walking.alerts] == [1, 2, 3]  # at 10 s, 70 s and 130 s of 180 s
    standing = run([(10 * i, [person(box(0.3, 0.3))]) for i in range(19)], text)[1]
    assert [a.alert_number for a in standing.alerts] == [1]


def test_the_alert_reads_like_a_sentence_and_links_to_the_incident_never_to_s3():
    _, outcome = run([(0, [person(box(0.1, 0.1), 87.0)]), (1, [person(box(0.1, 0.1), 80.0)])])
    [alert] = outcome.alerts
    assert alert.subject_line == "Person at driveway, 21:04, 87%"
    assert alert.link == f"http://ui.example/#incident/{alert.incident_id}"
    assert "s3://" not in alert.message and alert.link in alert.message
    assert (alert.frame_id, alert.label, alert.severity) == ("driveway-0", "Person", "alert")


# --- replay and concurrency (through the use case and its store) ---------------------------------
def analyzed(
    seconds: float, n: int, observations: list[Observation], camera: str = "driveway"
) -> AnalyzedFrame:
    return AnalyzedFrame(frame=ref(seconds, n, camera), observations=observations)


def scene(count: int) -> list[AnalyzedFrame]:
    return [
        analyzed(i, i, [person(box(0.1 + 0.02 * i, 0.3)), car(box(0.6, 0.6, 0.3, 0.2))]) for i in range(count)
    ]


def test_a_replayed_batch_changes_nothing():
    store = InMemoryTrackStore()
    batch = scene(6)
    first = track_batch(batch, store, watchlist(), CONTEXT)
    assert sorted(a["rule"] for a in first) == ["person", "vehicle"]
    for alert in first:
        store.mark_sent(alert["alert_id"])
    snapshot = (dict(store.states), {k: dict(v) for k, v in store.incidents.items()}, dict(store.outbox))
    for _ in range(3):
        assert track_batch(batch, store, watchlist(), CONTEXT) == []
    assert (store.states, store.incidents, store.outbox) == snapshot


def test_an_alert_decided_but_never_sent_is_returned_again_by_the_next_batch():
    store = InMemoryTrackStore()
    first = track_batch(scene(4), store, watchlist(), CONTEXT)
    # The execution crashed before SNS: nothing marked sent. A replay (or any later batch) sends it.
    again = track_batch(scene(4), store, watchlist(), CONTEXT)
    assert [a["alert_id"] for a in again] == [a["alert_id"] for a in first]


class RacingStore(InMemoryTrackStore):
    """Another execution commits between this one's read and write, once."""

    def __init__(self, rival: list[AnalyzedFrame]) -> None:
        super().__init__()
        self.rival: list[AnalyzedFrame] | None = rival

    def commit(self, camera_id, expected_version, state, incidents, alerts, expires_at) -> bool:  # type: ignore[no-untyped-def]
        if self.rival is not None:
            rival, self.rival = self.rival, None
            track_batch(rival, InMemoryTrackStoreView(self), watchlist(), CONTEXT)
        return super().commit(camera_id, expected_version, state, incidents, alerts, expires_at)


class InMemoryTrackStoreView(InMemoryTrackStore):
    """The same data as another store (a second execution's view of the same tables)."""

    def __init__(self, base: InMemoryTrackStore) -> None:
        self.__dict__ = base.__dict__


def test_two_executions_racing_for_a_camera_never_fork_or_double_its_tracks():
    frames = scene(8)
    sequential = InMemoryTrackStore()
    track_batch(frames, sequential, watchlist(), CONTEXT)
    raced = RacingStore(rival=frames[:4])  # the rival applies the first half first
    track_batch(frames, raced, watchlist(), CONTEXT)
    assert raced.states == {"driveway": (sequential.states["driveway"][0], 2)}
    assert raced.incidents == sequential.incidents
    assert set(raced.outbox) == set(sequential.outbox)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.floats(0.0, 0.6), st.floats(0.0, 0.6)), min_size=1, max_size=30),
    st.lists(st.integers(1, 5), min_size=1, max_size=8),
)
def test_any_batching_with_any_replays_ends_in_the_same_incidents_and_alerts(steps, cuts):
    """Frames split into batches at random, each batch delivered twice, give what one pass gives."""
    frames = []
    for n, (count, x, y) in enumerate(steps):
        people = [person(box(min(x + 0.15 * k, 0.85), y)) for k in range(count)]
        frames.append(analyzed(3 * n, n, people))
    once = InMemoryTrackStore()
    track_batch(frames, once, watchlist(), CONTEXT)
    replayed = InMemoryTrackStore()
    start = 0
    for cut in cuts * len(frames):
        if start >= len(frames):
            break
        batch = frames[start : start + cut]
        track_batch(batch, replayed, watchlist(), CONTEXT)
        track_batch(batch, replayed, watchlist(), CONTEXT)  # at-least-once delivery
        start += cut
    assert replayed.incidents == once.incidents
    assert set(replayed.outbox) == set(once.outbox)
    assert replayed.states["driveway"][0] == once.states["driveway"][0]


def test_a_stationary_track_is_lost_when_delivered_frames_keep_missing_it():
    text = WATCHLIST + "tracking: {lost_after_seconds: 30, stationary_seconds: 20}\n"
    parked = box(0.3, 0.5, 0.3, 0.2)
    frames = [(10 * i, [car(parked)]) for i in range(5)]  # stationary from 20 s on
    frames += [(50 + 5 * i, []) for i in range(8)]  # 35 s of frames without it
    frames += [(100, [car(parked)]), (105, [car(parked)])]  # back again: a new incident
    camera, outcome = run(frames, text)
    assert len(outcome.alerts) == 2 and track_ids(camera) == ["t2"]
