from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "api"))
sys.path.insert(0, str(Path(__file__).parent))

from framewatch_api_stack import (
    Stack,
    days_ago,
    frame_item,
    jpeg_frames,
    put_alert,
    put_frame,
    put_person,
    running_stack,
)
from webui_fixtures import BIKE_BOX, FACE_BOX, XSS_LABEL, label


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "without_key: the browser has never been given the API key")


@pytest.fixture(autouse=True)
def _key_from_the_printed_address(request: pytest.FixtureRequest) -> None:
    """The browser opened the address `framewatch up` prints (…/#key=…) once: the page keeps the key
    (config.js no longer hands it out), as a user's browser would."""
    if "page" not in request.fixturenames or request.node.get_closest_marker("without_key"):
        return
    page, stack = request.getfixturevalue("page"), request.getfixturevalue("stack")
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
        stack.alerts.append(put_alert(ddb, by_id["front-door-0"], "sent", "Bicycle"))
        stack.alerts.append(put_alert(ddb, by_id["front-door-1"], "suppressed", "Bicycle"))
        stack.alerts.append(put_alert(ddb, by_id["garage-0"], "sent", "unknown-face"))
        put_person(
            ddb, "ada-lovelace-1a2b3c", "Ada Lovelace", "enrolled", ["f-1"], "2024-01-01T00:00:00.000Z"
        )
        put_person(ddb, "alan-turing-4d5e6f", "Alan Turing", "no_face", None, "2024-01-02T00:00:00.000Z")
        yield stack
