from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

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

CAMERAS = ("front-door", "yard", "garage")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """45 frames over about a week with a three-day hole, 15 incidents over them, 20 alerts, two
    people."""
    with running_stack() as stack:
        ddb, s3 = stack.boto("dynamodb"), stack.boto("s3")
        images = jpeg_frames(5)
        for i in range(45):
            hours = i * 2.5 + (72 if i >= 30 else 0)  # frames 30.. sit behind three empty days
            captured = days_ago(stack.now, 0, hours=hours)
            camera = CAMERAS[i % 3]
            labels = [
                {
                    "name": "Bicycle",
                    "confidence": 97.5,
                    "parents": ["Vehicle"],
                    "instances": [
                        {"box": {"left": 0.1, "top": 0.2, "width": 0.3, "height": 0.4}, "confidence": 97.5}
                    ],
                }
            ]
            faces = (
                [
                    {
                        "box": {"left": 0.5, "top": 0.1, "width": 0.1, "height": 0.15},
                        "confidence": 99.0,
                        "face_id": "f-1",
                        "person_id": "ada-lovelace-1a2b3c",
                        "person_name": "Ada Lovelace",
                        "similarity": 93.2,
                    }
                ]
                if i % 5 == 0
                else []
            )
            item = frame_item(camera, f"{camera}-{i:04d}", captured, labels, faces, 640, 272)
            put_frame(ddb, s3, item, images[i % len(images)])
            stack.frames.append(item)
        # Each camera's frames, three at a time, are one incident: 5 per camera, newest active.
        incident_of_frame: dict[str, str] = {}
        for camera in CAMERAS:
            own = [f for f in stack.frames if f["camera_id"] == camera]  # newest first
            for n in range(0, len(own), 3):
                item = incident_item(
                    own[n : n + 3],
                    n,
                    "Person" if n % 2 else "Bicycle",
                    severity="detection" if n % 9 == 3 else "alert",
                    state="active" if n == 0 else "ended",
                    stationary=n == 6,
                )
                stack.incidents.append(put_incident(ddb, item))
                incident_of_frame.update((f["frame_id"], item["incident_id"]) for f in own[n : n + 3])
        stack.incidents.sort(key=lambda i: i["started_key"], reverse=True)
        for frame in stack.frames[:40:2]:
            stack.alerts.append(put_alert(ddb, frame, "Bicycle", incident_of_frame[frame["frame_id"]]))
        put_person(
            ddb, "ada-lovelace-1a2b3c", "Ada Lovelace", "enrolled", ["f-1"], "2024-01-01T00:00:00.000Z"
        )
        put_person(ddb, "alan-turing-4d5e6f", "Alan Turing", "no_face", None, "2024-01-02T00:00:00.000Z")
        yield stack
