"""Faces: detection, indexing and search on carphone_pristine.mp4 (one man throughout) against a
different man, the cyclist in a suit of bikes.mp4 frames 30-40 (checked by eye)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from framewatch.vision.collections import FaceStore
from framewatch.vision.faces import similarity
from framewatch.vision.protocol import RekognitionService

from .helpers import frame, jpeg

CARPHONE = "carphone_pristine.mp4"


def image(pixels: np.ndarray, quality: int = 95) -> dict[str, bytes]:
    return {"Bytes": jpeg(pixels, quality)}


@pytest.fixture(scope="module")
def people(rekognition: Any) -> dict[str, str]:
    """A collection holding the carphone man (frame 0) and the bikes man (frame 30)."""
    rekognition.create_collection(CollectionId="people")
    ids = {}
    for name, pixels in (("carphone", frame(CARPHONE, 0)), ("suit", frame("bikes.mp4", 30))):
        response = rekognition.index_faces(
            CollectionId="people", Image=image(pixels), ExternalImageId=name, MaxFaces=1
        )
        assert len(response["FaceRecords"]) == 1, response
        ids[name] = response["FaceRecords"][0]["Face"]["FaceId"]
    return ids


def test_detect_faces_shape(rekognition: Any) -> None:
    details = rekognition.detect_faces(Image=image(frame(CARPHONE, 0)))["FaceDetails"]
    assert len(details) == 1
    face = details[0]
    box = face["BoundingBox"]
    # The face sits in the middle of the 176x144 frame.
    assert 0.3 < box["Left"] < 0.45 and 0.15 < box["Top"] < 0.35 and 0.2 < box["Width"] < 0.4
    assert face["Confidence"] > 80
    points = {p["Type"]: (p["X"], p["Y"]) for p in face["Landmarks"]}
    assert list(points) == ["eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight"]
    assert points["eyeLeft"][0] < points["nose"][0] < points["eyeRight"][0]
    assert points["eyeLeft"][1] < points["nose"][1] < points["mouthLeft"][1]
    for x, y in points.values():
        assert box["Left"] < x < box["Left"] + box["Width"]
        assert box["Top"] < y < box["Top"] + box["Height"]
    assert abs(face["Pose"]["Roll"]) < 15 and abs(face["Pose"]["Yaw"]) < 30
    assert 0 < face["Quality"]["Brightness"] < 100 and 0 < face["Quality"]["Sharpness"] <= 100


def test_no_faces_in_a_street(rekognition: Any) -> None:
    assert rekognition.detect_faces(Image=image(frame("bikes.mp4", 150)))["FaceDetails"] == []


@pytest.mark.parametrize("variant", ["flip", "scale", "blur", "jpeg_q20", "later_frame"])
def test_same_face_is_found_after_transformations(
    rekognition: Any, people: dict[str, str], variant: str
) -> None:
    base = frame(CARPHONE, 0)
    pixels, quality = {
        "flip": (cv2.flip(base, 1), 95),
        "scale": (cv2.resize(base, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC), 95),
        "blur": (cv2.GaussianBlur(base, (5, 5), 0), 95),
        "jpeg_q20": (base, 20),
        "later_frame": (frame(CARPHONE, 40), 95),
    }[variant]
    response = rekognition.search_faces_by_image(CollectionId="people", Image=image(pixels, quality))
    matches = response["FaceMatches"]
    assert [m["Face"]["ExternalImageId"] for m in matches] == ["carphone"], matches
    assert matches[0]["Face"]["FaceId"] == people["carphone"]
    assert matches[0]["Similarity"] > 85
    assert response["SearchedFaceConfidence"] > 80


def test_different_face_is_not_matched(rekognition: Any, people: dict[str, str]) -> None:
    # The suit man at frame 40 is found as himself, never as the carphone man ...
    response = rekognition.search_faces_by_image(CollectionId="people", Image=image(frame("bikes.mp4", 40)))
    assert [m["Face"]["ExternalImageId"] for m in response["FaceMatches"]] == ["suit"]
    # ... and at threshold 0 the carphone man shows up with a near-zero similarity.
    everyone = rekognition.search_faces_by_image(
        CollectionId="people", FaceMatchThreshold=0, Image=image(frame("bikes.mp4", 40))
    )
    scores = {m["Face"]["ExternalImageId"]: m["Similarity"] for m in everyone["FaceMatches"]}
    assert scores["carphone"] < 20 < 80 < scores["suit"]


def test_search_faces_by_face_id(rekognition: Any, people: dict[str, str]) -> None:
    response = rekognition.search_faces(CollectionId="people", FaceId=people["carphone"])
    assert response["SearchedFaceId"] == people["carphone"]
    assert response["FaceMatches"] == []  # itself excluded; the other man is below 80
    relaxed = rekognition.search_faces(
        CollectionId="people", FaceId=people["carphone"], FaceMatchThreshold=0, MaxFaces=5
    )
    assert [m["Face"]["FaceId"] for m in relaxed["FaceMatches"]] == [people["suit"]]


def test_list_and_delete_faces(rekognition: Any) -> None:
    rekognition.create_collection(CollectionId="scratch")
    records = [
        rekognition.index_faces(
            CollectionId="scratch", Image=image(frame(CARPHONE, i)), ExternalImageId=f"frame-{i}"
        )["FaceRecords"]
        for i in (0, 20, 40)
    ]
    face_ids = [r[0]["Face"]["FaceId"] for r in records]
    first = rekognition.list_faces(CollectionId="scratch", MaxResults=2)
    rest = rekognition.list_faces(CollectionId="scratch", NextToken=first["NextToken"])
    listed = first["Faces"] + rest["Faces"]
    assert [f["FaceId"] for f in listed] == face_ids and "NextToken" not in rest
    assert [f["ExternalImageId"] for f in listed] == ["frame-0", "frame-20", "frame-40"]
    deleted = rekognition.delete_faces(CollectionId="scratch", FaceIds=face_ids[:1])
    assert deleted["DeletedFaces"] == face_ids[:1]
    assert rekognition.describe_collection(CollectionId="scratch")["FaceCount"] == 2
    rekognition.delete_collection(CollectionId="scratch")
    assert "scratch" not in rekognition.list_collections()["CollectionIds"]


def test_index_faces_max_faces_and_quality_filter(rekognition: Any) -> None:
    rekognition.create_collection(CollectionId="crowd")
    # Two copies of the face side by side, one at half size: MaxFaces keeps the larger one.
    base = frame(CARPHONE, 0)
    half = cv2.resize(base, None, fx=0.75, fy=0.75)
    canvas = np.zeros((base.shape[0], base.shape[1] + half.shape[1], 3), np.uint8)
    canvas[:, : base.shape[1]] = base
    canvas[: half.shape[0], base.shape[1] :] = half
    response = rekognition.index_faces(CollectionId="crowd", Image=image(canvas), MaxFaces=1)
    assert len(response["FaceRecords"]) == 1
    assert response["FaceRecords"][0]["Face"]["BoundingBox"]["Left"] < 0.4
    assert [u["Reasons"] for u in response["UnindexedFaces"]] == [["EXCEEDS_MAX_FACES"]]
    # The small far-away faces of bikes.mp4 frame 120 fail AUTO but pass NONE.
    street = image(frame("bikes.mp4", 120))
    auto = rekognition.index_faces(CollectionId="crowd", Image=street)
    assert auto["FaceRecords"] == []
    assert "SMALL_BOUNDING_BOX" in auto["UnindexedFaces"][0]["Reasons"]
    assert rekognition.index_faces(CollectionId="crowd", Image=street, QualityFilter="NONE")["FaceRecords"]


def test_similarity_mapping_is_monotonic_with_80_at_the_sface_threshold() -> None:
    values = [similarity(c) for c in np.linspace(-1, 1, 401)]
    assert values == sorted(values) and values[0] == 0 and values[-1] == 100
    assert similarity(0.363) == pytest.approx(80)
    assert similarity(0.26) < 50 < 90 < similarity(0.9)


def test_search_after_detect_on_the_same_image_detects_once_and_answers_the_same(
    tmp_path: Path, loaded_service: RekognitionService
) -> None:
    """The pipeline's DetectFaces then SearchFacesByImage on one frame: the second call reuses the
    first one's detections, and its answer is the one a service that never saw the frame gives."""

    class Counted:
        def __init__(self, engine: Any) -> None:
            self.engine, self.calls = engine, 0

        def detect(self, pixels: np.ndarray) -> Any:
            self.calls += 1
            return self.engine.detect(pixels)

        def embed(self, pixels: np.ndarray, face: Any) -> Any:
            return self.engine.embed(pixels, face)

    def wire(pixels: np.ndarray) -> dict[str, str]:  # as the request body carries it
        return {"Bytes": base64.b64encode(jpeg(pixels, 95)).decode()}

    collections = FaceStore(tmp_path)
    collections.create_collection("people")
    enrolled = RekognitionService(collections, loaded_service.faces, loaded_service.detector)
    enrolled.call("IndexFaces", {"CollectionId": "people", "Image": wire(frame(CARPHONE, 0))})
    counted = Counted(loaded_service.faces)
    service = RekognitionService(collections, counted, loaded_service.detector)
    probe = wire(frame(CARPHONE, 12))
    search = {"CollectionId": "people", "Image": probe, "FaceMatchThreshold": 80}

    detected = service.call("DetectFaces", {"Image": probe})
    searched = service.call("SearchFacesByImage", search)
    assert counted.calls == 1
    assert searched == RekognitionService(collections, loaded_service.faces, loaded_service.detector).call(
        "SearchFacesByImage", search
    )
    assert searched["FaceMatches"] and detected["FaceDetails"]
    service.call("DetectFaces", {"Image": wire(frame(CARPHONE, 40))})  # other bytes: detected anew
    assert counted.calls == 2
