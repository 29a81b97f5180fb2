"""Each function gets exactly the environment its settings model reads, as SAM translates the template."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_settings import BaseSettings

from framewatch.embedded.template import translate
from framewatch.settings import (
    BundledEnrollSettings,
    BundledFaceSettings,
    BundledLabelSettings,
    ConfirmSettings,
    EnrollSettings,
    FaceSettings,
    IngestSettings,
    LabelSettings,
    QuietCameraSettings,
    TrackSettings,
    UploadSettings,
    WatchListSettings,
)

# Every function: Powertools' own.
COMMON = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL"}
# Where the Rekognition-compatible endpoint is configured (LocalStack); only callers of Rekognition.
REKOGNITION = {"AWS_ENDPOINT_URL_REKOGNITION"}
FUNCTIONS: dict[str, tuple[type[BaseSettings], set[str]]] = {
    "IngestFunction": (IngestSettings, set()),
    "DescribeUploadFunction": (UploadSettings, set()),
    "DetectLabelsFunction": (LabelSettings, REKOGNITION),
    "IdentifyFacesFunction": (FaceSettings, REKOGNITION),
    "EvaluateFunction": (WatchListSettings, set()),
    "TrackFunction": (TrackSettings, set()),
    "EndQuietIncidentsFunction": (QuietCameraSettings, set()),
    "BundledDetectObjectsFunction": (BundledLabelSettings, set()),
    "BundledIdentifyFacesFunction": (BundledFaceSettings, set()),
    "BundledEnrollFunction": (BundledEnrollSettings, set()),
    "ConfirmIncidentsFunction": (ConfirmSettings, REKOGNITION),
    "EnrollFunction": (EnrollSettings, REKOGNITION),
}


@pytest.fixture(scope="module")
def functions() -> dict[str, dict[str, Any]]:
    resources = translate()["Resources"]
    return {
        logical: resource["Properties"].get("Environment", {}).get("Variables", {})
        for logical, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::Function"
    }


def test_every_pipeline_function_has_a_settings_model(functions: dict[str, dict[str, Any]]) -> None:
    assert set(functions) - {"FramesApiFunction"} == set(FUNCTIONS)


@pytest.mark.parametrize("logical", sorted(FUNCTIONS))
def test_a_function_gets_its_settings_and_nothing_else(
    functions: dict[str, dict[str, Any]], logical: str
) -> None:
    model, extra = FUNCTIONS[logical]
    given = set(functions[logical])
    required = {name.upper() for name, field in model.model_fields.items() if field.is_required()}
    readable = {name.upper() for name in model.model_fields}
    assert required <= given, f"{logical} lacks {sorted(required - given)}"
    assert given - COMMON - extra <= readable, f"{logical} gets {sorted(given - COMMON - extra - readable)}"


def test_the_frames_api_gets_its_tables_and_no_pipeline_queue(functions: dict[str, dict[str, Any]]) -> None:
    given = set(functions["FramesApiFunction"])
    assert {"FRAMES_TABLE", "PEOPLE_TABLE", "ALERTS_TABLE", "INCIDENTS_TABLE", "MEDIA_BUCKET"} <= given
    assert not given & {"DEAD_LETTER_QUEUE_URL", "TRACKS_TABLE", "ALERT_SLOTS_TABLE", "WATCHLIST_KEY"}
