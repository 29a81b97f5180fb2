"""What each API route does: walk days, page, sign URLs, create and delete people.

Works against any ``Store`` (``dal.AwsStore`` in production, an in-memory fake in unit tests).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from framewatch.api import queries as q
from framewatch.api.settings import ApiSettings
from framewatch.core.console import express_execution_url
from framewatch.core.faces import face_prefix
from framewatch.core.frame_record import utc_iso

Item = dict[str, Any]
# How many of a day's newest frames the camera wall looks through to find cameras.
CAMERA_SCAN_ITEMS = 1000


class Store(Protocol):
    settings: ApiSettings

    def frames_on_day(self, day: str, before: str | None, limit: int) -> list[Item]: ...
    def frames_of_camera(self, camera_id: str, before: str | None, limit: int) -> list[Item]: ...
    def frame_by_id(self, frame_id: str) -> Item | None: ...
    def camera_ids_on_day(self, day: str, max_items: int) -> list[str]: ...
    def alerts_on_day(self, day: str, before: str | None, limit: int) -> list[Item]: ...
    def incidents_on_day(
        self, day: str, before: str | None, limit: int, filters: dict[str, str] | None = None
    ) -> list[Item]: ...
    def incidents_of_camera(
        self, camera_id: str, before: str | None, limit: int, filters: dict[str, str] | None = None
    ) -> list[Item]: ...
    def incident(self, incident_id: str) -> Item | None: ...
    def frames_between(
        self, camera_id: str, low: str, high: str, after: str | None, limit: int
    ) -> list[Item]: ...
    def people(self) -> list[Item]: ...
    def person(self, person_id: str) -> Item | None: ...
    def create_person(self, person: Item) -> bool: ...
    def mark_pending(self, person_id: str, now_iso: str) -> None: ...
    def delete_person(self, person_id: str) -> None: ...
    def delete_faces(self, face_ids: list[str]) -> None: ...
    def delete_objects(self, prefix: str) -> int: ...
    def presigned_get(self, bucket: str | None, key: str | None) -> str | None: ...
    def presigned_put(self, key: str, content_type: str = "image/jpeg") -> str: ...
    def execution(self, arn: str, since: datetime | None = None) -> tuple[Item, list[Item]] | None: ...


def _now() -> datetime:
    return datetime.now(UTC)


def _walk_days(
    fetch: Callable[[str, str | None, int], list[Item]], start: q.Position, limit: int, lookback_days: int
) -> list[Item]:
    """Newest first across day partitions until ``limit`` items or ``lookback_days`` empty days.

    The first day is bounded by the cursor; every earlier day is read from its end.
    """
    items: list[Item] = []
    day: date = start.day
    before = start.sort_key
    empty_days = 0
    while len(items) < limit and empty_days <= lookback_days:
        found = fetch(day.isoformat(), before, limit - len(items))
        items.extend(found)
        empty_days = 0 if found else empty_days + 1
        day -= timedelta(days=1)
        before = None
    return items


def _page(items: list[Item], limit: int, kind: q.CursorKind, sort_key: str) -> str | None:
    """A cursor after the last item of a full page; a short page is the end."""
    return q.encode_cursor(kind, str(items[-1][sort_key])) if len(items) >= limit else None


def _frame(store: Store, item: Item) -> Item:
    s = store.settings
    return q.shape_frame(
        item,
        store.presigned_get(item.get("bucket"), item.get("s3_key")),
        q.execution_url(
            s.execution_url_template, s.region, item.get("execution_id"), item.get("captured_at")
        ),
    )


def list_frames(store: Store, params: q.FramesParams, now: datetime | None = None) -> Item:
    start = q.start_position("frames", params.before, now or _now())
    if params.camera:
        items = store.frames_of_camera(params.camera, start.sort_key, params.limit)
    else:
        items = _walk_days(store.frames_on_day, start, params.limit, store.settings.lookback_days)
    return {
        "frames": [_frame(store, i) for i in items],
        "next": _page(items, params.limit, "frames", "frame_key"),
    }


def get_frame(store: Store, frame_id: str) -> Item:
    item = store.frame_by_id(q.check_frame_id(frame_id))
    if item is None:
        raise q.NotFound(f"no frame {frame_id!r} (an upload shows up once it has been analysed)")
    return _frame(store, item)


def list_cameras(store: Store, now: datetime | None = None) -> Item:
    """Cameras seen today or yesterday (UTC), each with its newest frame."""
    today = (now or _now()).astimezone(UTC).date()
    seen: dict[str, None] = {}
    for day in (today + timedelta(days=1), today, today - timedelta(days=1)):
        for camera_id in store.camera_ids_on_day(day.isoformat(), CAMERA_SCAN_ITEMS):
            seen.setdefault(camera_id, None)
    cameras = []
    for camera_id in seen:
        latest = store.frames_of_camera(camera_id, None, 1)
        if latest:
            cameras.append({"camera_id": camera_id, "latest": _frame(store, latest[0])})
    cameras.sort(key=lambda c: str(c["camera_id"]))
    return {"cameras": cameras}


def list_alerts(store: Store, params: q.PageParams, now: datetime | None = None) -> Item:
    start = q.start_position("alerts", params.before, now or _now())
    items = _walk_days(store.alerts_on_day, start, params.limit, store.settings.lookback_days)
    s = store.settings
    alerts = [
        q.shape_alert(
            i,
            store.presigned_get(i.get("bucket"), i.get("s3_key")),
            q.execution_url(s.execution_url_template, s.region, i.get("execution_id"), i.get("captured_at")),
        )
        for i in items
    ]
    return {"alerts": alerts, "next": _page(items, params.limit, "alerts", "alert_key")}


def _incident(store: Store, item: Item) -> Item:
    return q.shape_incident(item, store.presigned_get(item.get("best_bucket"), item.get("best_s3_key")))


def list_incidents(store: Store, params: q.IncidentsParams, now: datetime | None = None) -> Item:
    start = q.start_position("incidents", params.before, now or _now())
    filters = params.filters()
    if params.camera:
        items = store.incidents_of_camera(params.camera, start.sort_key, params.limit, filters)
    else:

        def on_day(day: str, before: str | None, limit: int) -> list[Item]:
            return store.incidents_on_day(day, before, limit, filters)

        items = _walk_days(on_day, start, params.limit, store.settings.lookback_days)
    return {
        "incidents": [_incident(store, i) for i in items],
        "next": _page(items, params.limit, "incidents", "started_key"),
    }


def get_incident(store: Store, incident_id: str, params: q.IncidentFramesParams) -> Item:
    """The incident and a page of its frames, oldest first (the order they are played in)."""
    item = store.incident(q.check_incident_id(incident_id))
    if item is None:
        raise q.NotFound(f"no incident {incident_id!r}")
    low, high = q.incident_frame_range(item)
    after = None
    if params.after is not None:
        after = q.decode_cursor("incident-frames", params.after)
        # DynamoDB refuses a start key outside the key condition; so do we, with a reason.
        if after is None or not low <= after <= high:
            raise q.BadRequest("invalid query parameter after: not a cursor from this incident's frames")
    frames = store.frames_between(str(item["camera_id"]), low, high, after, params.limit)
    return {
        "incident": _incident(store, item),
        "frames": [_frame(store, f) for f in frames],
        "next": _page(frames, params.limit, "incident-frames", "frame_key"),
    }


def list_people(store: Store) -> Item:
    return {"people": q.sort_people([q.shape_person(p) for p in store.people()])}


def _enroll_upload(store: Store, person_id: str) -> Item:
    key = q.enroll_key(person_id)
    return {
        "upload_url": store.presigned_put(key),
        "upload_key": key,
        "upload_headers": {"Content-Type": "image/jpeg"},
    }


def create_person(store: Store, body: str | None, now: datetime | None = None) -> Item:
    person_in = q.parse_person(body)
    stamp = utc_iso(now or _now())
    for _ in range(5):  # a clash needs the same name and the same 24-bit suffix
        person = {
            "person_id": q.new_person_id(person_in.display_name),
            "display_name": person_in.display_name,
            "status": "pending",
            "created_at": stamp,
            "updated_at": stamp,
        }
        if store.create_person(person):
            return {"person": q.shape_person(person), **_enroll_upload(store, person["person_id"])}
    raise q.Unavailable("could not allocate a person id; try again")


def add_photo(store: Store, person_id: str, now: datetime | None = None) -> Item:
    """A new upload URL for an existing person (retry after ``no_face``, or add a photo)."""
    person = store.person(q.check_person_id(person_id))
    if person is None:
        raise q.NotFound(f"no person {person_id!r}")
    store.mark_pending(person_id, utc_iso(now or _now()))
    person["status"] = "pending"
    return {"person": q.shape_person(person), **_enroll_upload(store, person_id)}


def delete_person(store: Store, person_id: str) -> Item:
    person = store.person(q.check_person_id(person_id))
    if person is None:
        raise q.NotFound(f"no person {person_id!r}")
    face_ids = [str(f) for f in person.get("face_ids") or []]
    store.delete_faces(face_ids)  # first: a face left in the collection would still match
    # The bundled detector's registered faces (DetectorBackend bundled or cascade) live in the bucket.
    store.delete_objects(face_prefix(store.settings.collection_id, person_id))
    photos = store.delete_objects(f"enroll/{person_id}/")
    store.delete_person(person_id)
    return {"deleted": person_id, "faces_removed": len(face_ids), "photos_removed": photos}


def create_upload(store: Store) -> Item:
    upload_id = q.new_upload_id()
    return {
        "upload_id": upload_id,
        "upload_url": store.presigned_put(q.upload_key(upload_id)),
        "upload_headers": {"Content-Type": "image/jpeg"},
        "frame_id": q.upload_frame_id(upload_id),
    }


def get_execution(store: Store, arn: str, params: q.ExecutionParams | None = None) -> Item:
    since = params.since_time() if params else None
    found = store.execution(q.check_execution_arn(arn), since)
    if found is None:
        raise q.NotFound(
            "this execution's history is not available here (Express executions "
            "log to CloudWatch Logs; open execution_url instead)"
        )
    desc, events = found
    execution = q.shape_execution(desc)
    started = desc.get("startDate")
    execution["console_url"] = express_execution_url(
        store.settings.region,
        str(desc.get("executionArn") or arn),
        started if isinstance(started, datetime) else None,
    )
    return {"execution": execution, "events": [q.shape_history_event(e) for e in events]}
