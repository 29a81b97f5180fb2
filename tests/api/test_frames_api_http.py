"""The frames API over HTTP through the local adapter, against moto."""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

import pytest
import urllib3
from framewatch_api_stack import ENV, STATE_MACHINE, Stack

from framewatch.core.frame_record import utc_iso


def _walk(stack: Stack, path: str, listing: str, limit: int, **params: str) -> list[Any]:
    seen: list[Any] = []
    cursor = None
    for _ in range(100):
        query = dict(params, limit=str(limit))
        if cursor:
            query["before"] = cursor
        status, page = stack.request("GET", f"{path}?{urllib.parse.urlencode(query)}")
        assert status == 200, page
        assert len(page[listing]) <= limit
        seen.extend(page[listing])
        cursor = page["next"]
        if cursor is None:
            return seen
    raise AssertionError("paging did not end")


def test_health_needs_no_key(stack: Stack) -> None:
    assert stack.request("GET", "/api/health", key=None) == (200, {"status": "ok"})


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/frames"),
        ("GET", "/api/alerts"),
        ("GET", "/api/people"),
        ("POST", "/api/uploads"),
        ("DELETE", "/api/people/ada-lovelace-1a2b3c"),
    ],
)
@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_key_required(stack: Stack, method: str, path: str, key: str | None) -> None:
    assert stack.request(method, path, key=key) == (403, {"message": "Forbidden"})


def test_latest_frames_page_across_days_without_gaps(stack: Stack) -> None:
    for limit in (1, 7, 20, 100):
        got = [f["frame_id"] for f in _walk(stack, "/api/frames", "frames", limit)]
        assert got == [f["frame_id"] for f in stack.frames], f"limit={limit}"


def test_default_limit_is_20(stack: Stack) -> None:
    status, page = stack.request("GET", "/api/frames")
    assert status == 200
    assert [f["frame_id"] for f in page["frames"]] == [f["frame_id"] for f in stack.frames[:20]]
    assert page["next"]


def test_one_camera_pages_from_its_partition(stack: Stack) -> None:
    got = [f["frame_id"] for f in _walk(stack, "/api/frames", "frames", 4, camera="yard")]
    assert got == [f["frame_id"] for f in stack.frames if f["camera_id"] == "yard"]
    assert len(got) == 15


def test_before_accepts_an_iso_time(stack: Stack) -> None:
    pivot = stack.frames[32]["captured_at"]  # behind the empty days
    status, page = stack.request("GET", f"/api/frames?limit=100&before={pivot}")
    assert status == 200
    assert [f["frame_id"] for f in page["frames"]] == [f["frame_id"] for f in stack.frames[33:]]
    assert page["next"] is None
    # An offset other than Z is read correctly too.
    status, page = stack.request(
        "GET", "/api/frames?limit=1&before=" + urllib.parse.quote("2000-01-01T00:00:00+02:00")
    )
    assert (status, page["frames"]) == (200, [])


def test_frame_shape_and_image_url(stack: Stack) -> None:
    status, frame = stack.request("GET", "/api/frames/front-door-0000")
    assert status == 200
    assert frame["camera_id"] == "front-door"
    assert frame["width"] == 640
    assert frame["labels"][0]["instances"][0]["box"] == {"left": 0.1, "top": 0.2, "width": 0.3, "height": 0.4}
    assert frame["faces"][0]["person_name"] == "Ada Lovelace"
    assert frame["faces"][0]["similarity"] == pytest.approx(93.2)
    assert frame["execution_id"] == stack.frames[0]["execution_id"]
    assert frame["execution_url"].startswith("/executions.html?arn=arn:aws:states:")
    # The page reads the workflow's log from the frame's capture time, not the whole retention.
    assert frame["execution_url"].endswith("&since=" + frame["captured_at"])
    image = urllib3.request("GET", frame["image_url"], retries=False)
    assert image.status == 200
    s3_object = stack.boto("s3").get_object(Bucket=ENV["MEDIA_BUCKET"], Key=stack.frames[0]["s3_key"])
    assert image.data == s3_object["Body"].read()
    assert image.data[:2] == b"\xff\xd8"  # a JPEG


def test_every_listed_frame_has_urls(stack: Stack) -> None:
    _, page = stack.request("GET", "/api/frames?limit=5")
    for frame in page["frames"]:
        assert frame["image_url"].startswith(stack.endpoint)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(frame["image_url"]).query)
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]  # SigV2 fails CORS preflight
        assert query["X-Amz-Expires"] == ["600"]
        assert frame["execution_url"]


def test_unknown_frame_is_404(stack: Stack) -> None:
    status, body = stack.request("GET", "/api/frames/upload-" + "0" * 32)
    assert status == 404
    assert "no frame" in body["message"]


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("camera=bad%20camera!", "camera"),
        ("camera=" + "x" * 70, "camera"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("before=yesterday", "before"),
        ("before=eyJ2IjoxfQ", "before"),
        ("before=2024-13-45T00:00:00Z", "before"),
    ],
)
def test_bad_frame_params_are_400(stack: Stack, query: str, word: str) -> None:
    status, body = stack.request("GET", f"/api/frames?{query}")
    assert status == 400, body
    assert word in body["message"]


def test_cursor_of_another_listing_is_refused(stack: Stack) -> None:
    _, alerts = stack.request("GET", "/api/alerts?limit=1")
    status, body = stack.request("GET", f"/api/frames?before={alerts['next']}")
    assert status == 400
    assert "before" in body["message"]


def test_bad_frame_id_is_400(stack: Stack) -> None:
    status, body = stack.request("GET", "/api/frames/" + urllib.parse.quote("../etc", safe=""))
    assert status in (400, 404)
    assert "message" in body


def test_unknown_route_is_json_404(stack: Stack) -> None:
    status, body = stack.request("GET", "/api/nothing-here")
    assert status == 404
    assert body == {"message": "Not found"}


def test_alerts_page_with_their_frames(stack: Stack) -> None:
    alerts = _walk(stack, "/api/alerts", "alerts", 6)
    assert [a["alert_id"] for a in alerts] == [a["alert_id"] for a in stack.alerts]
    assert {a["status"] for a in alerts} == {"sent"}
    assert [a["incident_id"] for a in alerts] == [a["incident_id"] for a in stack.alerts]
    first = alerts[0]
    assert (first["label"], first["severity"]) == ("Bicycle", "alert")
    assert first["link"] == f"https://ui.example/#incident/{first['incident_id']}"
    assert first["frame_id"] == stack.frames[0]["frame_id"]
    assert first["subject_line"] == "Bicycle seen on front-door"
    image = urllib3.request("GET", first["image_url"], retries=False)
    assert image.status == 200
    assert image.data[:2] == b"\xff\xd8"


def test_cameras_each_with_latest_frame(stack: Stack) -> None:
    status, body = stack.request("GET", "/api/cameras")
    assert status == 200
    latest = {c["camera_id"]: c["latest"]["frame_id"] for c in body["cameras"]}
    assert latest == {"front-door": "front-door-0000", "yard": "yard-0001", "garage": "garage-0002"}


def test_people_listed_newest_first(stack: Stack) -> None:
    status, body = stack.request("GET", "/api/people")
    assert status == 200
    names = [(p["display_name"], p["status"]) for p in body["people"]]
    assert names[-2:] == [("Alan Turing", "no_face"), ("Ada Lovelace", "enrolled")]


def test_register_upload_and_delete_person(stack: Stack) -> None:
    status, created = stack.request("POST", "/api/people", body={"display_name": "  Grace   Hopper "})
    assert status == 201, created
    person = created["person"]
    assert person["display_name"] == "Grace Hopper"
    assert person["status"] == "pending"
    person_id = person["person_id"]
    assert re.fullmatch(r"grace-hopper-[0-9a-f]{6}", person_id)
    assert re.fullmatch(rf"enroll/{person_id}/[0-9a-f]{{32}}\.jpg", created["upload_key"])

    put = urllib3.request(
        "PUT",
        created["upload_url"],
        body=b"\xff\xd8fake-jpeg",
        headers=created["upload_headers"],
        retries=False,
    )
    assert put.status == 200
    listed = stack.boto("s3").list_objects_v2(Bucket=ENV["MEDIA_BUCKET"], Prefix=f"enroll/{person_id}/")
    assert [o["Key"] for o in listed["Contents"]] == [created["upload_key"]]
    _, people = stack.request("GET", "/api/people")
    assert person_id in {p["person_id"] for p in people["people"]}

    status, body = stack.request("DELETE", f"/api/people/{person_id}")
    assert (status, body["deleted"], body["photos_removed"]) == (200, person_id, 1)
    _, people = stack.request("GET", "/api/people")
    assert person_id not in {p["person_id"] for p in people["people"]}
    assert "Contents" not in stack.boto("s3").list_objects_v2(
        Bucket=ENV["MEDIA_BUCKET"], Prefix=f"enroll/{person_id}/"
    )
    assert stack.request("DELETE", f"/api/people/{person_id}")[0] == 404


def test_another_photo_for_a_person(stack: Stack) -> None:
    status, body = stack.request("POST", "/api/people/alan-turing-4d5e6f/photos")
    assert status == 201
    assert body["person"]["status"] == "pending"
    assert body["upload_key"].startswith("enroll/alan-turing-4d5e6f/")
    assert stack.request("POST", "/api/people/nobody-000000/photos")[0] == 404


@pytest.mark.parametrize(
    ("raw", "word"),
    [
        (b"{not json", "JSON"),
        (b"[]", "object"),
        (b"{}", "display_name"),
        (b'{"display_name": "   "}', "blank"),
        (b'{"display_name": "x", "extra": 1}', "extra"),
        (json.dumps({"display_name": "a" * 101}).encode(), "display_name"),
        (b'{"display_name": "bell\\u0007"}', "control"),
    ],
)
def test_bad_person_is_400(stack: Stack, raw: bytes, word: str) -> None:
    status, body = stack.request("POST", "/api/people", raw=raw)
    assert status == 400, body
    assert word in body["message"]


def test_delete_unknown_or_malformed_person(stack: Stack) -> None:
    assert stack.request("DELETE", "/api/people/nobody-000000")[0] == 404
    status, body = stack.request("DELETE", "/api/people/Not_A_Slug")
    assert status == 400
    assert "person id" in body["message"]


def test_upload_url_accepts_a_put(stack: Stack) -> None:
    status, body = stack.request("POST", "/api/uploads")
    assert status == 201
    assert re.fullmatch(r"[0-9a-f]{32}", body["upload_id"])
    assert body["frame_id"] == f"upload-{body['upload_id']}"
    put = urllib3.request(
        "PUT",
        body["upload_url"],
        body=b"\xff\xd8photo",
        headers={"Content-Type": "image/jpeg"},
        retries=False,
    )
    assert put.status == 200
    stored = stack.boto("s3").get_object(Bucket=ENV["MEDIA_BUCKET"], Key=f"uploads/{body['upload_id']}.jpg")
    assert stored["ContentType"] == "image/jpeg"


def test_execution_history(stack: Stack) -> None:
    sfn = stack.boto("stepfunctions")
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(
        name=STATE_MACHINE.rsplit(":", 1)[1],
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    status, body = stack.request("GET", "/api/executions/" + urllib.parse.quote(arn, safe=""))
    assert status == 200, body
    assert body["execution"]["execution_arn"] == arn
    assert body["execution"]["status"] in ("RUNNING", "SUCCEEDED")
    assert body["events"] and body["events"][0]["type"]

    missing = arn.rsplit(":", 1)[0] + ":does-not-exist"
    assert stack.request("GET", f"/api/executions/{missing}")[0] == 404
    status, body = stack.request("GET", "/api/executions/not-an-arn")
    assert status == 400
    assert "ARN" in body["message"]


def test_times_on_the_wire_are_utc_iso(stack: Stack) -> None:
    _, page = stack.request("GET", "/api/frames?limit=1")
    assert page["frames"][0]["captured_at"] == utc_iso(stack.now)
