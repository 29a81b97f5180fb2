"""Alerts: dedupe keys, deterministic ids, and the subject line and message people read."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from framewatch.core.alerts import SNS_SUBJECT_LIMIT, alert_id, build_match, dedupe_key, frame_link
from framewatch.core.frame_record import CAMERA_ID_PATTERN, FRAME_ID_PATTERN
from framewatch.core.frame_ref import FrameRef, make_frame_ref
from framewatch.core.geometry import Box
from framewatch.core.watchlist import Hit

PROPERTY = settings(max_examples=150, deadline=None)
PARIS = ZoneInfo("Europe/Paris")
CAPTURED = datetime(2024, 7, 1, 12, 0, 5, 250000, tzinfo=UTC)  # a Monday; 14:00:05 in Paris


def frame_at(
    captured_at: datetime = CAPTURED,
    *,
    camera_id: str = "porch",
    frame_id: str = "porch:000001",
) -> FrameRef:
    return make_frame_ref(
        camera_id=camera_id,
        frame_id=frame_id,
        captured_at=captured_at,
        seq=1,
        width=640,
        height=480,
        bucket="media",
        s3_key=f"frames/{camera_id}/2024/07/01/{frame_id}.jpg",
        source="kinesis",
        retention_days=7,
    )


def car_hit(confidence: float = 91.66, subject_name: str = "Car", rule: str = "vehicle") -> Hit:
    return Hit(
        rule=rule,
        kind="label",
        subject="Car",
        subject_name=subject_name,
        confidence=confidence,
        box=Box(left=0.1, top=0.1, width=0.2, height=0.2),
    )


def match_for(hit: Hit, frame: FrameRef, *, window_seconds: int = 300, tz=PARIS):
    return build_match(hit, frame, window_seconds=window_seconds, tz=tz, frame_link=frame_link(frame, None))


def test_dedupe_key_is_camera_rule_subject():
    assert dedupe_key("porch", "vehicle", "Car") == "porch#vehicle#Car"


def test_build_match_carries_keys_times_and_text():
    frame = frame_at()
    match = match_for(car_hit(), frame)

    assert match.dedupe_key == "porch#vehicle#Car"
    assert match.alert_id == alert_id("porch:000001", "porch#vehicle#Car")
    assert re.fullmatch(r"[0-9a-f]{20}", match.alert_id)
    assert match.alert_key == f"2024-07-01T12:00:05.250Z#{match.alert_id}"
    assert match.captured_epoch == int(datetime(2024, 7, 1, 12, 0, 5, tzinfo=UTC).timestamp())
    assert match.slot_expires_at == match.captured_epoch + 300
    assert (match.rule, match.kind, match.subject, match.confidence) == ("vehicle", "label", "Car", 91.7)
    assert match.subject_line == "[porch] Car seen"
    assert match.message == (
        "Car seen on camera porch at Mon 01 Jul 2024 14:00:05 CEST (92% confidence, rule vehicle).\n"
        "Frame: s3://media/frames/porch/2024/07/01/porch:000001.jpg"
    )


def test_message_uses_the_local_time_of_the_given_zone_across_dst():
    winter = match_for(
        car_hit(), frame_at(datetime(2024, 1, 15, 23, 30, tzinfo=UTC)), tz=ZoneInfo("America/New_York")
    )
    summer = match_for(
        car_hit(), frame_at(datetime(2024, 7, 15, 23, 30, tzinfo=UTC)), tz=ZoneInfo("America/New_York")
    )
    assert "at Mon 15 Jan 2024 18:30:00 EST" in winter.message
    assert "at Mon 15 Jul 2024 19:30:00 EDT" in summer.message


def test_frame_link_prefers_the_ui_and_falls_back_to_the_s3_uri():
    frame = frame_at()
    assert (
        frame_link(frame, "https://cams.example.org/ui/") == "https://cams.example.org/ui/#frame/porch:000001"
    )
    assert frame_link(frame, "https://cams.example.org") == "https://cams.example.org/#frame/porch:000001"
    assert frame_link(frame, None) == "s3://media/frames/porch/2024/07/01/porch:000001.jpg"
    assert frame_link(frame, "") == frame_link(frame, None)
    link = "https://cams.example.org/#frame/porch:000001"
    match = build_match(car_hit(), frame, window_seconds=60, tz=UTC, frame_link=link)
    assert match.message.endswith(f"\nFrame: {link}")


def test_non_ascii_names_become_an_ascii_subject_line():
    hit = Hit(rule="family", kind="person", subject="zoe", subject_name="Zoë Ågren-Øster", confidence=97.0)
    line = match_for(hit, frame_at()).subject_line
    assert line.isascii()
    assert line.startswith("[porch] Zo") and line.endswith(" seen")
    assert "Zoë Ågren-Øster seen on camera porch" in match_for(hit, frame_at()).message


camera_ids = st.from_regex(CAMERA_ID_PATTERN, fullmatch=True)
frame_ids = st.from_regex(FRAME_ID_PATTERN, fullmatch=True)
names = st.text(min_size=1, max_size=300)


@PROPERTY
@given(camera_ids, names)
def test_subject_line_is_ascii_and_within_the_sns_limit(camera_id: str, subject_name: str):
    line = match_for(car_hit(subject_name=subject_name), frame_at(camera_id=camera_id)).subject_line
    assert line.isascii()
    assert len(line) <= SNS_SUBJECT_LIMIT
    assert line.startswith(f"[{camera_id}] ")


@PROPERTY
@given(
    camera_ids,
    frame_ids,
    frame_ids,
    st.sampled_from(["vehicle", "person", "family"]),
    st.sampled_from(["Car", "ada", "unknown-face"]),
)
def test_alert_id_depends_only_on_frame_and_dedupe_key(camera_id, frame_a, frame_b, rule, subject):
    key = dedupe_key(camera_id, rule, subject)
    assert alert_id(frame_a, key) == alert_id(frame_a, key)
    assert (alert_id(frame_a, key) == alert_id(frame_b, key)) == (frame_a == frame_b)
    assert alert_id(frame_a, key) != alert_id(frame_a, dedupe_key(camera_id, rule, subject + "x"))


@PROPERTY
@given(frame_ids, st.floats(min_value=0, max_value=100), st.integers(min_value=10, max_value=86_400))
def test_a_replayed_frame_builds_the_identical_match(frame_id: str, confidence: float, window: int):
    frame = frame_at(frame_id=frame_id)
    assert match_for(car_hit(confidence), frame, window_seconds=window) == match_for(
        car_hit(confidence), frame_at(frame_id=frame_id), window_seconds=window
    )


@PROPERTY
@given(
    st.tuples(camera_ids, st.sampled_from(["a", "b"]), st.sampled_from(["Car", "ada"])),
    st.tuples(camera_ids, st.sampled_from(["a", "b"]), st.sampled_from(["Car", "ada"])),
)
def test_dedupe_keys_of_different_incidents_differ(first, second):
    assume(first != second)
    assert dedupe_key(*first) != dedupe_key(*second)


@PROPERTY
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    st.integers(min_value=10, max_value=86_400),
)
def test_slot_expiry_is_capture_second_plus_window_and_alert_key_starts_with_capture(moment, window):
    frame = frame_at(moment)
    match = match_for(car_hit(), frame, window_seconds=window)
    assert match.captured_epoch == int(moment.replace(microsecond=0).timestamp())
    assert match.slot_expires_at == match.captured_epoch + window
    assert match.alert_key.startswith(f"{frame.captured_at}#")
    assert match.alert_key.split("#", 1)[1] == match.alert_id
    assert timedelta(0) <= moment - datetime.fromtimestamp(match.captured_epoch, UTC) < timedelta(seconds=1)
