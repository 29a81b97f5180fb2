"""Measured ratios for the cost model: what one analysed frame costs each service, per detector backend.

The numbers come from a run of the real pipeline (the demo's ``SUMMARY`` line, or ``make bench``'s
``bench/results/latest.json``), under the key ``cost_inputs``. The files under ``cost_measurements/``
are those of ``framewatch demo --detector X --exit`` on the bundled bikes.mp4, committed as the
defaults; a user measures their own camera with ``framewatch demo --clip THEIR.mp4`` and passes
``--from``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from framewatch.errors import UserError
from framewatch.ops.cost import PER_EXECUTION, LambdaUse, Workload

Detector = Literal["rekognition", "bundled", "cascade"]
DETECTORS: tuple[Detector, ...] = ("rekognition", "bundled", "cascade")
DEFAULTS = Path(__file__).with_name("cost_measurements")
DEFAULT_MEMORY_MB = 512


class Measurement(BaseModel):
    """One run's counts: the ``cost_inputs`` object of a demo SUMMARY or a bench result."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    detector: Detector
    source: str = "unknown"  # what was measured (clip, sampling, commit)
    capture_seconds: float = Field(gt=0)
    frames_sampled: int = Field(gt=0)
    frames_analyzed: int = Field(gt=0)
    # Rekognition API calls that reached Rekognition (or the vision service standing in for it).
    calls: dict[str, int]
    lambda_invocations: dict[str, int]
    lambda_ms_mean: dict[str, float]
    lambda_memory_mb: dict[str, int] = {}
    incidents: int = Field(ge=0)
    alerts_sent: int = Field(ge=0)

    @property
    def gating_ratio(self) -> float:
        return min(1.0, self.frames_analyzed / self.frames_sampled)

    @property
    def incidents_per_hour(self) -> float:
        return self.incidents / self.capture_seconds * 3600

    def per_frame(self, count: float) -> float:
        return count / self.frames_analyzed


def parse(data: Any, source: str) -> list[Measurement]:
    """The measurements in a parsed JSON document: a ``cost_inputs`` object, a list of them, or a
    mapping of detector → object (``make bench`` keeps one per backend)."""
    if isinstance(data, dict) and "cost_inputs" in data:
        data = data["cost_inputs"]
    if isinstance(data, dict) and "detector" not in data and all(k in DETECTORS for k in data):
        data = list(data.values())
    items = data if isinstance(data, list) else [data]
    try:
        return [Measurement.model_validate(item) for item in items]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise UserError(f"{source}: cost_inputs.{where}: {first['msg']}") from None


def load(path: Path) -> list[Measurement]:
    """Measurements from a file: JSON (bench results, a saved cost_inputs) or demo output whose
    ``SUMMARY {json}`` line carries them."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise UserError(
            f"cannot read {path}: {exc.strerror}; pass a demo SUMMARY or bench results file"
        ) from None
    summary_lines = [line for line in text.splitlines() if line.startswith("SUMMARY ")]
    body = summary_lines[-1].removeprefix("SUMMARY ") if summary_lines else text
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        raise UserError(
            f"{path}: neither JSON nor demo output with a SUMMARY line; pass bench/results/latest.json "
            "or the output of `framewatch demo --exit`"
        ) from None
    if isinstance(data, dict) and "cost_inputs" not in data and "detector" not in data:
        raise UserError(f"{path}: no cost_inputs in it; re-run `framewatch demo --exit` or `make bench`")
    return parse(data, str(path))


Scene = Literal["busy", "static"]


def default(detector: Detector, scene: Scene = "busy") -> Measurement:
    """The committed measurement of a backend: bikes.mp4 (busy) or its still frame (static)."""
    path = DEFAULTS / (detector if scene == "busy" else f"{detector}-static")
    path = path.with_suffix(".json")
    return parse(json.loads(path.read_text()), str(path))[0]


def workload(m: Measurement, base: Workload) -> Workload:
    """``base`` (frame rate, retention, frame size and other assumptions) with the measured ratios."""
    lambdas = {}
    for name, calls in m.lambda_invocations.items():
        # A per-batch function runs once per execution; at 1 fps a batch is one frame.
        per_frame = 1.0 if name in PER_EXECUTION else m.per_frame(calls)
        memory = m.lambda_memory_mb.get(name, DEFAULT_MEMORY_MB)
        lambdas[name] = LambdaUse(per_frame=per_frame, ms=m.lambda_ms_mean.get(name, 0.0), memory_mb=memory)
    return replace(
        base,
        gating_ratio=m.gating_ratio,
        rekognition_per_frame={op: m.per_frame(n) for op, n in m.calls.items() if op != "IndexFaces"},
        lambdas=lambdas,
        alerts_per_frame=m.per_frame(m.alerts_sent),
    )


def assumptions(m: Measurement, w: Workload) -> list[str]:
    """What a column rests on, one line each, for the command's output."""
    calls = ", ".join(f"{op} {share:.3f}" for op, share in w.rekognition_per_frame.items()) or "none"
    lambdas = ", ".join(
        f"{name.removesuffix('Function')} {use.per_frame:.2f}x{use.ms:.0f} ms@{use.memory_mb} MB"
        for name, use in w.lambdas.items()
    )
    return [
        f"{m.detector}: measured on {m.source}",
        f"  gating ratio {w.gating_ratio:.2f}; Rekognition calls per analysed frame: {calls}",
        f"  incidents {m.incidents} ({m.incidents_per_hour:,.0f} per hour of capture), alerts per frame "
        f"{w.alerts_per_frame or 0:.3f}",
        f"  Lambda per frame (calls x mean ms @ memory): {lambdas}",
    ]
