"""Cascade confirmation: one Rekognition look per new incident, trust per camera and label, people
always checked, and an unconfirmed incident dismissed instead of alerted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from framewatch.core.watchlist import load_watchlist
from framewatch.logic.confirm import confirm_alerts

from .pipeline_fakes import ScriptedVision, face_match

NOW = datetime(2026, 11, 28, 21, 4, tzinfo=UTC)
WATCHLIST = load_watchlist(
    """
rules:
  - name: vehicle
    labels: [Vehicle]
  - name: family
    people: [ada]
  - name: strangers
    unknown_faces: true
"""
)
CAR = {"Name": "Car", "Confidence": 97.0, "Parents": [{"Name": "Vehicle"}], "Instances": []}


class DictOutbox:
    def __init__(self) -> None:
        self.confirmed: list[str] = []
        self.dismissed: list[str] = []
        self.trusted: dict[tuple[str, str], str] = {}

    def confirm(self, camera_id: str, alert_id: str) -> None:
        self.confirmed.append(alert_id)

    def dismiss(self, camera_id: str, alert_id: str, incident_id: str) -> None:
        self.dismissed.append(alert_id)

    def trusted_until(self, camera_id: str, label: str) -> str | None:
        return self.trusted.get((camera_id, label))

    def trust(self, camera_id: str, label: str, until: str | None) -> None:
        if until is None:
            self.trusted.pop((camera_id, label), None)
        else:
            self.trusted[(camera_id, label)] = until


def alert(
    n: int, rule: str = "vehicle", label: str = "Car", camera: str = "street", **more: Any
) -> dict[str, Any]:
    return {
        "alert_id": f"i{n}#0", "alert_number": 1, "incident_id": f"i{n}", "camera_id": camera, "rule": rule,
        "label": label, "subject": label, "bucket": "media", "s3_key": f"frames/{n}.jpg", **more,
    }  # fmt: skip


def confirm(
    alerts: list[dict[str, Any]], vision: ScriptedVision, outbox: DictOutbox, **kwargs: Any
) -> list[str]:
    kept = confirm_alerts(
        alerts, vision, outbox, WATCHLIST, collection_id="faces", face_match_threshold=80.0, **kwargs
    )
    return [a["alert_id"] for a in kept]


def test_a_label_rekognition_sees_is_confirmed_and_one_it_does_not_is_dismissed() -> None:
    outbox = DictOutbox()
    assert confirm([alert(1)], ScriptedVision(labels=[CAR]), outbox, now=NOW) == ["i1#0"]
    assert confirm([alert(2)], ScriptedVision(labels=[]), outbox, now=NOW) == []
    assert (outbox.confirmed, outbox.dismissed) == (["i1#0"], ["i2#0"])


def test_one_look_per_incident_never_for_a_reminder_or_a_replayed_confirmation() -> None:
    vision = ScriptedVision(labels=[CAR])
    kept = confirm(
        [alert(1), alert(2, alert_number=2), alert(3, confirmed=True)], vision, DictOutbox(), now=NOW
    )
    assert kept == ["i1#0", "i2#0", "i3#0"]
    assert [image for image, _ in vision.called("detect_labels")] == [("media", "frames/1.jpg")]


def test_a_confirmed_label_is_trusted_on_its_camera_for_a_while() -> None:
    outbox, vision = DictOutbox(), ScriptedVision(labels=[CAR])
    for n in range(5):  # a busy street: a new car every 30 s
        assert confirm(
            [alert(n)], vision, outbox, now=NOW + timedelta(seconds=30 * n), trust_seconds=600
        ) == [f"i{n}#0"]
    assert len(vision.called("detect_labels")) == 1
    confirm([alert(9, camera="garage")], vision, outbox, now=NOW, trust_seconds=600)  # another camera: asked
    confirm(
        [alert(10)], vision, outbox, now=NOW + timedelta(seconds=601), trust_seconds=600
    )  # expired: asked
    assert len(vision.called("detect_labels")) == 3


def test_a_dismissal_ends_the_trust() -> None:
    outbox = DictOutbox()
    confirm([alert(1)], ScriptedVision(labels=[CAR]), outbox, now=NOW, trust_seconds=600)
    outbox.trusted[("street", "Car")] = "2000-01-01T00:00:00.000Z"  # expired
    confirm([alert(2)], ScriptedVision(labels=[]), outbox, now=NOW, trust_seconds=600)
    assert ("street", "Car") not in outbox.trusted
    vision = ScriptedVision(labels=[CAR])
    confirm([alert(3)], vision, outbox, now=NOW, trust_seconds=600)
    assert len(vision.called("detect_labels")) == 1


def test_people_are_always_searched_and_must_be_who_the_incident_says() -> None:
    outbox = DictOutbox()
    ada = alert(1, rule="family", label="Person", subject="ada")
    stranger = alert(2, rule="strangers", label="Person", subject="Person")
    vision = ScriptedVision(matches=[face_match("ada", "f1", 95.0), None, face_match("bob", "f2", 90.0)])
    kept = confirm(
        [ada, stranger, alert(3, rule="family", label="Person", subject="ada")],
        vision,
        outbox,
        now=NOW,
        trust_seconds=600,
    )
    assert kept == ["i1#0", "i2#0"]  # ada is ada; nobody matched the stranger; the third was bob
    assert outbox.dismissed == ["i3#0"]
    assert len(vision.called("search_largest_face")) == 3 and not vision.called("detect_labels")
