"""The web UI in headless Chromium against the local adapter and moto."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
from framewatch_api_stack import ENV, STATE_MACHINE, Stack, frame_item, put_frame, wait_for
from webui_fixtures import BIKE_BOX, FACE_BOX, XSS_LABEL, shot

pytestmark = pytest.mark.browser


def _relative_box(page: Any, tile: Any, box_selector: str) -> dict[str, float]:
    """A drawn box's place as ratios of the displayed image."""
    image = tile.locator("img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    img = image.bounding_box()
    box = tile.locator(box_selector).first.bounding_box()
    return {
        "left": (box["x"] - img["x"]) / img["width"],
        "top": (box["y"] - img["y"]) / img["height"],
        "width": box["width"] / img["width"],
        "height": box["height"] / img["height"],
    }


def test_wall_draws_boxes_where_detected(page: Any, stack: Stack) -> None:
    page.goto(stack.api.url + "/")
    tiles = page.locator("#camera-wall .tile")
    tiles.nth(2).wait_for()
    assert tiles.count() == 3
    front = page.locator('.tile[data-frame-id="front-door-0"]')
    bike = _relative_box(page, front, ".box-label:has-text('Bicycle')")
    for side, expected in BIKE_BOX.items():
        assert bike[side] == pytest.approx(expected, abs=0.01), side
    face = _relative_box(page, front, ".box-person")
    for side, expected in FACE_BOX.items():
        assert face[side] == pytest.approx(expected, abs=0.01), side
    assert front.locator(".box-person").inner_text().startswith("Ada Lovelace")
    assert (
        front.locator(".exec-link")
        .get_attribute("href")
        .startswith(stack.api.url + "/executions.html?arn=arn:aws:states:")
    )
    # Unknown faces are drawn too, and named as such.
    assert page.locator('.tile[data-frame-id="garage-0"] .box-face').inner_text() == "Unknown face"
    page.locator("#recent-frames .frame").nth(8).wait_for()
    assert page.locator("#recent-frames .frame").count() == 9
    page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth)")
    shot(page, "live")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(200)
    shot(page, "live-phone")


def test_label_text_is_never_markup(page: Any, stack: Stack) -> None:
    page.goto(stack.api.url + "/")
    yard = page.locator('.tile[data-frame-id="yard-0"]')
    yard.wait_for()
    assert yard.locator(".chip").first.inner_text().startswith(XSS_LABEL)
    assert yard.locator(".box-tag").first.inner_text().startswith(XSS_LABEL)
    assert yard.locator("img").count() == 1  # only the frame itself, no injected <img>
    page.wait_for_timeout(300)
    assert page.evaluate("() => typeof window.__xss") == "undefined"


def test_alerts_sent_are_listed_with_their_incident(page: Any, stack: Stack) -> None:
    page.goto(stack.api.url + "/#alerts")  # old links land on the Incidents page
    assert page.locator("#tab-incidents").is_visible()
    page.locator("#alerts-sent summary").click()
    items = page.locator("#alert-list .alert")
    items.nth(1).wait_for()
    assert [items.nth(i).get_attribute("data-alert-id") for i in range(items.count())] == [
        a["alert_id"] for a in sorted(stack.alerts, key=lambda a: a["alert_key"], reverse=True)
    ]
    assert page.locator(".alert .badge").count() == 0  # every alert listed was sent: no status to tell
    assert "Bicycle seen on front-door" in items.first.inner_text()
    link = items.first.locator(".incident-open")
    assert link.get_attribute("href") == "#incident/" + stack.alerts[0]["incident_id"]
    page.wait_for_function(
        "() => [...document.querySelectorAll('.alert img')].every(i => i.complete && i.naturalWidth)"
    )
    shot(page, "alerts-sent")


def test_enrollment_by_file_upload(page: Any, stack: Stack) -> None:
    jpeg = (
        stack.boto("s3").get_object(Bucket=ENV["MEDIA_BUCKET"], Key=stack.frames[0]["s3_key"])["Body"].read()
    )
    page.goto(stack.api.url + "/#people")
    page.locator('#people-body tr[data-person-id="alan-turing-4d5e6f"]').wait_for()
    page.get_by_label("Name").fill("Grace Hopper")
    page.get_by_label("Photo (one face, well lit)").set_input_files(
        {"name": "grace.jpg", "mimeType": "image/jpeg", "buffer": jpeg}
    )
    page.get_by_role("button", name="Register").click()
    page.get_by_text("Grace Hopper registered").wait_for()
    row = page.locator("#people-body tr", has_text="Grace Hopper")
    row.wait_for()
    assert row.locator(".badge").inner_text() == "pending"
    person_id = row.get_attribute("data-person-id")
    assert person_id and person_id.startswith("grace-hopper-")
    listed = stack.boto("s3").list_objects_v2(Bucket=ENV["MEDIA_BUCKET"], Prefix=f"enroll/{person_id}/")
    keys = [o["Key"] for o in listed.get("Contents", [])]
    assert len(keys) == 1 and keys[0].endswith(".jpg")
    stored = stack.boto("s3").get_object(Bucket=ENV["MEDIA_BUCKET"], Key=keys[0])
    assert stored["Body"].read() == jpeg
    # The other statuses read as words.
    assert page.locator('tr[data-person-id="alan-turing-4d5e6f"] .badge').inner_text() == "no face found"
    shot(page, "people")

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete Grace Hopper").click()
    row.wait_for(state="detached")
    assert stack.request("DELETE", f"/api/people/{person_id}")[0] == 404


def test_analyze_a_photo(page: Any, stack: Stack) -> None:
    s3 = stack.boto("s3")
    jpeg = s3.get_object(Bucket=ENV["MEDIA_BUCKET"], Key=stack.frames[1]["s3_key"])["Body"].read()
    page.goto(stack.api.url + "/#analyze")
    page.get_by_label("Choose a photo to analyze").set_input_files(
        {"name": "street.jpg", "mimeType": "image/jpeg", "buffer": jpeg}
    )
    page.get_by_text("Waiting for the workflow").wait_for()

    # Play the workflow's part: the upload lands, a frame is recorded under its id.
    def uploaded() -> str | None:
        found = s3.list_objects_v2(Bucket=ENV["MEDIA_BUCKET"], Prefix="uploads/")
        return next((o["Key"] for o in found.get("Contents", [])), None)

    key = wait_for(uploaded)
    assert key, "the page never uploaded the photo"
    upload_id = key.removeprefix("uploads/").removesuffix(".jpg")
    item = frame_item(
        "uploads",
        f"upload-{upload_id}",
        stack.now,
        [
            {
                "name": "Bicycle",
                "confidence": 91.0,
                "parents": [],
                "instances": [{"box": BIKE_BOX, "confidence": 91.0}],
            }
        ],
        [
            {
                "box": FACE_BOX,
                "confidence": 99.0,
                "face_id": "f-1",
                "person_id": "ada-lovelace-1a2b3c",
                "person_name": "Ada Lovelace",
                "similarity": 94.0,
            }
        ],
        640,
        272,
        s3_key=key,
        source="upload",
    )
    put_frame(stack.boto("dynamodb"), s3, item, jpeg)

    page.get_by_text("Analysed in").wait_for(timeout=20000)
    findings = page.locator(".findings")
    assert "Bicycle 91%" in findings.inner_text()
    assert "Ada Lovelace (similarity 94%)" in findings.inner_text()
    page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth)")
    shot(page, "analyze")


@pytest.mark.without_key
@pytest.mark.parametrize(
    ("fragment", "expected"),
    [("", "No API key"), ("#key=wrong", "refused the API key")],
)
def test_missing_or_wrong_key_is_explained(page: Any, stack: Stack, fragment: str, expected: str) -> None:
    page.goto(stack.api.url + "/" + fragment)
    banner = page.get_by_role("alert")
    banner.get_by_text(expected).wait_for()
    assert page.get_by_label("API key").is_visible()
    shot(page, "no-key" if "No" in expected else "wrong-key")
    # Entering the right key brings the wall back without a reload.
    page.get_by_label("API key").fill(stack.api.api_key)
    page.get_by_role("button", name="Use this key").click()
    page.locator("#camera-wall .tile").nth(2).wait_for()
    assert banner.is_hidden()


def test_execution_page(page: Any, stack: Stack) -> None:
    sfn = stack.boto("stepfunctions")
    definition = {"StartAt": "Record frame", "States": {"Record frame": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(
        name=STATE_MACHINE.rsplit(":", 1)[1],
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    time.sleep(0.2)
    page.goto(stack.api.url + "/executions.html?arn=" + arn)
    page.locator("#exec-events tr").first.wait_for()
    assert arn in page.locator("#exec-status").inner_text()
    assert page.locator("#exec-summary").is_visible()
    shot(page, "execution")


@pytest.mark.without_key
def test_the_key_comes_in_the_fragment_and_never_from_a_served_file(page: Any, stack: Stack) -> None:
    config = requests.get(stack.api.url + "/config.js", timeout=10)
    assert config.status_code == 200 and stack.api.api_key not in config.text
    assert "apiKey" not in config.text
    assert stack.api.ui_url == f"{stack.api.url}/#key={stack.api.api_key}"  # what `framewatch up` prints

    page.goto(stack.api.url + "/#live&key=" + stack.api.api_key)
    page.locator("#camera-wall .tile").nth(2).wait_for()  # the key works at once
    assert page.evaluate("location.hash") == "#live"  # the route is kept, the key left the address bar
    assert page.evaluate("localStorage.getItem('framewatch.apiKey')") == stack.api.api_key
    page.goto(stack.api.url + "/")  # a later visit without the fragment still has it
    page.locator("#camera-wall .tile").nth(2).wait_for()
    assert page.get_by_role("alert").is_hidden()
