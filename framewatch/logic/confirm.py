"""Cascade: Rekognition looks once at each new incident the bundled detector opened, before its alert.

Only an incident's first alert is checked (a reminder was confirmed with its first alert, and a replay
finds the outbox item already confirmed), so Rekognition sees one image per incident, never one per
frame. A label incident is confirmed when Rekognition finds its label (or a label its rule watches) in
the incident's best frame; a registered person when the largest face there matches that person; an
unknown face when it matches nobody. What is not confirmed is dismissed: its alert is never sent.

A label Rekognition confirmed on a camera is then trusted there for ``trust_seconds``: new incidents of
it go out without another call (a busy street opens a Car incident every few seconds, and a detector
that was right about cars there a minute ago adds nothing by being asked again). A dismissal ends the
trust at once. People are always checked: who it is matters more than what.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from framewatch.core.detections import labels_from_rekognition
from framewatch.core.frame_record import utc_iso
from framewatch.core.watchlist import Rule, WatchList
from framewatch.logic.ports import Vision


class AlertOutbox(Protocol):
    """The outbox items of alerts waiting to be sent, and their incidents (DynamoDB)."""

    def confirm(self, camera_id: str, alert_id: str) -> None: ...

    def dismiss(self, camera_id: str, alert_id: str, incident_id: str) -> None:
        """Never send it (only if it is still pending); the incident says it was dismissed."""
        ...

    def trusted_until(self, camera_id: str, label: str) -> str | None:
        """Until when (ISO-8601 UTC) ``label`` needs no confirmation on this camera, if at all."""
        ...

    def trust(self, camera_id: str, label: str, until: str | None) -> None:
        """Trust ``label`` on this camera until ``until``; None ends the trust."""
        ...


def confirm_alerts(
    alerts: list[dict[str, Any]],
    vision: Vision,
    outbox: AlertOutbox,
    watchlist: WatchList,
    *,
    collection_id: str,
    face_match_threshold: float,
    now: datetime,
    trust_seconds: float = 0.0,
) -> list[dict[str, Any]]:
    """The alerts that may go out, in the order given."""
    kept = []
    for alert in alerts:
        if int(alert.get("alert_number", 1)) > 1 or alert.get("confirmed"):
            kept.append(alert)
            continue
        camera, label = str(alert["camera_id"]), str(alert["label"])
        rule = watchlist.rule(str(alert["rule"]))
        about_people = rule is not None and bool(rule.people or rule.unknown_faces)
        trusted = bool(trust_seconds) and (outbox.trusted_until(camera, label) or "") > utc_iso(now)
        if rule is not None and (about_people or not trusted):
            seen = _seen_by_rekognition(alert, rule, vision, collection_id, face_match_threshold)
            if trust_seconds and not about_people:
                outbox.trust(camera, label, utc_iso(now + timedelta(seconds=trust_seconds)) if seen else None)
            if not seen:
                outbox.dismiss(camera, alert["alert_id"], alert["incident_id"])
                continue
        outbox.confirm(camera, alert["alert_id"])
        kept.append({**alert, "confirmed": True})
    return kept


def _seen_by_rekognition(
    alert: dict[str, Any], rule: Rule, vision: Vision, collection_id: str, threshold: float
) -> bool:
    frame = (str(alert["bucket"]), str(alert["s3_key"]))
    if rule.people or rule.unknown_faces:
        match = vision.search_largest_face(frame, collection_id=collection_id, threshold=threshold)
        person = match["Face"].get("ExternalImageId") if match else None
        return person is None if rule.unknown_faces else person == alert.get("subject")
    wanted = {str(alert["label"]).casefold(), *(name.casefold() for name in rule.labels)}
    # Rekognition's own confidence scale: the rule's threshold was set for the detector that opened it.
    labels = labels_from_rekognition(vision.detect_labels(frame, max_labels=50, min_confidence=50.0))
    return any(label.names() & wanted for label in labels)
