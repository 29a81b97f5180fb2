"""/api/incidents over HTTP through the local adapter, against moto's tables and indexes."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
import urllib3
from framewatch_api_stack import ENV, Stack

from framewatch.api.dal import AwsStore


def _walk(stack: Stack, path: str, listing: str, limit: int, cursor_name: str, **params: str) -> list[Any]:
    seen: list[Any] = []
    cursor = None
    for _ in range(100):
        query = dict(params, limit=str(limit))
        if cursor:
            query[cursor_name] = cursor
        status, page = stack.request("GET", f"{path}?{urllib.parse.urlencode(query)}")
        assert status == 200, page
        assert len(page[listing]) <= limit
        seen.extend(page[listing])
        cursor = page["next"]
        if cursor is None:
            return seen
    raise AssertionError("paging did not end")


def _ids(incidents: list[dict[str, Any]]) -> list[str]:
    return [i["incident_id"] for i in incidents]


def test_incidents_newest_first_across_days(stack: Stack) -> None:
    assert len(stack.incidents) == 15
    for limit in (1, 4, 100):
        got = _walk(stack, "/api/incidents", "incidents", limit, "before")
        assert _ids(got) == _ids(stack.incidents), f"limit={limit}"


@pytest.mark.parametrize(
    "chosen",
    [
        {"camera": "yard"},
        {"label": "Person"},
        {"severity": "detection"},
        {"state": "active"},
        {"camera": "garage", "label": "Bicycle", "state": "ended"},
        {"label": "Nothing"},
    ],
)
@pytest.mark.parametrize("limit", [1, 2, 20])
@pytest.mark.parametrize("read_page", [1, 100])
def test_filters_page_without_gaps(
    stack: Stack, chosen: dict[str, str], limit: int, read_page: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small read pages make DynamoDB return pages with no match before the partition ends.
    monkeypatch.setattr(AwsStore, "filtered_page_items", read_page)
    field_of = {"camera": "camera_id", "label": "label", "severity": "severity", "state": "state"}
    expected = [
        i["incident_id"]
        for i in stack.incidents
        if all(i[field_of[name]] == value for name, value in chosen.items())
    ]
    got = _walk(stack, "/api/incidents", "incidents", limit, "before", **chosen)
    assert _ids(got) == expected
    for incident in got:
        for name, value in chosen.items():
            assert incident[field_of[name]] == value


def test_incident_shape_and_best_frame_image(stack: Stack) -> None:
    stationary = next(i for i in stack.incidents if i["stationary"])
    _, page = stack.request("GET", "/api/incidents?limit=100")
    shown = next(i for i in page["incidents"] if i["incident_id"] == stationary["incident_id"])
    assert shown["stationary"] is True
    assert (shown["camera_id"], shown["rule"], shown["kind"]) == (stationary["camera_id"], "watch", "label")
    assert (shown["first_seen"], shown["last_seen"]) == (stationary["first_seen"], stationary["last_seen"])
    assert shown["duration_s"] == 15 * 3600  # three frames of one camera, 7.5 h apart
    assert (shown["frame_count"], shown["zones_entered"]) == (3, ["driveway"])
    assert (shown["alert_status"], shown["alert_count"]) == ("sent", 1)
    best = shown["best_frame"]
    assert best["frame_id"] == stationary["best_frame_id"]
    assert best["box"] == {"left": 0.1, "top": 0.2, "width": 0.3, "height": 0.4}
    assert best["score"] == 93
    image = urllib3.request("GET", best["image_url"], retries=False)
    assert image.status == 200
    stored = stack.boto("s3").get_object(Bucket=ENV["MEDIA_BUCKET"], Key=stationary["best_s3_key"])
    assert image.data == stored["Body"].read()
    # A BOOL attribute comes back as a JSON boolean, false as well as true.
    assert {i["incident_id"]: i["stationary"] for i in page["incidents"]} == {
        i["incident_id"]: i["stationary"] for i in stack.incidents
    }
    assert {i["stationary"] for i in page["incidents"]} == {True, False}


@pytest.mark.parametrize("limit", [1, 2, 50])
def test_incident_with_its_frames_oldest_first(stack: Stack, limit: int) -> None:
    incident = stack.incidents[4]
    path = "/api/incidents/" + incident["incident_id"]
    frames = _walk(stack, path, "frames", limit, "after")
    own = sorted(
        (f for f in stack.frames if incident["first_seen"] <= f["captured_at"] <= incident["last_seen"]),
        key=lambda f: f["frame_key"],
    )
    own = [f for f in own if f["camera_id"] == incident["camera_id"]]
    assert [f["frame_id"] for f in frames] == [f["frame_id"] for f in own]
    assert len(frames) == 3
    # Shaped exactly as /api/frames/{id} shapes a frame (only the signature of the URL differs).
    _, alone = stack.request("GET", f"/api/frames/{frames[0]['frame_id']}")
    assert {**frames[0], "image_url": None} == {**alone, "image_url": None}
    _, page = stack.request("GET", f"{path}?limit={limit}")
    assert page["incident"]["incident_id"] == incident["incident_id"]
    assert page["incident"]["best_frame"]["frame_id"] == incident["best_frame_id"]


def test_unknown_and_malformed_incident(stack: Stack) -> None:
    status, body = stack.request("GET", "/api/incidents/yard-20000101T000000-t1-watch")
    assert (status, body["message"]) == (404, "no incident 'yard-20000101T000000-t1-watch'")
    status, body = stack.request("GET", "/api/incidents/-starts-with-a-dash")
    assert status == 400
    assert "incident id" in body["message"]
    incident = stack.incidents[0]["incident_id"]
    _, others = stack.request("GET", f"/api/incidents/{stack.incidents[5]['incident_id']}?limit=1")
    status, body = stack.request("GET", f"/api/incidents/{incident}?after={others['next']}")
    assert status == 400
    assert "after" in body["message"]


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("severity=loud", "severity"),
        ("state=open", "state"),
        ("camera=bad%20camera", "camera"),
        ("label=" + "x" * 101, "label"),
        ("limit=0", "limit"),
        ("before=yesterday", "before"),
    ],
)
def test_bad_incident_params_are_400(stack: Stack, query: str, word: str) -> None:
    status, body = stack.request("GET", f"/api/incidents?{query}")
    assert status == 400, body
    assert word in body["message"]


@pytest.mark.parametrize("path", ["/api/incidents", "/api/incidents/yard-20000101T000000-t1-watch"])
def test_incidents_need_the_key(stack: Stack, path: str) -> None:
    assert stack.request("GET", path, key=None) == (403, {"message": "Forbidden"})
