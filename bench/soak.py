"""`make soak` / `python -m bench soak --minutes M --fps F`: `framewatch up` left running.

Starts `framewatch up --cameras` with one camera looping bikes.mp4 at F frames/s (motion gate off, so
every sampled frame is sent: the worst case), samples every process's RSS (up and the vision service)
every 10 s, and at the end reads the workflow's log group files for the lag of every frame (capture
time to the end of the execution that analysed it; its p95 also per 10 minutes of capture, so a lag that
grows with the hours shows). Then measures a restore of 50 000 frames.
Writes the figures under ``soak`` in bench/results/latest.json and prints one table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import restore, results_file
from framewatch.media import clip_path

REPO = Path(__file__).resolve().parents[1]
SAMPLE_SECONDS = 10.0
LAG_WINDOW_S = 600.0  # the p95 lag is also given per 10 minutes of capture, to show a trend
TARGETS = {
    "soak_rss_slope_mb_per_hour": ("RSS slope of up over the second half (MB/hour)", "< 20"),
    "p95_lag_s": ("capture -> analysed, p95 (s)", "< 2"),
    "restore_50k_s": ("restore of 50 000 frames (s)", "< 15"),
}


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _du_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def _slope_per_hour(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) in MB/hour."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_v = sum(v for _, v in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    cov = sum((t - mean_t) * (v - mean_v) for t, v in samples)
    return cov / var * 3600 if var else 0.0


def _lags(log_root: Path) -> list[tuple[float, float]]:
    """(capture time, seconds from it to the end of the execution that analysed the frame), per frame."""
    started: dict[str, list[str]] = {}
    ended: dict[str, int] = {}
    for path in log_root.rglob("*.jsonl"):
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            arn = entry.get("execution_arn", "")
            if entry.get("type") == "ExecutionStarted":
                frames = json.loads((entry.get("details") or {}).get("input") or "[]")
                started[arn] = [
                    str(f["captured_at"]) for f in frames if isinstance(f, dict) and f.get("captured_at")
                ]
            elif entry.get("type") == "ExecutionSucceeded":
                ended[arn] = int(entry["event_timestamp"])
    lags = []
    for arn, stamps in started.items():
        if arn in ended:
            for stamp in stamps:
                if stamp:
                    captured = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
                    lags.append((captured, ended[arn] / 1000 - captured))
    return lags


def p95_lag_by_window(lags: list[tuple[float, float]], window_s: float) -> list[float | None]:
    """p95 lag of the frames captured in each window from the first capture (None: none captured):
    whether the lag grows with the hours (state that slows as it fills) or only spikes."""
    if not lags:
        return []
    first = min(captured for captured, _ in lags)
    windows: dict[int, list[float]] = {}
    for captured, lag in lags:
        windows.setdefault(int((captured - first) // window_s), []).append(lag)
    return [
        round(_percentile(windows[i], 0.95), 2) if i in windows else None for i in range(max(windows) + 1)
    ]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def run(minutes: float, fps: float, snapshot_interval: float = 5.0) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="framewatch-soak-"))
    data = folder / "data"
    cameras = folder / "cameras.yaml"
    cameras.write_text(
        f"cameras:\n  - id: soak\n    source: {clip_path('bikes.mp4')}\n    loop: true\n    fps: {fps}\n"
        "    motion: {enabled: false}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    up = subprocess.Popen(
        [sys.executable, "-m", "framewatch.cli", "up", "--data-dir", str(data), "--ui-port", "0",
         "--cameras", str(cameras), "--snapshot-interval", str(snapshot_interval)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert up.stdout is not None
    output: list[str] = []
    for line in up.stdout:
        output.append(line.rstrip())
        if line.startswith("press Ctrl+C"):
            break
    else:
        raise SystemExit("up did not start:\n" + "\n".join(output[-20:]))

    def keep_output() -> None:
        for line in up.stdout or []:
            output.append(line.rstrip())

    threading.Thread(target=keep_output, daemon=True).start()
    info = json.loads((data / "stack.json").read_text())
    pids = {"up": up.pid, **{f"child-{pid}": pid for pid in _children(up.pid)}}

    def cameras_report() -> dict[str, Any]:
        request = urllib.request.Request(
            info["ui_url"] + "api/local/cameras", headers={"x-api-key": info["api_key"]}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return dict(json.load(answer)["cameras"][0])

    started = time.monotonic()
    disk_start = _du_mb(data)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in pids}
    try:
        while time.monotonic() - started < minutes * 60:
            now = time.monotonic() - started
            for name, pid in pids.items():
                samples[name].append((now, _rss_mb(pid)))
            print(
                f"  {now / 60:5.1f} min  up RSS {samples['up'][-1][1]:7.1f} MB", file=sys.stderr, flush=True
            )
            time.sleep(SAMPLE_SECONDS)
        for name, pid in pids.items():
            samples[name].append((time.monotonic() - started, _rss_mb(pid)))
        sent = cameras_report()["frames_sent"]
    finally:
        stop_at = time.monotonic()
        up.send_signal(signal.SIGTERM)
        up.wait(60)
    stop_s = time.monotonic() - stop_at
    lag_pairs = _lags(data / "log-groups")
    lags = [lag for _, lag in lag_pairs]
    half = minutes * 60 / 2
    result: dict[str, Any] = {
        "minutes": minutes,
        "fps": fps,
        "snapshot_interval_s": snapshot_interval,
        "rss_start_mb": {name: round(s[0][1], 1) for name, s in samples.items()},
        "rss_end_mb": {name: round(s[-1][1], 1) for name, s in samples.items()},
        "soak_rss_slope_mb_per_hour": round(_slope_per_hour([s for s in samples["up"] if s[0] >= half]), 1),
        "rss_slope_mb_per_hour_by_process": {
            name: round(_slope_per_hour([x for x in s if x[0] >= half]), 1) for name, s in samples.items()
        },
        "frames_sent": sent,
        "frames_analysed": len(lags),
        "p95_lag_s": round(_percentile(lags, 0.95), 2),
        "p50_lag_s": round(_percentile(lags, 0.5), 2),
        "p95_lag_s_by_10_min": p95_lag_by_window(lag_pairs, LAG_WINDOW_S),
        "disk_growth_mb": round(_du_mb(data) - disk_start, 1),
        "stop_s": round(stop_s, 1),
        "stop_output": [
            line for line in output if line.startswith(("stopping", "saved snapshot", "stopped"))
        ],
    }
    result["restore_50k_s"] = restore.measure(50_000, 0)["restore_s"]
    shutil.rmtree(folder, ignore_errors=True)
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument("--snapshot-interval", type=float, default=5.0, help="up's (default 5 s)")
    args = parser.parse_args(argv)
    result = run(args.minutes, args.fps, args.snapshot_interval)
    for key, (label, target) in TARGETS.items():
        print(f"{label:52} {result[key]:>10}  {target}")
    for key in ("frames_sent", "frames_analysed", "p50_lag_s", "disk_growth_mb", "stop_s"):
        print(f"{key:52} {result[key]:>10}")
    print(f"{'p95 lag per 10 minutes of capture (s)':52} {result['p95_lag_s_by_10_min']}")
    print(f"{'RSS at start (MB)':52} {json.dumps(result['rss_start_mb'])}")
    print(f"{'RSS at end (MB)':52} {json.dumps(result['rss_end_mb'])}")
    print(f"written to {results_file.write(result, soak=True)} (key soak)")
    return 0
