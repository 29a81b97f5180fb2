from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "api"))
sys.path.insert(0, str(Path(__file__).parent))

from framewatch_api_stack import (
    Stack,
    days_ago,
    frame_item,
    incident_item,
    jpeg_frames,
    put_alert,
    put_frame,
    put_incident,
    put_person,
    running_stack,
)
from webui_fixtures import BIKE_BOX, FACE_BOX, XSS_LABEL, label, moving_box


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "without_key: the browser has never been given the API key")


@pytest.fixture(autouse=True)
def _key_from_the_printed_address(request: pytest.FixtureRequest) -> None:
    """The browser opened the address `framewatch up` prints (…/#key=…) once: the page keeps the key
    (config.js no longer hands it out), as a user's browser would."""
    if "page" not in request.fixturenames or request.node.get_closest_marker("without_key"):
        return
    # The stack the test talks to: each serves on its own port (its own origin, its own stored key).
    which = "incident_stack" if "incident_stack" in request.fixturenames else "stack"
    page, stack = request.getfixturevalue("page"), request.getfixturevalue(which)
    page.goto(stack.api.ui_url)
    page.wait_for_function("() => !location.hash.includes('key=')")
    page.goto("about:blank")  # the test's own goto is then a fresh load, not a same-document hash change


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """Three cameras with frames from the bikes clip, alerts, and two people."""
    with running_stack() as stack:
        ddb, s3 = stack.boto("dynamodb"), stack.boto("s3")
        images = jpeg_frames(6)
        width, height = 640, 272
        specs = [
            (
                "front-door",
                0.01,
                [
                    label("Bicycle", BIKE_BOX),
                    label("Person", {"left": 0.05, "top": 0.15, "width": 0.15, "height": 0.7}, 88.0),
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
            ),
            ("yard", 0.02, [label(XSS_LABEL, {"left": 0.1, "top": 0.1, "width": 0.3, "height": 0.3})], []),
            (
                "garage",
                0.03,
                [label("Car", {"left": 0.5, "top": 0.4, "width": 0.45, "height": 0.5})],
                [
                    {
                        "box": {"left": 0.2, "top": 0.2, "width": 0.1, "height": 0.2},
                        "confidence": 97.0,
                        "face_id": None,
                        "person_id": None,
                        "person_name": None,
                        "similarity": None,
                    }
                ],
            ),
        ]
        for n, (camera, hours, labels, faces) in enumerate(specs):
            for k in range(3):  # older frames of each camera too, a few hours apart
                item = frame_item(
                    camera,
                    f"{camera}-{k}",
                    days_ago(stack.now, 0, hours + 3 * k),
                    labels if k == 0 else labels[:1],
                    faces if k == 0 else [],
                    width,
                    height,
                )
                put_frame(ddb, s3, item, images[(n + k) % len(images)])
                stack.frames.append(item)
        stack.frames.sort(key=lambda f: f["frame_key"], reverse=True)
        by_id = {f["frame_id"]: f for f in stack.frames}
        stack.alerts.append(put_alert(ddb, by_id["front-door-0"], "Bicycle"))
        stack.alerts.append(put_alert(ddb, by_id["garage-0"], "unknown-face"))
        put_person(
            ddb, "ada-lovelace-1a2b3c", "Ada Lovelace", "enrolled", ["f-1"], "2024-01-01T00:00:00.000Z"
        )
        put_person(ddb, "alan-turing-4d5e6f", "Alan Turing", "no_face", None, "2024-01-02T00:00:00.000Z")
        yield stack


@pytest.fixture(scope="module")
def incident_stack() -> Iterator[Stack]:
    """Four incidents with their frames: two on the driveway (a bicycle crossing, then a person
    still there, 53 frames), a stationary car in the garage (a detection) and Ada at the door; and
    22 older one-frame dog incidents in the lane, so the list has a second page."""
    with running_stack() as stack:
        ddb, s3 = stack.boto("dynamodb"), stack.boto("s3")
        images = jpeg_frames(8)
        ada = {
            "box": FACE_BOX,
            "confidence": 99.0,
            "face_id": "f-1",
            "person_id": "ada-lovelace-1a2b3c",
            "person_name": "Ada Lovelace",
            "similarity": 94.0,
        }
        bystander = label("Person", {"left": 0.02, "top": 0.1, "width": 0.12, "height": 0.6}, 81.0)

        def frames(
            camera: str, start_min: float, count: int, step_s: float, labels: Any, faces: Any = ()
        ) -> list[dict[str, Any]]:
            made = []
            for k in range(count):
                at = stack.now - timedelta(minutes=start_min) + timedelta(seconds=k * step_s)
                frame_labels = labels(k) if callable(labels) else labels
                item = frame_item(
                    camera, f"{camera}-{start_min:g}-{k:02d}", at, frame_labels, list(faces), 640, 272
                )
                put_frame(ddb, s3, item, images[k % len(images)])
                stack.frames.append(item)
                made.append(item)
            return made

        crossing = frames("driveway", 20, 8, 1, lambda k: [label("Bicycle", moving_box(k)), bystander])
        person_box = {"left": 0.4, "top": 0.2, "width": 0.2, "height": 0.7}
        person = frames("driveway", 2, 53, 1, [label("Person", person_box)])
        car_box = {"left": 0.5, "top": 0.4, "width": 0.45, "height": 0.5}
        parked = frames("garage", 60, 3, 30, [label("Car", car_box)])
        door = frames(
            "door",
            180,
            2,
            1,
            [label("Person", {"left": 0.6, "top": 0.05, "width": 0.3, "height": 0.9})],
            [ada],
        )
        specs = [
            incident_item(crossing, 1, "Bicycle", "bikes", box=moving_box(4)),
            incident_item(person, 2, "Person", "people", state="active", box=person_box),
            incident_item(parked, 1, "Car", "vehicles", severity="detection", stationary=True, box=car_box),
            incident_item(
                door, 1, "Person", "family", person=("ada-lovelace-1a2b3c", "Ada Lovelace"), box=FACE_BOX
            ),
        ]
        # Older than the four above, and more than one page of cards: what "Load older" is for.
        for n in range(22):
            stray = frames("lane", 24 * 60 + 10 * n, 1, 1, [label("Dog", car_box)])
            specs.append(incident_item(stray, n, "Dog", "animals", severity="detection", box=car_box))
        for item in specs:
            stack.incidents.append(put_incident(ddb, item))
        stack.incidents.sort(key=lambda i: i["started_key"], reverse=True)
        by_id = {f["frame_id"]: f for f in stack.frames}
        for item in specs:
            if item["severity"] == "alert":
                stack.alerts.append(
                    put_alert(ddb, by_id[item["best_frame_id"]], item["label"], item["incident_id"])
                )
        stack.frames.sort(key=lambda f: f["frame_key"], reverse=True)
        yield stack
