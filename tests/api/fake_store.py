"""An in-memory ``service.Store`` for the frames API's unit tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from framewatch.api.settings import ApiSettings

SETTINGS = ApiSettings(
    frames_table="f",
    people_table="p",
    alerts_table="a",
    incidents_table="i",
    media_bucket="m",
    collection_id="c",
    region="eu-west-1",
    lookback_days=10,
    execution_url_template="/executions.html?arn={execution_arn}&since={captured_at}",
)


class FakeStore:
    """The ``service.Store`` interface over lists, for rules that need no AWS."""

    def __init__(
        self, frames: list[dict[str, Any]] | None = None, incidents: list[dict[str, Any]] | None = None
    ) -> None:
        self.settings = SETTINGS
        self.execution_reads: list[tuple[str, datetime | None]] = []
        self.frames = frames or []
        self.incidents = incidents or []
        self.people_items: dict[str, dict[str, Any]] = {}
        self.deleted_faces: list[str] = []
        self.deleted_prefixes: list[str] = []

    def _desc(
        self, items: list[dict[str, Any]], key: str, before: str | None, limit: int
    ) -> list[dict[str, Any]]:
        chosen = [i for i in items if before is None or i[key] < before]
        return sorted(chosen, key=lambda i: i[key], reverse=True)[:limit]

    def frames_on_day(self, day: str, before: str | None, limit: int) -> list[dict[str, Any]]:
        return self._desc([f for f in self.frames if f["day"] == day], "frame_key", before, limit)

    def frames_of_camera(self, camera_id: str, before: str | None, limit: int) -> list[dict[str, Any]]:
        return self._desc([f for f in self.frames if f["camera_id"] == camera_id], "frame_key", before, limit)

    def frame_by_id(self, frame_id: str) -> dict[str, Any] | None:
        return next((f for f in self.frames if f["frame_id"] == frame_id), None)

    def camera_ids_on_day(self, day: str, max_items: int) -> list[str]:
        return sorted({f["camera_id"] for f in self.frames if f["day"] == day})

    def alerts_on_day(self, day: str, before: str | None, limit: int) -> list[dict[str, Any]]:
        return []

    def _matching(self, filters: dict[str, str] | None) -> list[dict[str, Any]]:
        return [i for i in self.incidents if all(i.get(k) == v for k, v in (filters or {}).items())]

    def incidents_on_day(
        self, day: str, before: str | None, limit: int, filters: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        chosen = [i for i in self._matching(filters) if i["day"] == day]
        return self._desc(chosen, "started_key", before, limit)

    def incidents_of_camera(
        self, camera_id: str, before: str | None, limit: int, filters: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        chosen = [i for i in self._matching(filters) if i["camera_id"] == camera_id]
        return self._desc(chosen, "started_key", before, limit)

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        return next((i for i in self.incidents if i["incident_id"] == incident_id), None)

    def frames_between(
        self, camera_id: str, low: str, high: str, after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        chosen = [
            f
            for f in self.frames
            if f["camera_id"] == camera_id
            and low <= f["frame_key"] <= high
            and (after is None or f["frame_key"] > after)
        ]
        return sorted(chosen, key=lambda f: f["frame_key"])[:limit]

    def people(self) -> list[dict[str, Any]]:
        return list(self.people_items.values())

    def person(self, person_id: str) -> dict[str, Any] | None:
        found = self.people_items.get(person_id)
        return dict(found) if found else None

    def create_person(self, person: dict[str, Any]) -> bool:
        if person["person_id"] in self.people_items:
            return False
        self.people_items[person["person_id"]] = dict(person)
        return True

    def mark_pending(self, person_id: str, now_iso: str) -> None:
        self.people_items[person_id]["status"] = "pending"

    def delete_person(self, person_id: str) -> None:
        del self.people_items[person_id]

    def delete_faces(self, face_ids: list[str]) -> None:
        self.deleted_faces.extend(face_ids)

    def delete_objects(self, prefix: str) -> int:
        self.deleted_prefixes.append(prefix)
        return 0

    def presigned_get(self, bucket: str | None, key: str | None) -> str | None:
        return f"https://signed/{key}" if key else None

    def presigned_put(self, key: str, content_type: str = "image/jpeg") -> str:
        return f"https://signed-put/{key}"

    def execution(self, arn: str, since: datetime | None = None) -> None:
        self.execution_reads.append((arn, since))
        return None
