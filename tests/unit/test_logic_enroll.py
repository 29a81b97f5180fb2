"""Enrollment with a fake vision port: exactly one face per photo, indexed under the person's id."""

from __future__ import annotations

import pytest

from framewatch.logic.enroll import BadEnrollmentKey, enroll_face
from framewatch.settings import EnrollSettings

from .pipeline_fakes import ScriptedVision, face_detail

SETTINGS = EnrollSettings(collection_id="faces")
KEY = "enroll/ada-lovelace/photo.jpg"


def test_one_face_is_indexed_under_the_person_id() -> None:
    vision = ScriptedVision(faces=[face_detail(0.3, 0.3)], indexed=[{"Face": {"FaceId": "f-9"}}])
    outcome = enroll_face("media", KEY, vision, SETTINGS)
    assert outcome == {"person_id": "ada-lovelace", "s3_key": KEY, "status": "enrolled", "face_id": "f-9"}
    assert vision.called("index_face") == [
        (("media", KEY), {"collection_id": "faces", "external_id": "ada-lovelace"})
    ]


def test_a_photo_without_a_face_is_not_indexed() -> None:
    vision = ScriptedVision(faces=[])
    assert enroll_face("media", KEY, vision, SETTINGS)["status"] == "no_face"
    assert vision.called("index_face") == []


def test_a_photo_with_several_faces_is_refused() -> None:
    vision = ScriptedVision(faces=[face_detail(0.1, 0.1), face_detail(0.6, 0.6)])
    outcome = enroll_face("media", KEY, vision, SETTINGS)
    assert (outcome["status"], outcome["faces"]) == ("several_faces", 2)
    assert vision.called("index_face") == []


def test_a_face_below_the_quality_bar_is_no_face() -> None:
    vision = ScriptedVision(faces=[face_detail(0.3, 0.3)], indexed=[])
    assert enroll_face("media", KEY, vision, SETTINGS)["status"] == "no_face"


@pytest.mark.parametrize("key", ["photo.jpg", "enroll/Ada/photo.jpg", "enroll/ada/sub/photo.jpg"])
def test_a_key_outside_enroll_person_is_refused_before_any_call(key: str) -> None:
    vision = ScriptedVision()
    with pytest.raises(BadEnrollmentKey):
        enroll_face("media", key, vision, SETTINGS)
    assert vision.calls == []
