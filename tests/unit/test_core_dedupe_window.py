"""The dedupe window, as the AnalyzeFrames workflow enforces it with build_match's numbers.

The workflow's "Claim alert slot" state is a conditional PutItem on the alert-slots table. The
condition is mirrored below as a small pure function; a test reads the ASL so the mirror (and the
fields it relies on) cannot drift from the state machine unnoticed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from framewatch.core.alerts import Match, build_match
from framewatch.core.frame_ref import make_frame_ref
from framewatch.core.watchlist import Hit

PROPERTY = settings(max_examples=150, deadline=None)
ASL = Path(__file__).resolve().parents[2] / "statemachines" / "analyze_frames.asl.json"
CLAIM_CONDITION = (
    "attribute_not_exists(dedupe_key) OR expires_at <= :captured"
    " OR (alert_id = :alert_id AND attribute_not_exists(sent_at))"
)
Slot = dict[str, Any]


def claim_condition(slot: Slot | None, captured: int, alert_id: str) -> bool:
    """CLAIM_CONDITION, evaluated against the item stored under the match's dedupe key."""
    return (
        slot is None
        or slot["expires_at"] <= captured
        or (slot["alert_id"] == alert_id and "sent_at" not in slot)
    )


def claim(slots: dict[str, Slot], match: Match) -> bool:
    """The "Claim alert slot" PutItem: replaces the whole item when the condition holds."""
    if not claim_condition(slots.get(match.dedupe_key), match.captured_epoch, match.alert_id):
        return False
    slots[match.dedupe_key] = {"expires_at": match.slot_expires_at, "alert_id": match.alert_id}
    return True


def mark_sent(slots: dict[str, Slot], match: Match) -> None:
    """The "Mark alert slot sent" UpdateItem (SET sent_at = :now)."""
    slots[match.dedupe_key]["sent_at"] = "now"


# --- the mirror matches the state machine ------------------------------------------------------------


def find_state(node: Any, name: str) -> dict[str, Any]:
    if isinstance(node, dict):
        if name in node.get("States", {}):
            return node["States"][name]
        for child in node.values():
            found = find_state(child, name)
            if found:
                return found
    if isinstance(node, list):
        for child in node:
            found = find_state(child, name)
            if found:
                return found
    return {}


def test_the_workflow_claims_a_slot_with_the_mirrored_condition_and_match_fields():
    definition = json.loads(ASL.read_text())
    claim_state = find_state(definition, "Claim alert slot")
    assert claim_state, "no 'Claim alert slot' state in analyze_frames.asl.json"
    params = claim_state["Parameters"]

    assert claim_state["Resource"] == "arn:aws:states:::dynamodb:putItem"
    assert params["ConditionExpression"] == CLAIM_CONDITION
    assert params["Item"]["dedupe_key"] == {"S.$": "$.match.dedupe_key"}
    assert params["Item"]["expires_at"] == {"N.$": "States.Format('{}', $.match.slot_expires_at)"}
    assert params["Item"]["alert_id"] == {"S.$": "$.match.alert_id"}
    assert "sent_at" not in params["Item"]
    assert params["ExpressionAttributeValues"] == {
        ":captured": {"N.$": "States.Format('{}', $.match.captured_epoch)"},
        ":alert_id": {"S.$": "$.match.alert_id"},
    }
    condition_failed = "DynamoDB.ConditionalCheckFailedException"
    on_condition_failed = [c["Next"] for c in claim_state["Catch"] if condition_failed in c["ErrorEquals"]]
    assert on_condition_failed == ["Suppress duplicate alert"]

    mark = find_state(definition, "Mark alert slot sent")
    assert mark["Parameters"]["Key"] == {"dedupe_key": {"S.$": "$.match.dedupe_key"}}
    assert mark["Parameters"]["UpdateExpression"] == "SET sent_at = :now"


# --- the window --------------------------------------------------------------------------------------

T_MIN = int(datetime(2020, 1, 1, tzinfo=UTC).timestamp())
T_MAX = int(datetime(2035, 1, 1, tzinfo=UTC).timestamp())
captured_ms = st.integers(min_value=T_MIN * 1000, max_value=T_MAX * 1000)
windows = st.integers(min_value=10, max_value=86_400)  # PipelineSettings.suppression_window_seconds
HIT = Hit(rule="vehicle", kind="label", subject="Car", subject_name="Car", confidence=90.0)


def match_at(epoch_ms: int, frame_id: str, window: int, camera_id: str = "porch") -> Match:
    captured = datetime.fromtimestamp(0, UTC) + timedelta(milliseconds=epoch_ms)
    frame = make_frame_ref(
        camera_id=camera_id,
        frame_id=frame_id,
        captured_at=captured,
        seq=0,
        width=1,
        height=1,
        bucket="media",
        s3_key="k",
        source="kinesis",
        retention_days=1,
    )
    return build_match(HIT, frame, window_seconds=window, tz=UTC, frame_link="link")


@PROPERTY
@given(captured_ms, st.integers(min_value=0, max_value=2 * 86_400_000), windows)
def test_a_later_frame_is_suppressed_iff_it_falls_inside_the_window(t0_ms: int, gap_ms: int, window: int):
    first = match_at(t0_ms, "f-1", window)
    second = match_at(t0_ms + gap_ms, "f-2", window)
    assert first.dedupe_key == second.dedupe_key
    assert first.slot_expires_at == first.captured_epoch + window

    slots: dict[str, Slot] = {}
    assert claim(slots, first)
    mark_sent(slots, first)

    # The window is kept in whole seconds of capture time.
    t0, t = t0_ms // 1000, (t0_ms + gap_ms) // 1000
    inside_window = t < t0 + window
    assert claim(slots, second) is not inside_window


@PROPERTY
@given(captured_ms, st.integers(min_value=0, max_value=86_400_000), windows, st.booleans())
def test_a_replay_of_the_claiming_frame_claims_again_only_if_it_never_sent(t0_ms, gap_ms, window, sent):
    first = match_at(t0_ms, "f-1", window)
    slots: dict[str, Slot] = {}
    assert claim(slots, first)
    if sent:
        mark_sent(slots, first)
    # A different frame inside the window is suppressed whether or not the first one was sent...
    if (t0_ms + gap_ms) // 1000 < t0_ms // 1000 + window:
        assert not claim(dict(slots), match_at(t0_ms + gap_ms, "f-2", window))
    # ...while a replay of the same frame gets through only when the first attempt did not send.
    assert claim(dict(slots), match_at(t0_ms, "f-1", window)) is not sent


@PROPERTY
@given(st.lists(st.integers(min_value=0, max_value=3_600_000), min_size=1, max_size=30), windows, captured_ms)
def test_a_stream_of_frames_alerts_once_per_window(offsets_ms: list[int], window: int, t0_ms: int):
    """Frames of one incident in capture order: an alert goes out at the first frame, then at the first
    frame whose capture second is at least a window after the last alert; the rest are suppressed."""
    times = sorted(t0_ms + o for o in offsets_ms)
    slots: dict[str, Slot] = {}
    sent_at: list[int] = []
    for i, t_ms in enumerate(times):
        match = match_at(t_ms, f"f-{i}", window)
        if claim(slots, match):
            mark_sent(slots, match)
            sent_at.append(t_ms // 1000)

    expected: list[int] = []
    for t_ms in times:
        if not expected or t_ms // 1000 >= expected[-1] + window:
            expected.append(t_ms // 1000)
    assert sent_at == expected


@PROPERTY
@given(captured_ms, windows)
def test_incidents_on_other_cameras_have_their_own_slot(t0_ms: int, window: int):
    slots: dict[str, Slot] = {}
    assert claim(slots, match_at(t0_ms, "f-1", window, camera_id="porch"))
    assert claim(slots, match_at(t0_ms, "f-2", window, camera_id="yard"))
    assert not claim(slots, match_at(t0_ms, "f-3", window, camera_id="porch"))
