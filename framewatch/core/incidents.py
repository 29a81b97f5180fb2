"""Incidents: one per (confirmed track, rule), with the alert semantics people expect.

An incident opens when a confirmed track satisfies a rule (its labels, a registered person named by a
vote of face matches, or an unknown face; its required zones and loitering time), and ends when the
track is lost. A rule of severity ``alert`` sends one alert when the incident opens; a stationary
object never re-alerts, and reminders happen only with the rule's ``remind_after``. Pure: the caller
loads and stores the camera's state.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

from pydantic import BaseModel, ConfigDict

from framewatch.core.geometry import Box
from framewatch.core.tracking import FrameInfo, Track, Tracker, TrackerState
from framewatch.core.watchlist import Observation, Rule, WatchList, person_matches

SNS_SUBJECT_LIMIT = 100
IncidentKind = Literal["label", "person", "unknown_face"]


class OpenIncident(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident_id: str
    opened_at: float
    frame_count: int = 1
    alerts: int = 0  # alerts decided so far: the first, then reminders
    last_alert_at: float | None = None


class CameraState(BaseModel):
    """The camera's tracks item: tracker state, open incidents per track, and the newest frame applied."""

    model_config = ConfigDict(extra="forbid")

    tracker: TrackerState = TrackerState()
    incidents: dict[str, dict[str, OpenIncident]] = {}  # track id → rule → incident
    last_frame_key: str | None = None


class IncidentRecord(BaseModel):
    """The tracker-owned fields of an incident item (docs/data-model.md)."""

    model_config = ConfigDict(frozen=True)

    incident_id: str
    camera_id: str
    day: str
    started_key: str
    rule: str
    kind: IncidentKind
    label: str
    person_id: str | None
    person_name: str | None
    severity: Literal["alert", "detection"]
    state: Literal["active", "ended"]
    stationary: bool
    first_seen: str
    last_seen: str
    frame_count: int
    zones_entered: list[str]
    best_frame_id: str
    best_frame_key: str
    best_bucket: str
    best_s3_key: str
    best_box: Box
    best_score: float
    track_id: str
    alert_due: bool  # this frame decided an alert (the item's alert_status becomes pending)
    expires_at: int


class AlertDue(BaseModel):
    """An alert decided by a frame; the outbox item the workflow sends (docs/data-model.md)."""

    model_config = ConfigDict(frozen=True)

    alert_id: str
    alert_number: int  # 1 for the incident's alert, 2.. for reminders
    incident_id: str
    camera_id: str
    rule: str
    label: str
    severity: str
    subject: str
    subject_line: str
    message: str
    link: str
    captured_at: str
    day: str
    alert_key: str
    frame_id: str
    frame_key: str
    bucket: str
    s3_key: str
    expires_at: int


class FrameOutcome(BaseModel):
    incidents: list[IncidentRecord] = []
    alerts: list[AlertDue] = []


class AlertContext(BaseModel):
    """What alert text and retention need from the deployment's settings."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    timezone: tzinfo
    ui_base_url: str | None
    retention_days: int


def incident_id(camera_id: str, track: Track, rule: str) -> str:
    started = datetime.fromtimestamp(track.first_seen, UTC).strftime("%Y%m%dT%H%M%S")
    return f"{camera_id}-{started}-{track.track_id}-{rule}"


def incident_link(ui_base_url: str | None, ident: str) -> str:
    if ui_base_url:
        return f"{ui_base_url.rstrip('/')}/#incident/{ident}"
    return f"incident {ident} in the framewatch web UI (set UiBaseUrl for a link)"


def _kind(rule: Rule, track: Track, face_votes: int) -> IncidentKind | None:
    """Which part of the rule the track satisfies, if any (labels, a named person, an unknown face)."""
    if rule.people and person_matches(rule, track.person_id, track.person_name):
        return "person"
    if rule.unknown_faces and track.person_id is None:
        unknown = track.rules_met.get(rule.name, 0)
        if unknown >= face_votes and unknown > sum(track.person_votes.values()):
            return "unknown_face"
    if rule.labels and track.kind == "object" and track.rules_met.get(rule.name, 0) > 0:
        return "label"
    return None


def _where_satisfied(rule: Rule, track: Track, now: float) -> bool:
    """Required zones entered, and the loitering time spent there (or in view, without zones)."""
    if rule.required_zones:
        inside = [track.zones_inside[z] for z in rule.required_zones if z in track.zones_inside]
        if not inside:
            return False
        return now - min(inside) >= rule.loitering_seconds
    return now - track.first_seen >= rule.loitering_seconds


def _who(kind: IncidentKind, track: Track) -> str:
    if kind == "person":
        return track.person_name or track.person_id or "A registered person"
    if kind == "unknown_face":
        return "Unknown face"
    # A person the faces named is named on every rule's alert, not only the people rule's.
    return track.person_name or track.label


class CameraIncidents:
    """Applies one camera's frames to its state and reports incident changes and alerts due."""

    def __init__(self, state: CameraState, watchlist: WatchList, context: AlertContext) -> None:
        self.state = state
        self.watchlist = watchlist
        self.context = context
        self.tracker = Tracker(state.tracker, watchlist.tracking, watchlist.zones)

    def apply(self, frame: FrameInfo, observations: list[Observation]) -> FrameOutcome:
        lost = self.tracker.apply(frame, observations)
        outcome = FrameOutcome()
        for track in lost:
            for rule_name, ending in self.state.incidents.pop(track.track_id, {}).items():
                outcome.incidents.append(self._record(frame.camera_id, track, rule_name, ending, ended=True))
        local = datetime.fromtimestamp(frame.time, UTC).astimezone(self.context.timezone)
        for track in self.state.tracker.tracks:
            if track.status != "confirmed" or not track.seen_now:
                continue
            open_here = self.state.incidents.setdefault(track.track_id, {})
            for rule in self.watchlist.rules:
                incident = open_here.get(rule.name)
                if incident is not None:
                    incident.frame_count += 1
                elif rule.applies_to(frame.camera_id, local) and self._satisfied(rule, track, frame.time):
                    # It counts every frame of the track since its first sighting, as first_seen does.
                    incident = open_here[rule.name] = OpenIncident(
                        incident_id=incident_id(frame.camera_id, track, rule.name),
                        opened_at=frame.time,
                        frame_count=track.hits,
                    )
                else:
                    continue
                alert = self._alert_if_due(rule, track, incident, frame)
                if alert is not None:
                    outcome.alerts.append(alert)
                outcome.incidents.append(
                    self._record(frame.camera_id, track, rule.name, incident, alert_due=alert is not None)
                )
            if not open_here:
                del self.state.incidents[track.track_id]
        self.state.last_frame_key = frame.frame_key
        return outcome

    def _satisfied(self, rule: Rule, track: Track, now: float) -> bool:
        return _kind(rule, track, self.watchlist.tracking.face_votes) is not None and _where_satisfied(
            rule, track, now
        )

    def _alert_if_due(
        self, rule: Rule, track: Track, incident: OpenIncident, frame: FrameInfo
    ) -> AlertDue | None:
        if rule.severity != "alert":
            return None
        if incident.alerts > 0:
            # Reminders only on request, and never for an object that stays put.
            if rule.remind_after is None or track.stationary:
                return None
            if incident.last_alert_at is not None and frame.time - incident.last_alert_at < rule.remind_after:
                return None
        incident.alerts += 1
        incident.last_alert_at = frame.time
        return self._alert(rule, track, incident, frame)

    def _alert(self, rule: Rule, track: Track, incident: OpenIncident, frame: FrameInfo) -> AlertDue:
        kind = _kind(rule, track, self.watchlist.tracking.face_votes) or "label"
        who = _who(kind, track)
        best = track.best
        assert best is not None  # a confirmed track has been seen
        local = datetime.fromtimestamp(frame.time, UTC).astimezone(self.context.timezone)
        score = f"{best.score:.0f}%"
        reminder = incident.alerts > 1
        subject = f"{who} at {frame.camera_id}, {local:%H:%M}, {score}" + (
            " (still there)" if reminder else ""
        )
        link = incident_link(self.context.ui_base_url, incident.incident_id)
        message = (
            f"{who} at {frame.camera_id}, {local:%a %d %b %Y %H:%M:%S %Z}, {score} "
            f"(rule {rule.name}{', reminder' if reminder else ''}).\nOpen: {link}"
        )
        alert_id = f"{incident.incident_id}#{incident.alerts - 1}"
        return AlertDue(
            alert_id=alert_id,
            alert_number=incident.alerts,
            incident_id=incident.incident_id,
            camera_id=frame.camera_id,
            rule=rule.name,
            label=track.label,
            severity=rule.severity,
            subject=track.person_id if kind == "person" and track.person_id else track.label,
            # SNS subjects are ASCII-only and at most 100 characters.
            subject_line=subject.encode("ascii", "replace").decode()[:SNS_SUBJECT_LIMIT],
            message=message,
            link=link,
            captured_at=frame.captured_at,
            day=frame.captured_at[:10],
            alert_key=f"{frame.captured_at}#{alert_id}",
            frame_id=best.frame_id,
            frame_key=best.frame_key,
            bucket=best.bucket,
            s3_key=best.s3_key,
            expires_at=self._expiry(frame.time),
        )

    def _expiry(self, at: float) -> int:
        return int(
            (datetime.fromtimestamp(at, UTC) + timedelta(days=self.context.retention_days)).timestamp()
        )

    def end_quiet(self, camera_id: str, at: float) -> list[IncidentRecord]:
        """End the incidents of tracks a silent camera can no longer be seeing at capture time ``at``."""
        ended = []
        for track in self.tracker.end_quiet(at):
            for rule_name, ending in self.state.incidents.pop(track.track_id, {}).items():
                ended.append(self._record(camera_id, track, rule_name, ending, ended=True))
        return ended

    def _record(
        self,
        camera_id: str,
        track: Track,
        rule_name: str,
        incident: OpenIncident,
        *,
        ended: bool = False,
        alert_due: bool = False,
    ) -> IncidentRecord:
        rule = self.watchlist.rule(rule_name)
        kind = (_kind(rule, track, self.watchlist.tracking.face_votes) if rule else None) or "label"
        best = track.best
        assert best is not None
        first_seen = track.first_seen_at
        return IncidentRecord(
            incident_id=incident.incident_id,
            camera_id=camera_id,
            day=first_seen[:10],
            started_key=f"{first_seen}#{incident.incident_id}",
            rule=rule_name,
            kind=kind,
            label=track.label,
            person_id=track.person_id,
            person_name=track.person_name,
            severity=rule.severity if rule else "alert",
            state="ended" if ended else "active",
            stationary=track.stationary,
            first_seen=first_seen,
            last_seen=track.last_seen_at,
            frame_count=incident.frame_count,
            zones_entered=list(track.zones_entered),
            best_frame_id=best.frame_id,
            best_frame_key=best.frame_key,
            best_bucket=best.bucket,
            best_s3_key=best.s3_key,
            best_box=best.box,
            best_score=round(best.score, 1),
            track_id=track.track_id,
            alert_due=alert_due,
            expires_at=self._expiry(track.last_seen),
        )
