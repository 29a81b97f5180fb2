"""`make bench`: one table of the numbers that matter, written to bench/results/latest.json too.

Each figure stands beside its limit where one exists (bare model inference, JPEG decode), measured
in the same run, and beside its target. Runs the vision, capture and pipeline benches in turn.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench import bundled, capture, pipeline, results_file, tracking, vision

# key → (what it is, target text, check); checks read the whole result dict
TARGETS: dict[str, tuple[str, str]] = {
    "e2e_frames_per_s": ("frames/s end to end (backlog of bikes.mp4)", ">= 10"),
    "model_limit_frames_per_s": ("  model limit: cores x 1000 / (bare labels + faces)", ""),
    "e2e_share_of_limit": ("  end to end / model limit", ">= 0.70"),
    "cpu_ms_per_frame_emulator": ("  CPU ms/frame: stack process (emulator, pipe)", ""),
    "cpu_ms_per_frame_workers": ("  CPU ms/frame: Lambda workers", ""),
    "cpu_ms_per_frame_vision": ("  CPU ms/frame: vision service", ""),
    "cpu_busy_share": ("  share of all cores busy with those three", ""),
    "p50_capture_to_visible_ms": ("capture -> visible in frames API, p50 (5 fps)", ""),
    "p95_capture_to_visible_ms": ("capture -> visible in frames API, p95 (5 fps)", "< 1000"),
    "p95_capture_to_alert_ms": ("capture -> SNS alert, p95 (5 fps)", "< 1500"),
    "detect_labels_ms": ("DetectLabels through the service, ms/frame", "<= 60"),
    "detect_labels_bare_ms": ("  bare NanoDet inference (the limit)", ""),
    "jpeg_decode_ms": ("  JPEG decode 640x480 (the limit)", ""),
    "detect_faces_ms": ("DetectFaces through the service", ""),
    "detect_faces_bare_ms": ("  bare YuNet (the limit)", ""),
    "search_faces_by_image_ms": ("SearchFacesByImage through the service", ""),
    "bundled_handler_ms_per_frame": ("bundled detector in its Lambda handler, ms/frame", ""),
    "bundled_bare_ms_per_frame": ("  bare NanoDet, one thread (the limit)", ""),
    "bundled_handler_over_bare": ("  handler / bare", "<= 1.3"),
    "bundled_cold_start_ms": ("  cold start: import + first frame (ms)", ""),
    "stage_ingest_ms": ("stage: ingest Lambda (per batch)", ""),
    "stage_detect_labels_ms": ("stage: detect labels Lambda", ""),
    "stage_faces_ms": ("stage: find and identify faces Lambda", ""),
    "stage_enrich_ms": ("stage: Record frame (DynamoDB PutItem)", ""),
    "stage_evaluate_ms": ("stage: evaluate watch list Lambda", ""),
    "stage_track_ms": ("stage: Track objects Lambda (per batch)", ""),
    "tracking_ms_per_frame": ("tracking CPU per frame (7 objects, state JSON in/out)", "<= 10"),
    "tracking_state_kb": ("  a camera's tracks item (KB)", ""),
    "stage_dedupe_ms": ("stage: Claim alert (conditional UpdateItem)", ""),
    "stage_notify_ms": ("stage: Send alert (SNS Publish)", ""),
    "capture_frames_per_s": ("capture client read+encode+send, 640x480", ""),
    "gating_ratio_static": ("motion gate: share gated, static scene", ">= 0.9"),
    "gating_ratio_bikes": ("motion gate: share gated, bikes.mp4", ""),
    "capture_peak_rss_mb_stalled": ("capture client peak RSS, stalled sink (MB)", ""),
    "peak_rss_mb_stack": ("embedded stack process peak RSS (MB)", ""),
    "peak_rss_mb_vision": ("vision service peak RSS (MB)", ""),
    "lambda_workers": ("Lambda worker processes at the end", ""),
    "peak_rss_mb_workers_total": ("  their peak RSS, summed (MB)", ""),
    "peak_rss_mb": ("largest process peak RSS (MB)", ""),
}


def model_limit(results: dict[str, Any], cores: int) -> dict[str, float]:
    """The most frames per second these cores could analyse if they did nothing but run the two
    models each frame needs (bare labels + bare faces inference, this run's figures), and the share
    of it the pipeline reached end to end."""
    bare = results.get("detect_labels_bare_ms", 0) + results.get("detect_faces_bare_ms", 0)
    if not bare:
        return {}
    limit = cores * 1000 / bare
    out = {"model_limit_frames_per_s": round(limit, 2)}
    if "e2e_frames_per_s" in results:
        out["e2e_share_of_limit"] = round(results["e2e_frames_per_s"] / limit, 3)
    return out


def _machine() -> dict[str, Any]:
    packages = {
        name: version(name)
        for name in ("moto", "onnxruntime", "opencv-python-headless", "boto3", "aws-lambda-powertools")
    }
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": packages,
    }


def _git_commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent,
    )
    return result.stdout.strip() or "unknown"


def main() -> int:
    results: dict[str, Any] = {"load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    for name, module in (
        ("tracking", tracking),
        ("vision", vision),
        ("bundled", bundled),
        ("capture", capture),
        ("pipeline", pipeline),
    ):
        started = time.monotonic()
        print(f"running {name} bench...", file=sys.stderr, flush=True)
        results.update(module.run())
        print(f"  {name} done in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    results.update(model_limit(results, os.cpu_count() or 1))
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["peak_rss_mb"] = max(
        results.get(k, 0) for k in ("peak_rss_mb_stack", "peak_rss_mb_vision", "capture_peak_rss_mb_stalled")
    )
    results["machine"] = _machine()
    results["git_commit"] = _git_commit()

    print(f"{'measure':52} {'value':>10}  target")
    for key, (label, target) in TARGETS.items():
        if key in results:
            value = results[key]
            shown = f"{value:.2f}" if isinstance(value, float) else str(value)
            print(f"{label:52} {shown:>10}  {target}")
    print(
        f"machine: {results['machine']['cores']} cores, Python {results['machine']['python']}, "
        f"commit {results['git_commit']}, load average {results['load_average_at_start']} at start, "
        f"{results['load_average_at_end']} at end"
    )

    print(f"written to {results_file.write(results)}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["cost-inputs"]:  # re-measures the defaults of `framewatch cost`
        from bench import cost_inputs

        sys.exit(cost_inputs.main(sys.argv[2:]))
    if sys.argv[1:2] == ["soak"]:  # `make soak`: long, so not part of `make bench`
        from bench import soak

        sys.exit(soak.main(sys.argv[2:]))
    sys.exit(main())
