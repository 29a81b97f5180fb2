"""Pure logic and service rules of the frames API, with an in-memory store."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fake_store import FakeStore
from hypothesis import given, settings
from hypothesis import strategies as st

from framewatch.api import queries as q
from framewatch.api import service
from framewatch.core.frame_record import utc_iso

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def _frame(camera: str, n: int, at: datetime) -> dict[str, Any]:
    iso = utc_iso(at)
    return {
        "camera_id": camera,
        "frame_id": f"{camera}-{n}",
        "frame_key": f"{iso}#{camera}-{n}",
        "captured_at": iso,
        "day": iso[:10],
        "s3_key": f"frames/{n}.jpg",
        "labels": "[]",
        "faces": "[]",
    }


@settings(max_examples=60, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=9 * 24 * 60), max_size=40),
    limit=st.integers(min_value=1, max_value=12),
)
def test_paging_never_skips_nor_repeats(offsets: list[int], limit: int) -> None:
    frames = [_frame(("a", "b")[n % 2], n, NOW - timedelta(minutes=m)) for n, m in enumerate(offsets)]
    store = FakeStore(frames)
    seen: list[str] = []
    before = None
    for _ in range(200):
        page = service.list_frames(store, q.FramesParams(limit=limit, before=before), now=NOW)
        seen.extend(f["frame_id"] for f in page["frames"])
        before = page["next"]
        if before is None:
            break
    expected = [f["frame_id"] for f in sorted(frames, key=lambda f: f["frame_key"], reverse=True)]
    assert seen == expected


def test_cursor_round_trip_and_kinds() -> None:
    key = "2025-03-10T11:59:00.000Z#cam-1"
    cursor = q.encode_cursor("frames", key)
    assert q.start_position("frames", cursor, NOW) == q.Position(day=date(2025, 3, 10), sort_key=key)
    with pytest.raises(q.BadRequest):
        q.start_position("alerts", cursor, NOW)


def test_start_without_before_is_tomorrow() -> None:
    assert q.start_position("frames", None, NOW) == q.Position(day=date(2025, 3, 11))


def test_iso_before_is_exclusive() -> None:
    pos = q.start_position("frames", "2025-03-10T01:00:00+01:00", NOW)
    assert pos == q.Position(day=date(2025, 3, 10), sort_key="2025-03-10T00:00:00.000Z")
    assert (pos.sort_key or "") < "2025-03-10T00:00:00.000Z#x"


def test_damaged_labels_show_as_none() -> None:
    assert q.shape_labels("not json") == []
    assert q.shape_labels(json.dumps([{"name": "Car", "instances": [{"box": {"left": 1}}]}])) == [
        {"name": "Car", "confidence": None, "parents": [], "instances": []}
    ]
    assert q.shape_faces(json.dumps([{"box": None}])) == []


def test_person_id_is_a_slug_with_suffix() -> None:
    assert q.new_person_id("Ada Lovelace", "abc123") == "ada-lovelace-abc123"
    assert q.new_person_id("Zoë O'Brien", "abc123") == "zoe-o-brien-abc123"
    assert q.new_person_id("李小龍", "abc123") == "person-abc123"
    long_id = q.new_person_id("x" * 200)
    assert len(long_id) <= 63
    assert q.check_person_id(long_id) == long_id


def test_execution_url_from_template() -> None:
    arn = "arn:aws:states:eu-west-1:123456789012:express:sm:e1:e2"
    aws = "https://{region}.console.aws.amazon.com/states/home?region={region}#/x/{execution_arn}"
    assert q.execution_url(aws, "eu-west-1", arn) == (
        "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/x/" + arn
    )
    assert q.execution_url(aws, "eu-west-1", None) is None
    local = "/executions.html?arn={execution_arn}&since={captured_at}"
    assert q.execution_url(local, "eu-west-1", arn, "2026-11-28T21:04:00.125Z") == (
        f"/executions.html?arn={arn}&since=2026-11-28T21:04:00.125Z"
    )


def test_an_execution_is_read_from_its_frames_capture_time_less_a_margin() -> None:
    store = FakeStore()
    arn = "arn:aws:states:eu-west-1:123456789012:express:sm:e1:e2"
    with pytest.raises(q.NotFound):
        service.get_execution(store, arn, q.ExecutionParams(since="2026-11-28T21:04:00Z"))
    with pytest.raises(q.NotFound):
        service.get_execution(store, arn)
    assert store.execution_reads == [
        (arn, datetime(2026, 11, 28, 20, 59, tzinfo=UTC)),
        (arn, None),
    ]
    with pytest.raises(q.BadRequest, match="since: expected an ISO-8601 time"):
        service.get_execution(store, arn, q.ExecutionParams(since="yesterday"))


def test_delete_person_removes_faces_then_photos_then_item() -> None:
    store = FakeStore()
    store.people_items["ada-1a2b3c"] = {"person_id": "ada-1a2b3c", "face_ids": ["f1", "f2"]}
    result = service.delete_person(store, "ada-1a2b3c")
    assert result == {"deleted": "ada-1a2b3c", "faces_removed": 2, "photos_removed": 0}
    assert store.deleted_faces == ["f1", "f2"]
    assert store.deleted_prefixes == ["faces/c/ada-1a2b3c/", "enroll/ada-1a2b3c/"]
    assert store.people_items == {}


def test_unknown_frame_and_person() -> None:
    with pytest.raises(q.NotFound):
        service.get_frame(FakeStore(), "nope")
    with pytest.raises(q.NotFound):
        service.delete_person(FakeStore(), "nobody")


def test_person_id_clash_draws_again() -> None:
    store = FakeStore()
    first = service.create_person(store, '{"display_name": "Ada"}', now=NOW)
    second = service.create_person(store, '{"display_name": "Ada"}', now=NOW)
    assert first["person"]["person_id"] != second["person"]["person_id"]


def test_a_body_that_is_not_utf8_is_a_bad_request() -> None:
    # A raw (bytes) body reaches json.loads, which raises UnicodeDecodeError rather than JSONDecodeError.
    with pytest.raises(q.BadRequest, match="not valid JSON: invalid start byte"):
        q.parse_json_body(b"\x80{}")  # type: ignore[arg-type]
