"""Incidents in the frames API: filters, paging, shapes and an incident's frames, on a fake store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fake_store import FakeStore
from hypothesis import given, settings
from hypothesis import strategies as st

from framewatch.api import queries as q
from framewatch.api import service
from framewatch.core.frame_record import utc_iso

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
CAMERAS = ("door", "yard")
LABELS = ("Car", "Person")


def incident(
    n: int,
    started: datetime,
    camera: str = "door",
    label: str = "Car",
    severity: str = "alert",
    state: str = "ended",
    seconds: float = 30,
) -> dict[str, Any]:
    """An Incidents item as docs/data-model.md describes it."""
    first, last = utc_iso(started), utc_iso(started + timedelta(seconds=seconds))
    incident_id = f"{camera}-{started:%Y%m%dT%H%M%S}-t{n}-watch"
    return {
        "incident_id": incident_id,
        "camera_id": camera,
        "day": first[:10],
        "started_key": f"{first}#{incident_id}",
        "rule": "watch",
        "kind": "label",
        "label": label,
        "severity": severity,
        "state": state,
        "stationary": False,
        "first_seen": first,
        "last_seen": last,
        "frame_count": 3,
        "zones_entered": json.dumps(["gate", "lawn"]),
        "best_frame_id": f"{camera}-best-{n}",
        "best_frame_key": f"{first}#{camera}-best-{n}",
        "best_bucket": "m",
        "best_s3_key": f"frames/{camera}/best-{n}.jpg",
        "best_box": json.dumps({"left": 0.1, "top": 0.2, "width": 0.3, "height": 0.4}),
        "best_score": 91.5,
        "track_id": f"t{n}",
        "alert_status": "sent" if severity == "alert" else "none",
        "alert_count": 1 if severity == "alert" else 0,
        "alerted_at": first if severity == "alert" else None,
    }


def frame(camera: str, frame_id: str, at: str) -> dict[str, Any]:
    return {
        "camera_id": camera,
        "frame_id": frame_id,
        "frame_key": f"{at}#{frame_id}",
        "captured_at": at,
        "day": at[:10],
        "s3_key": f"frames/{frame_id}.jpg",
        "labels": "[]",
        "faces": "[]",
    }


def _all_incidents(store: FakeStore, limit: int, **filters: str) -> list[str]:
    seen: list[str] = []
    before = None
    for _ in range(500):
        params = q.IncidentsParams(limit=limit, before=before, **filters)
        page = service.list_incidents(store, params, now=NOW)
        assert len(page["incidents"]) <= limit
        seen.extend(i["incident_id"] for i in page["incidents"])
        before = page["next"]
        if before is None:
            return seen
    raise AssertionError("paging did not end")


@settings(max_examples=50, deadline=None)
@given(
    specs=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=8 * 24 * 60),
            st.sampled_from(CAMERAS),
            st.sampled_from(LABELS),
            st.sampled_from(("alert", "detection")),
            st.sampled_from(("active", "ended")),
        ),
        max_size=30,
    ),
    limit=st.integers(min_value=1, max_value=7),
    chosen=st.fixed_dictionaries(
        {},
        optional={
            "camera": st.sampled_from(CAMERAS),
            "label": st.sampled_from(LABELS),
            "severity": st.sampled_from(("alert", "detection")),
            "state": st.sampled_from(("active", "ended")),
        },
    ),
)
def test_incident_paging_with_filters_never_skips_nor_repeats(
    specs: list[tuple[int, str, str, str, str]], limit: int, chosen: dict[str, str]
) -> None:
    items = [
        incident(n, NOW - timedelta(minutes=m), camera, label, severity, state)
        for n, (m, camera, label, severity, state) in enumerate(specs)
    ]
    store = FakeStore(incidents=items)
    field_of = {"camera": "camera_id", "label": "label", "severity": "severity", "state": "state"}
    expected = [
        i["incident_id"]
        for i in sorted(items, key=lambda i: i["started_key"], reverse=True)
        if all(i[field_of[name]] == value for name, value in chosen.items())
    ]
    assert _all_incidents(store, limit, **chosen) == expected


def test_incident_shape() -> None:
    item = incident(1, NOW, seconds=95.25)
    item.update(kind="person", label="Person", person_id="ada-1a2b3c", person_name="Ada", stationary=True)
    shaped = service.list_incidents(FakeStore(incidents=[item]), q.IncidentsParams(), now=NOW)["incidents"]
    assert shaped == [
        {
            "incident_id": item["incident_id"],
            "camera_id": "door",
            "rule": "watch",
            "kind": "person",
            "label": "Person",
            "person_id": "ada-1a2b3c",
            "person_name": "Ada",
            "severity": "alert",
            "state": "ended",
            "stationary": True,
            "first_seen": "2025-03-10T12:00:00.000Z",
            "last_seen": "2025-03-10T12:01:35.250Z",
            "duration_s": 95.25,
            "frame_count": 3,
            "zones_entered": ["gate", "lawn"],
            "best_frame": {
                "frame_id": "door-best-1",
                "image_url": "https://signed/frames/door/best-1.jpg",
                "box": {"left": 0.1, "top": 0.2, "width": 0.3, "height": 0.4},
                "score": 91.5,
            },
            "alert_status": "sent",
            "alerted_at": "2025-03-10T12:00:00.000Z",
            "alert_count": 1,
        }
    ]


def test_incident_without_best_frame_or_with_damaged_fields() -> None:
    item = incident(1, NOW)
    for name in ("best_frame_id", "best_s3_key", "alert_status", "alert_count", "stationary"):
        del item[name]
    item["zones_entered"] = "not json"
    shaped = q.shape_incident(item, None)
    assert shaped["best_frame"] is None
    assert (shaped["zones_entered"], shaped["stationary"]) == ([], False)
    assert (shaped["alert_status"], shaped["alert_count"]) == ("none", 0)
    item["best_frame_id"], item["best_box"] = "f", "{broken"
    assert q.shape_incident(item, "u")["best_frame"] == {
        "frame_id": "f",
        "image_url": "u",
        "box": None,
        "score": 91.5,
    }


def test_incident_frames_are_its_cameras_frames_from_first_to_last_seen() -> None:
    item = incident(1, NOW, seconds=4)
    first, last = item["first_seen"], item["last_seen"]
    just_before = utc_iso(NOW - timedelta(milliseconds=1))
    just_after = utc_iso(NOW + timedelta(seconds=4, milliseconds=1))
    inside = [frame("door", f"in-{s}", utc_iso(NOW + timedelta(seconds=s))) for s in (1, 2, 3)]
    frames = [
        frame("door", "before", just_before),
        frame("door", "at-first", first),
        *inside,
        frame("door", "at-last", last),
        frame("door", "after", just_after),
        frame("yard", "other-camera", utc_iso(NOW + timedelta(seconds=2))),
    ]
    store = FakeStore(frames=frames, incidents=[item])
    seen: list[str] = []
    after = None
    for _ in range(10):
        page = service.get_incident(store, item["incident_id"], q.IncidentFramesParams(limit=2, after=after))
        assert page["incident"]["incident_id"] == item["incident_id"]
        seen.extend(f["frame_id"] for f in page["frames"])
        after = page["next"]
        if after is None:
            break
    assert seen == ["at-first", "in-1", "in-2", "in-3", "at-last"]
    assert page["frames"][0]["image_url"] == "https://signed/frames/at-last.jpg"


def test_unknown_malformed_incident_and_foreign_cursor() -> None:
    item = incident(1, NOW)
    store = FakeStore(incidents=[item])
    with pytest.raises(q.NotFound):
        service.get_incident(store, "door-20250310T120000-t9-watch", q.IncidentFramesParams())
    for bad in ("../etc", "-starts-with-dash", "a" * 202, "has#hash"):
        with pytest.raises(q.BadRequest, match="incident id"):
            service.get_incident(store, bad, q.IncidentFramesParams())
    outside = q.encode_cursor("incident-frames", "2025-03-11T00:00:00.000Z#door-1")
    frames_cursor = q.encode_cursor("frames", item["first_seen"] + "#door-1")
    for cursor in (outside, frames_cursor, "garbage"):
        with pytest.raises(q.BadRequest, match="after"):
            service.get_incident(store, item["incident_id"], q.IncidentFramesParams(after=cursor))


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"severity": "loud"}, "severity"),
        ({"state": "open"}, "state"),
        ({"label": "bell\u0007"}, "label"),
        ({"label": "x" * 101}, "label"),
        ({"camera": "no spaces"}, "camera"),
        ({"limit": "0"}, "limit"),
    ],
)
def test_bad_incident_filters_are_400(params: dict[str, str], word: str) -> None:
    with pytest.raises(q.BadRequest, match=word):
        q.parse_params(q.IncidentsParams, params)


def test_alerts_carry_their_incident() -> None:
    shaped = q.shape_alert(
        {
            "alert_id": "door-20250310T120000-t1-watch#0",
            "incident_id": "door-20250310T120000-t1-watch",
            "status": "sent",
            "label": "Car",
            "severity": "alert",
            "link": "https://ui.example/#incident/door-20250310T120000-t1-watch",
        },
        None,
        None,
    )
    assert shaped["incident_id"] == "door-20250310T120000-t1-watch"
    assert (shaped["label"], shaped["severity"]) == ("Car", "alert")
    assert shaped["link"].endswith("#incident/door-20250310T120000-t1-watch")
    cursor = q.encode_cursor("alerts", "2025-03-10T12:00:00.000Z#door-20250310T120000-t1-watch#0")
    assert q.start_position("alerts", cursor, NOW).sort_key is not None
