"""Rekognition DetectLabels ``Labels`` → our labels, boxes and the names a watch list matches."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from framewatch.core.detections import Label, labels_from_rekognition

# The shape DetectLabels returns (FeatureTypes GENERAL_LABELS), trimmed to three labels.
DETECT_LABELS_LABELS = [
    {
        "Name": "Car",
        "Confidence": 99.12,
        "Instances": [
            {"BoundingBox": {"Width": 0.25, "Height": 0.2, "Left": 0.1, "Top": 0.6}, "Confidence": 98.5},
            {"BoundingBox": {"Width": 0.05, "Height": 0.04, "Left": 0.8, "Top": 0.5}, "Confidence": 61.0},
        ],
        "Parents": [{"Name": "Transportation"}, {"Name": "Vehicle"}],
        "Aliases": [{"Name": "Automobile"}],
        "Categories": [{"Name": "Vehicles and Automotive"}],
    },
    {
        "Name": "Road",
        "Confidence": 87.0,
        "Instances": [],
        "Parents": [],
        "Categories": [{"Name": "Travel"}],
    },
    {"Name": "Tarmac"},  # a minimal entry: only the name
]


def test_labels_keep_names_confidence_parents_categories_and_boxes():
    car, road, tarmac = labels_from_rekognition(DETECT_LABELS_LABELS)

    assert (car.name, car.confidence) == ("Car", 99.12)
    assert car.parents == ["Transportation", "Vehicle"]
    assert car.categories == ["Vehicles and Automotive"]
    assert [i.confidence for i in car.instances] == [98.5, 61.0]
    first = car.instances[0].box
    assert (first.left, first.top, first.width, first.height) == (0.1, 0.6, 0.25, 0.2)

    assert (road.name, road.instances, road.parents, road.categories) == ("Road", [], [], ["Travel"])
    assert (tarmac.name, tarmac.confidence, tarmac.instances) == ("Tarmac", 0.0, [])


def test_instances_without_a_bounding_box_are_left_out():
    [label] = labels_from_rekognition(
        [
            {
                "Name": "Person",
                "Confidence": 90.0,
                "Instances": [
                    {"Confidence": 90.0},
                    {
                        "BoundingBox": {"Width": 0.1, "Height": 0.3, "Left": 0.4, "Top": 0.2},
                        "Confidence": 88.0,
                    },
                ],
            },
        ]
    )
    assert [i.confidence for i in label.instances] == [88.0]


def test_no_labels_gives_no_labels():
    assert labels_from_rekognition([]) == []


def test_names_fold_the_label_and_its_parents_to_lower_case():
    [car, *_] = labels_from_rekognition(DETECT_LABELS_LABELS)
    assert car.names() == {"car", "transportation", "vehicle"}
    assert Label(name="STRASSE", confidence=50).names() == {"strasse"}


def test_a_confidence_outside_0_to_100_is_refused():
    with pytest.raises(ValidationError):
        labels_from_rekognition([{"Name": "Car", "Confidence": 100.5}])
