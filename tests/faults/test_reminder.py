"""Issue 7, one reminder per incident: an incident longer than the suppression window alerts twice.

The stack runs with ``SuppressionWindowSeconds: 20`` (the template's minimum is 10). One subject is
seen at capture times t0, t0+10 s, ..., t0+35 s, one frame per Kinesis put as a live camera would send
them: t0 claims the slot (alert), t0+10 is inside the window (suppressed), t0+20 reaches the slot's
expiry t0+20 (the reminder, claiming the slot until t0+40), t0+30 and t0+35 are suppressed again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from framewatch.embedded.stack import EmbeddedStack
from framewatch.media import clip_jpegs

from .conftest import Observed, alert_items, put, record, report, start_stack, start_time

CAMERA = "hallway"
WINDOW = 20
OFFSETS = [0, 10, 20, 30, 35]  # a bit more than one window, short of a second reminder at 40
WATCHLIST = f"""
rules:
  - name: person
    labels: [Person]
    min_confidence: 55
    cameras: [{CAMERA}]
"""
PERSON = clip_jpegs("bikes.mp4", [0])[0]  # the bundled clip's first frame shows people (and vehicles)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    with start_stack(
        tmp_path_factory.mktemp("reminder"), WATCHLIST, parameters={"SuppressionWindowSeconds": WINDOW}
    ) as running:
        yield running


def test_an_incident_past_the_window_gets_exactly_one_reminder(stack: EmbeddedStack) -> None:
    observed = Observed(stack)
    t0 = start_time(seconds_ago=120).replace(microsecond=0)
    payloads = [
        record(CAMERA, PERSON, seq=n, at=t0 + timedelta(seconds=offset)) for n, offset in enumerate(OFFSETS)
    ]
    for payload in payloads:
        put(stack, [payload], CAMERA)

    counts = observed.counts(CAMERA, frames_in=len(payloads))
    alerts = sorted(alert_items(stack, CAMERA), key=lambda a: a["alert_key"]["S"])
    timeline = [(a["captured_at"]["S"][11:19], a["status"]["S"]) for a in alerts]
    counts["timeline"] = timeline  # type: ignore[assignment]
    report("reminder", counts)

    assert counts["enriched"] == len(payloads) and counts["in_dlq"] == 0
    messages = observed.sns_messages(CAMERA)
    assert len(messages) == 2, messages  # the first alert and exactly one reminder
    assert {m["Subject"] for m in messages} == {f"[{CAMERA}] Person seen"}
    assert [status for _, status in timeline] == ["sent", "suppressed", "sent", "suppressed", "suppressed"]
    assert {a["dedupe_key"]["S"] for a in alerts} == {f"{CAMERA}#person#Person"}
    assert counts["suppressed"] == 3
