"""In-memory TrackStore for unit tests: the same contract as the DynamoDB adapter (versioned writes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from framewatch.core.frame_record import utc_iso
from framewatch.core.incidents import AlertDue, CameraState, IncidentRecord
from framewatch.logic.track import StoredState


class InMemoryTrackStore:
    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.clock = clock  # the wall clock commits are stamped with
        self.states: dict[str, tuple[str, int]] = {}  # camera → (state JSON, version)
        self.updated_at: dict[str, str] = {}
        self.incidents: dict[str, dict[str, Any]] = {}
        self.outbox: dict[tuple[str, str], dict[str, Any]] = {}
        self.commits = 0

    def load(self, camera_id: str) -> StoredState | None:
        stored = self.states.get(camera_id)
        if stored is None:
            return None
        # A fresh copy, as a database read is: the caller mutates what it loads.
        return StoredState(
            state=CameraState.model_validate_json(stored[0]),
            version=stored[1],
            updated_at=self.updated_at[camera_id],
        )

    def commit(
        self,
        camera_id: str,
        expected_version: int | None,
        state: CameraState,
        incidents: list[IncidentRecord],
        alerts: list[AlertDue],
        expires_at: int,
    ) -> bool:
        current = self.states.get(camera_id)
        if (current[1] if current else None) != expected_version:
            return False
        self.states[camera_id] = (state.model_dump_json(), (expected_version or 0) + 1)
        self.updated_at[camera_id] = utc_iso(self.clock())
        for record in incidents:
            item = self.incidents.setdefault(record.incident_id, {"alert_status": "none"})
            item.update(record.model_dump(exclude={"alert_due"}))
            if record.alert_due:
                item["alert_status"] = "pending"
        for alert in alerts:
            self.outbox[(camera_id, alert.alert_id)] = {**alert.model_dump(), "status": "pending"}
        self.commits += 1
        return True

    def pending_alerts(self, camera_id: str, stale_before: str) -> list[dict[str, Any]]:
        return [
            dict(item)
            for (camera, _), item in sorted(self.outbox.items())
            if camera == camera_id and item["status"] == "pending"
        ]

    def quiet_cameras(self, updated_before: str) -> list[str]:
        return sorted(camera for camera, at in self.updated_at.items() if at < updated_before)

    def mark_sent(self, alert_id: str) -> None:
        """What the workflow's alert states do once SNS took the message."""
        for (_, key), item in self.outbox.items():
            if key == alert_id:
                item["status"] = "sent"
