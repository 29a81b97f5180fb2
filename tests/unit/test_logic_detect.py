"""Detect's use cases with fake ports: labels from the stored frame, and one face search per face."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image

from framewatch.core.frame_ref import FrameRef, make_frame_ref
from framewatch.logic.detect import find_labels, identify_faces
from framewatch.settings import FaceSettings, LabelSettings

from .pipeline_fakes import DictPeople, InMemoryObjects, ScriptedVision, face_detail, face_match, jpeg

SETTINGS = FaceSettings(people_table="people", collection_id="faces", face_match_threshold=85)
LABELS = LabelSettings(max_labels=7)
BUCKET, KEY = "media", "frames/porch/2026/05/01/porch-1.jpg"


def frame() -> FrameRef:
    return make_frame_ref(
        camera_id="porch",
        frame_id="porch-1",
        captured_at=datetime(2026, 5, 1, 12, tzinfo=UTC),
        seq=1,
        width=640,
        height=480,
        bucket=BUCKET,
        s3_key=KEY,
        source="kinesis",
        retention_days=7,
    )


def stored(image: bytes) -> InMemoryObjects:
    objects = InMemoryObjects()
    objects.put_object(BUCKET, KEY, image, "image/jpeg")
    objects.reads.clear()
    return objects


def test_labels_are_read_from_the_stored_frame_with_the_settings_limits() -> None:
    raw = [
        {
            "Name": "Car",
            "Confidence": 91.5,
            "Parents": [{"Name": "Vehicle"}],
            "Instances": [
                {"BoundingBox": {"Left": 0.1, "Top": 0.2, "Width": 0.3, "Height": 0.4}, "Confidence": 90.0}
            ],
        }
    ]
    vision = ScriptedVision(labels=raw)
    [label] = find_labels(frame(), vision, LABELS)
    assert (label.name, label.confidence, label.parents) == ("Car", 91.5, ["Vehicle"])
    assert label.instances[0].box.width == 0.3
    assert vision.called("detect_labels") == [
        ((BUCKET, KEY), {"max_labels": 7, "min_confidence": LABELS.min_label_confidence})
    ]


def test_no_face_means_no_search_and_no_download() -> None:
    vision, objects = ScriptedVision(faces=[]), stored(jpeg())
    assert identify_faces(frame(), vision, objects, DictPeople({}), SETTINGS) == []
    assert vision.called("search_largest_face") == [] and objects.reads == []


def test_one_face_is_searched_in_the_stored_frame_without_downloading_it() -> None:
    vision = ScriptedVision(faces=[face_detail(0.4, 0.3)], matches=[face_match("ada", "f-1", 97.123)])
    objects, people = stored(jpeg()), DictPeople({"ada": "Ada Lovelace"})
    [face] = identify_faces(frame(), vision, objects, people, SETTINGS)
    assert (face.person_id, face.person_name, face.face_id, face.similarity) == (
        "ada",
        "Ada Lovelace",
        "f-1",
        97.12,
    )
    assert vision.called("search_largest_face") == [
        ((BUCKET, KEY), {"collection_id": "faces", "threshold": 85})
    ]
    assert objects.reads == []


def test_each_of_several_faces_is_searched_in_its_own_crop() -> None:
    # SearchFacesByImage only searches the largest face: a crowd needs one crop per face.
    details = [face_detail(0.05, 0.1, size=0.3), face_detail(0.6, 0.5, size=0.2), face_detail(0.4, 0.05, 0.1)]
    vision = ScriptedVision(
        faces=details, matches=[face_match("ada", "f-1", 99.0), None, face_match("bob", "f-2", 88.0)]
    )
    objects, people = stored(jpeg(400, 300)), DictPeople({"ada": "Ada Lovelace"})
    faces = identify_faces(frame(), vision, objects, people, SETTINGS)

    assert objects.reads == [(BUCKET, KEY)]  # downloaded once, to cut the crops
    probes = [image for image, _ in vision.called("search_largest_face")]
    assert all(isinstance(p, bytes) for p in probes)
    sizes = [Image.open(io.BytesIO(p)).size for p in probes if isinstance(p, bytes)]
    # Each face's box plus a quarter on every side (to a pixel); the first is clipped at the frame's edge.
    expected = [(170, 135), (120, 90), (60, 45)]
    assert [v for size in sizes for v in size] == pytest.approx([v for size in expected for v in size], abs=1)
    assert [(f.person_id, f.person_name) for f in faces] == [
        ("ada", "Ada Lovelace"),
        (None, None),
        ("bob", "bob"),
    ]
    assert [f.box.left for f in faces] == [0.05, 0.6, 0.4]
    assert people.asked == [{"ada", "bob"}]  # one lookup for every matched person
