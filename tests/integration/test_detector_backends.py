"""The three detector backends on the demo's own run (bikes.mp4 through the capture client, the
embedded stack and the workflow), counted where Rekognition would bill: the vision service standing
in for it counts every call it answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from framewatch.embedded.demo import run_demo
from framewatch.media import clip_path


def demo(detector: str, tmp_path: Path) -> dict[str, Any]:
    return run_demo(
        clip_path("bikes.mp4"),
        every=3,
        exit_after=True,
        data_dir=tmp_path,
        detector=detector,
        emit=lambda _: None,
    )


@pytest.mark.timeout(600)
def test_bundled_makes_no_rekognition_call_and_looks_for_faces_only_where_a_person_is(tmp_path: Path) -> None:
    summary = demo("bundled", tmp_path)
    inputs = summary["cost_inputs"]
    assert inputs["detector"] == "bundled"
    assert inputs["calls"] == {"DetectLabels": 0, "DetectFaces": 0, "SearchFacesByImage": 0, "IndexFaces": 0}
    assert summary["frames_analyzed"] == inputs["lambda_invocations"]["BundledDetectObjectsFunction"] > 50
    # Faces are looked for once per frame with a person in it, and never on the others.
    assert inputs["lambda_invocations"]["BundledIdentifyFacesFunction"] == summary["labels"]["Person"]
    assert "DetectLabelsFunction" not in inputs["lambda_invocations"]
    # The bundled model finds what the stand-in for Rekognition finds on this clip.
    assert {"Car", "Person"} <= set(summary["incidents_by_label"]) and summary["alerts_sent"] >= 2


@pytest.mark.timeout(600)
def test_cascade_asks_rekognition_at_most_once_per_incident(tmp_path: Path) -> None:
    summary = demo("cascade", tmp_path)
    inputs = summary["cost_inputs"]
    calls, incidents = inputs["calls"], summary["incidents"]
    assert incidents >= 4
    assert 1 <= calls["DetectLabels"] <= incidents
    assert calls["DetectFaces"] == 0  # faces are found by the bundled models on every frame
    assert calls["SearchFacesByImage"] <= incidents
    assert (
        inputs["lambda_invocations"]["ConfirmIncidentsFunction"]
        <= inputs["lambda_invocations"]["TrackFunction"]
    )
    # Every alert that went out was confirmed; the frames were all analysed by the bundled model.
    assert summary["alerts_sent"] >= 2
    assert summary["frames_analyzed"] == inputs["lambda_invocations"]["BundledDetectObjectsFunction"]
