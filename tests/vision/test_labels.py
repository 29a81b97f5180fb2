"""DetectLabels on bikes.mp4 frames whose contents were checked by eye (boxes drawn and viewed)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framewatch.vision.labels import COCO_CLASSES, label_for_coco, matches_label, parents_of
from framewatch.vision.objects import confidence

from .helpers import frame, jpeg


def labels_of(rekognition: Any, index: int, **params: Any) -> dict[str, dict[str, Any]]:
    response = rekognition.detect_labels(Image={"Bytes": jpeg(frame("bikes.mp4", index))}, **params)
    return {label["Name"]: label for label in response["Labels"]}


def right(box: dict[str, float]) -> float:
    return box["Left"] + box["Width"]


def bottom(box: dict[str, float]) -> float:
    return box["Top"] + box["Height"]


def test_person_walks_past_a_parked_bicycle(rekognition: Any) -> None:
    # Frame 190: a man walking in the left half, a bicycle against the wall in the right half.
    labels = labels_of(rekognition, 190)
    assert {"Person", "Bicycle", "Vehicle", "Transportation"} <= set(labels)
    person = labels["Person"]["Instances"][0]["BoundingBox"]
    bicycle = labels["Bicycle"]["Instances"][0]["BoundingBox"]
    assert person["Left"] < 0.2 and 0.35 < right(person) < 0.55 and person["Height"] > 0.7
    assert 0.4 < bicycle["Left"] < 0.5 and right(bicycle) > 0.85 and bottom(bicycle) < 0.85
    assert labels["Bicycle"]["Parents"] == [{"Name": "Vehicle"}, {"Name": "Transportation"}]
    assert labels["Bicycle"]["Categories"] == [{"Name": "Vehicles and Automotive"}]
    # Parents are labels too, as confident as their best child, without instances.
    assert labels["Vehicle"]["Instances"] == []
    assert labels["Vehicle"]["Confidence"] >= labels["Bicycle"]["Confidence"]
    assert labels["Person"]["Confidence"] > labels["Bicycle"]["Confidence"] > 55


def test_cyclist_box_is_where_the_cyclist_stands(rekognition: Any) -> None:
    # Frame 120: a helmeted cyclist stands centre-right, full height.
    labels = labels_of(rekognition, 120)
    biggest = max(labels["Person"]["Instances"], key=lambda i: i["BoundingBox"]["Height"])
    box = biggest["BoundingBox"]
    assert 0.5 < box["Left"] < 0.6 and 0.7 < right(box) < 0.8 and box["Height"] > 0.9
    assert labels["Person"]["Confidence"] > 80


def test_street_of_cars(rekognition: Any) -> None:
    labels = labels_of(rekognition, 150)
    assert len(labels["Car"]["Instances"]) >= 2
    assert labels["Car"]["Parents"] == [{"Name": "Vehicle"}, {"Name": "Transportation"}]
    for instance in labels["Car"]["Instances"]:
        box = instance["BoundingBox"]
        assert 0 <= box["Left"] <= 1 and 0 <= right(box) <= 1.0001 and 0.3 < box["Top"] < 0.6


def test_min_confidence_and_max_labels(rekognition: Any) -> None:
    everything = labels_of(rekognition, 190, MinConfidence=0)
    confident = labels_of(rekognition, 190, MinConfidence=75)
    assert set(confident) == {"Person"} < set(everything)
    assert list(labels_of(rekognition, 190, MaxLabels=1)) == ["Person"]


def test_empty_frame_has_no_labels(rekognition: Any) -> None:
    assert labels_of(rekognition, 10) == {}


def test_every_coco_class_has_a_rekognition_name() -> None:
    names = {label_for_coco(c).name for c in COCO_CLASSES}
    assert len(names) == 80 and all(n[0].isupper() for n in names)
    assert label_for_coco("car").parents == ("Vehicle", "Transportation")
    assert label_for_coco("person").name == "Person"
    assert parents_of("motorcycle") == ("Vehicle", "Transportation")
    assert matches_label("Car", "vehicle") and not matches_label("Person", "Vehicle")


@pytest.mark.parametrize("coco", COCO_CLASSES)
def test_parents_are_not_the_label_itself(coco: str) -> None:
    info = label_for_coco(coco)
    assert info.name not in info.parents and len(set(info.parents)) == len(info.parents)


@given(st.floats(0, 1), st.floats(0, 1), st.sampled_from([0.25, 0.4]))
def test_confidence_is_monotonic_and_puts_the_floor_at_55(a: float, b: float, floor: float) -> None:
    low, high = sorted((a, b))
    assert 0 <= confidence(low, floor) <= confidence(high, floor) <= 100
    assert confidence(floor, floor) == pytest.approx(55)
    assert confidence(1.0, floor) == pytest.approx(100)
