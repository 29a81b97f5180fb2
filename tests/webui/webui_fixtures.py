"""Constants and helpers shared by the browser tests and their fixtures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).parents[1] / "artifacts"
XSS_LABEL = "<img src=x onerror=window.__xss=1>"
# Where the fixture puts the bicycle on the front-door camera's newest frame (ratios).
BIKE_BOX = {"left": 0.25, "top": 0.3, "width": 0.4, "height": 0.5}
FACE_BOX = {"left": 0.7, "top": 0.1, "width": 0.12, "height": 0.25}


def label(name: str, box: dict[str, float], confidence: float = 96.0) -> dict[str, Any]:
    return {
        "name": name,
        "confidence": confidence,
        "parents": [],
        "instances": [{"box": box, "confidence": confidence}],
    }


def moving_box(k: int) -> dict[str, float]:
    """Where the bicycle is in frame ``k`` of the driveway crossing: left to right."""
    return {"left": round(0.05 + 0.08 * k, 3), "top": 0.35, "width": 0.25, "height": 0.5}


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
