"""Issue 5 end to end: real clips through Kinesis, the real ASL and vision service, seen in Chromium.

Nothing here is faked: frames go on the embedded stack's Kinesis stream as the capture client puts
them, the Pipe runs AnalyzeFrames, the browser talks to the frames API adapter and uploads the
enrollment photo to the emulator's pre-signed S3 URL, and the EventBridge rule runs EnrollFace.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from framewatch.aws.clients import client
from framewatch.embedded import report
from framewatch.embedded.stack import EmbeddedStack

from ..support.frames import ClipFrames, Pipeline

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parents[1] / "artifacts"
PIPELINE_TIMEOUT = 30_000  # ms for the UI to show what a batch produced (polls every 3-5 s)
PERSON = "Grace Hopper"


# People walking through (110-130), then cars (140-150): the people are tracked across frames.


@pytest.fixture(scope="module")
def bikes(clip_frames: ClipFrames) -> dict[int, bytes]:
    return clip_frames("bikes.mp4", [110, 120, 130, 140, 150])


@pytest.fixture(scope="module")
def faces(clip_frames: ClipFrames) -> dict[int, bytes]:
    """One person: frame 0 enrolls, 90 is recognised."""
    return clip_frames("carphone_pristine.mp4", [0, 90])


@pytest.fixture(scope="module")
def pipeline(stack: EmbeddedStack) -> Pipeline:
    return Pipeline(stack)


@pytest.fixture(scope="module")
def driveway(bikes: dict[int, bytes], stack: EmbeddedStack, pipeline: Pipeline) -> report.FrameRow:
    """The bikes clip on camera "driveway", analysed; returns the newest recorded frame."""
    start = datetime.now(UTC) - timedelta(seconds=60)
    records = [
        pipeline.record("driveway", jpeg, seq=n, at=start + timedelta(seconds=n), width=640, height=272)
        for n, jpeg in enumerate(bikes.values())
    ]
    pipeline.put(records, "driveway")
    frames = [f for f in report.frames(stack.resource("FramesTable")) if f.camera_id == "driveway"]
    assert len(frames) == len(bikes), f"{len(frames)} of {len(bikes)} frames recorded"
    return frames[-1]


def tile(page: Any, camera: str) -> Any:
    return page.locator("#camera-wall .tile", has=page.locator(".frame-title", has_text=camera))


def shot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """A full-page screenshot once every visible image has loaded (frames come from pre-signed S3 URLs)."""
    page.wait_for_function(
        "() => [...document.images].filter(i => i.offsetParent !== null)"
        ".every(i => i.complete && i.naturalWidth > 0)",
        timeout=15_000,
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"e2e-{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def test_clip_frames_appear_on_the_live_wall_with_boxes(
    bikes: dict[int, bytes], page: Any, stack: EmbeddedStack, request: pytest.FixtureRequest
) -> None:
    page.goto(stack.ui.url + "/")
    expect(page.locator("#camera-empty")).to_be_visible()  # the page is up before any frame exists
    newest: report.FrameRow = request.getfixturevalue("driveway")  # now stream the clip

    wall_tile = tile(page, "driveway")
    expect(wall_tile).to_have_attribute("data-frame-id", newest.frame_id, timeout=PIPELINE_TIMEOUT)
    expect(page.locator("#camera-empty")).to_be_hidden()
    # Every detection the workflow recorded for the newest frame is drawn as a box on its tile.
    detections = sum(len(label["instances"]) for label in newest.labels) + len(newest.faces)
    assert detections > 0, f"nothing detected in the newest frame: {newest.labels}"
    boxes = wall_tile.locator(".box")
    expect(boxes).to_have_count(detections)
    tags = wall_tile.locator(".box-tag").filter(has_text=re.compile(r"^(Person|Car)\b"))
    expect(tags.first).to_be_visible()
    expect(wall_tile.locator(".chip").filter(has_text=re.compile(r"^(Person|Car)\b")).first).to_be_visible()
    # The recent-frames grid below has the whole clip, newest first.
    expect(page.locator("#recent-frames .frame")).to_have_count(len(bikes), timeout=PIPELINE_TIMEOUT)
    expect(page.locator("#recent-frames .frame").first).to_have_attribute("data-frame-id", newest.frame_id)
    assert page.locator("#recent-frames .box").count() > detections
    shot(page, "live")


def test_person_rule_raises_one_alert_shown_on_the_incidents_page(
    page: Any, stack: EmbeddedStack, driveway: report.FrameRow
) -> None:
    page.goto(stack.ui.url + "/#incidents")
    # The person on the driveway is an incident card, with its alert sent.
    card = page.locator(
        "#incident-list .incident-card", has=page.locator(".incident-camera", has_text="driveway")
    )
    person_card = card.filter(has=page.locator(".incident-title", has_text=re.compile(r"^Person$")))
    expect(person_card.first).to_be_visible(timeout=PIPELINE_TIMEOUT)
    expect(person_card.first.locator('[data-badge="severity"]')).to_have_text(re.compile(r"^alert sent"))
    page.locator("#alerts-sent summary").click()
    person = page.locator("#alert-list .alert", has_text=re.compile(r"Person at driveway, \d\d:\d\d, \d+%"))
    # One alert per incident: each person seen walks through several frames but alerts once.
    recorded = [a for a in report.alerts(stack.resource("AlertsTable")) if a.subject == "Person"]
    incidents = {
        i.incident_id for i in report.incidents(stack.resource("IncidentsTable")) if i.label == "Person"
    }
    assert recorded and sorted(a.incident_id for a in recorded) == sorted(incidents)
    expect(person).to_have_count(len(recorded), timeout=PIPELINE_TIMEOUT)
    expect(person.first).to_contain_text("rule person")
    expect(person.first.locator("img.thumb")).to_be_visible()
    expect(person.first.locator(".incident-open")).to_be_visible()
    shot(page, "incidents")


def test_face_enrolled_by_file_upload_is_named_in_a_later_frame(
    faces: dict[int, bytes], page: Any, stack: EmbeddedStack, pipeline: Pipeline, tmp_path: Path
) -> None:
    photo = tmp_path / "grace.jpg"
    photo.write_bytes(faces[0])
    page.goto(stack.ui.url + "/#people")
    expect(page.locator("#people-empty")).to_be_visible()
    page.get_by_label("Name").fill(PERSON)
    page.get_by_label("Photo (one face, well lit)").set_input_files(photo)
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#person-status")).to_have_text(f"{PERSON} registered; the face is being enrolled.")
    row = page.locator("#people-body tr", has_text=PERSON)
    # Browser PUT to the pre-signed URL -> EventBridge rule -> EnrollFace -> People table -> UI poll.
    expect(row.locator(".badge")).to_have_text("enrolled", timeout=60_000)
    expect(row.locator("td").nth(1)).to_have_text("1")  # one face indexed
    shot(page, "people")

    # Two frames: a person is named on an incident once two frames' face matches agree.
    later = [
        pipeline.record(
            "door", faces[90], seq=n, at=datetime.now(UTC) - timedelta(seconds=5 - n), width=176, height=144
        )
        for n in range(2)
    ]
    pipeline.put(later, "door")
    page.get_by_role("link", name="Live").click()
    door = tile(page, "door")
    expect(door.locator(".box-person")).to_contain_text(PERSON, timeout=PIPELINE_TIMEOUT)
    expect(door.locator(".chip-person")).to_have_text(PERSON)
    shot(page, "live-person")

    page.get_by_role("link", name="Incidents").click()
    page.locator("#alerts-sent summary").click()
    # Both rules name her (the person rule's alert too), one alert each; this is the people rule's.
    family = page.locator("#alert-list .alert", has_text=f"{PERSON} at door, ").filter(has_text="rule family")
    expect(family).to_have_count(1, timeout=PIPELINE_TIMEOUT)
    expect(family.locator(".incident-open")).to_be_visible()
    shot(page, "incidents-person")


def test_a_tile_links_to_the_workflow_execution_that_analysed_it(
    page: Any, stack: EmbeddedStack, driveway: report.FrameRow
) -> None:
    page.goto(stack.ui.url + "/")
    link = tile(page, "driveway").locator(".exec-link")
    expect(link).to_have_attribute(
        "href", re.compile(r"/executions\.html\?arn=arn:aws:states:"), timeout=PIPELINE_TIMEOUT
    )
    page.goto(link.get_attribute("href"))
    expect(page.locator("#exec-status")).to_have_text(driveway.execution_id)
    expect(page.locator("#exec-summary")).to_contain_text("SUCCEEDED")
    for state in ("Detect labels", "Find and identify faces", "Record frame", "Track objects", "Send alert"):
        expect(page.locator("#exec-events tr", has_text=state).first).to_be_attached()
    shot(page, "execution", full_page=False)  # the history of a 5-frame batch is ~15 000 px long


def test_the_execution_graph_marks_the_path_after_the_emulator_forgot_it(
    page: Any, stack: EmbeddedStack, driveway: report.FrameRow
) -> None:
    """History comes from the log group's files: the emulator no longer knows the execution."""
    from botocore.exceptions import ClientError

    stack.execution_logs.forget(older_than=0)
    with pytest.raises(ClientError, match="ExecutionDoesNotExist"):
        client("stepfunctions").describe_execution(executionArn=driveway.execution_id)
    page.goto(f"{stack.ui.url}/executions.html?arn={driveway.execution_id}")
    expect(page.locator("#exec-summary")).to_contain_text("SUCCEEDED")
    graph = page.locator("#graph-canvas")
    for state in ("Where did the frames come from?", "Analyze each frame", "Record frame", "Track objects"):
        expect(graph.locator(f'.graph-state.visited[data-state="{state}"]')).to_have_count(1)
    for state in ("Describe uploaded photo", "Send frame to dead-letter queue"):
        expect(graph.locator(f'.graph-state[data-state="{state}"]')).not_to_have_class(re.compile("visited"))
    expect(graph.locator(".graph-state.failed")).to_have_count(0)
    graph.locator('.graph-box[data-state="Record frame"]').click()
    expect(page.locator("#state-detail h3")).to_have_text("Record frame")
    expect(page.locator("#state-detail .state-input").first).to_contain_text("frame_id")
    expect(page.locator("#state-detail .state-output").first).to_contain_text("frame_id")
    shot(page, "execution-graph", full_page=False)
