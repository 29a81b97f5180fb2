"""`framewatch demo`: the embedded stack plus a real clip streamed through the real capture client."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from framewatch.embedded import report
from framewatch.embedded.stack import EmbeddedStack, StackOptions
from framewatch.embedded.template import TEMPLATE
from framewatch.errors import UserError

DEMO_CAMERA = "demo"


class Watcher(threading.Thread):
    """Prints frames, incidents and alerts as the workflow records them."""

    def __init__(self, stack: EmbeddedStack, emit: Callable[[str], None]) -> None:
        super().__init__(name="demo-watcher", daemon=True)
        self.stack, self.emit = stack, emit
        self.seen_frames: set[str] = set()
        self.seen_alerts: set[str] = set()
        self.seen_incidents: dict[str, str] = {}  # incident id → state last printed
        self.stop_event = threading.Event()

    def poll(self) -> None:
        for row in report.frames(self.stack.resource("FramesTable")):
            if row.frame_key not in self.seen_frames:
                self.seen_frames.add(row.frame_key)
                self.emit("frame  " + report.describe_frame(row))
        for incident in report.incidents(self.stack.resource("IncidentsTable")):
            if self.seen_incidents.get(incident.incident_id) != incident.state:
                verb = "opened" if incident.incident_id not in self.seen_incidents else incident.state
                self.seen_incidents[incident.incident_id] = incident.state
                self.emit(f"incident {verb}: {report.describe_incident(incident)}")
        for alert in report.alerts(self.stack.resource("AlertsTable")):
            if alert.alert_key not in self.seen_alerts:
                self.seen_alerts.add(alert.alert_key)
                self.emit(f"ALERT  {alert.message.splitlines()[0]}")

    def run(self) -> None:
        while not self.stop_event.wait(0.5):
            try:
                self.poll()
            except Exception as exc:  # the stack may be stopping under us
                self.emit(f"(watcher: {exc})")


def run_capture(stack: EmbeddedStack, clip: Path, every: int) -> dict[str, Any]:
    """The capture client as a user runs it, pointed at the embedded Kinesis stream."""
    command = [
        sys.executable,
        "-m",
        "framewatch.cli",
        "capture",
        str(clip),
        "--camera",
        DEMO_CAMERA,
        "--every",
        str(every),
        "--stream",
        stack.stream_name,
        "--bucket",
        stack.media_bucket,
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ), check=False)
    summary_lines = [line for line in result.stdout.splitlines() if line.startswith("CAPTURE_SUMMARY ")]
    if result.returncode != 0 or not summary_lines:
        error = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise UserError(f"capture of {clip} failed: {error}")
    summary: dict[str, Any] = json.loads(summary_lines[-1].split(" ", 1)[1])
    summary["capture_seconds"] = summary.get("frames_read", 0) / _frame_rate(clip)
    return summary


def _frame_rate(clip: Path) -> float:
    import cv2

    video = cv2.VideoCapture(str(clip))
    try:
        return float(video.get(cv2.CAP_PROP_FPS)) or 25.0
    finally:
        video.release()


def summarize(stack: EmbeddedStack, captured: dict[str, Any]) -> dict[str, Any]:
    frames = report.frames(stack.resource("FramesTable"))
    alerts = report.alerts(stack.resource("AlertsTable"))
    incidents = report.incidents(stack.resource("IncidentsTable"))
    pipe_stats = [p.stats for p in stack.pipes]
    sent = sum(a.status == "sent" for a in alerts)
    return {
        "frames_captured": captured.get("frames_read", 0),
        "frames_sent": captured.get("frames_sent", 0),
        "frames_gated": captured.get("frames_gated", 0),
        "frames_analyzed": len(frames),
        "frames_dlq": report.dead_letter_count(stack.resource("DeadLetterQueue")),
        "alerts_sent": sent,
        # Frames that saw an incident's object again: each once an alert, now folded into the incident.
        "alerts_suppressed": max(0, sum(i.frame_count for i in incidents if i.severity == "alert") - sent),
        "incidents": len(incidents),
        "incidents_by_label": report.incident_counts(incidents),
        "executions_succeeded": sum(s.executions_succeeded for s in pipe_stats),
        "executions_failed": sum(s.executions_failed for s in pipe_stats),
        "labels": report.label_counts(frames),
        "cost_inputs": cost_inputs(stack, captured, len(frames), len(incidents), sent),
    }


def cost_inputs(
    stack: EmbeddedStack, captured: dict[str, Any], analyzed: int, incidents: int, alerts_sent: int
) -> dict[str, Any]:
    """What this run cost per service, in the shape `framewatch cost --from` reads
    (framewatch/ops/measured.py): Rekognition calls that reached the vision service standing in
    for it, and every function's invocations and mean duration."""
    assert stack.deployed is not None
    logical = {name: props["LogicalId"] for name, props in stack.deployed.functions.items()}
    memory = {
        props["LogicalId"]: int(props.get("MemorySize", 128)) for props in stack.deployed.functions.values()
    }
    durations: dict[str, list[float]] = {}
    for call in list(stack.runtime.invocations):
        durations.setdefault(logical.get(call.function, call.function), []).append(call.seconds * 1000)
    with urllib.request.urlopen(stack.vision_url + "/_framewatch/calls", timeout=5) as response:
        calls = json.loads(response.read())
    return {
        "detector": stack.parameters.get("DetectorBackend", "rekognition"),
        "capture_seconds": round(captured.get("capture_seconds", 0.0), 3),
        "frames_sampled": captured.get("frames_sampled", 0),
        "frames_analyzed": analyzed,
        "calls": {
            op: int(calls.get(op, 0))
            for op in ("DetectLabels", "DetectFaces", "SearchFacesByImage", "IndexFaces")
        },
        "lambda_invocations": {name: len(ms) for name, ms in sorted(durations.items())},
        "lambda_ms_mean": {name: round(sum(ms) / len(ms), 1) for name, ms in sorted(durations.items())},
        "lambda_memory_mb": {name: memory[name] for name in sorted(durations) if name in memory},
        "incidents": incidents,
        "alerts_sent": alerts_sent,
    }


def run_demo(
    clip: Path,
    *,
    every: int,
    exit_after: bool,
    data_dir: Path | None,
    template: Path | None = None,
    detector: str = "rekognition",
    emit: Callable[[str], None] = print,
) -> dict[str, Any]:
    if not clip.exists():
        raise UserError(f"clip {clip} does not exist; pass --clip PATH to a video file")
    directory = data_dir or Path(tempfile.mkdtemp(prefix="framewatch-demo-"))
    started = time.monotonic()
    emit("starting the embedded stack (AWS emulator, vision service, workflows)...")
    options = StackOptions(
        data_dir=directory, template=template or TEMPLATE, parameters={"DetectorBackend": detector}
    )
    with EmbeddedStack(options) as stack:
        emit(
            f"stack up in {time.monotonic() - started:.1f} s; emulator {stack.moto_url}, "
            f"vision {stack.vision_url}"
        )
        if stack.ui is not None:
            emit(f"web UI: {stack.ui.ui_url}  (the page keeps the key from this address)")
        for pipe in stack.pipes:  # a failed or timed-out execution is shown as it happens
            pipe.on_execution_failed = lambda failure: emit(failure.describe())
        watcher = Watcher(stack, emit)
        watcher.start()
        emit(f"streaming {clip.name} (every {every} frame(s)) into Kinesis stream {stack.stream_name}")
        captured = run_capture(stack, clip, every)
        for pipe in stack.pipes:  # bounded by the workflow's time limit and the Pipe's retries
            if not pipe.wait_idle(captured.get("frames_sent", 0)):
                emit(f"pipe {pipe.name} stopped making progress ({pipe.last_error}); summarizing what ran")
        watcher.stop_event.set()
        watcher.join(5)
        watcher.poll()
        summary = summarize(stack, captured)
        emit(
            f"captured {summary['frames_captured']} frames, sent {summary['frames_sent']} "
            f"({summary['frames_gated']} gated as unchanged), analyzed {summary['frames_analyzed']}, "
            f"dead-lettered {summary['frames_dlq']}"
        )
        emit(
            f"incidents: {summary['incidents']} ("
            + ", ".join(f"{k} {v}" for k, v in summary["incidents_by_label"].items())
            + f"); alerts: {summary['alerts_sent']} sent, {summary['alerts_suppressed']} frames folded "
            f"into their incidents; executions: {summary['executions_succeeded']} succeeded, "
            f"{summary['executions_failed']} failed"
        )
        emit("labels (frames seen in): " + ", ".join(f"{k} {v}" for k, v in summary["labels"].items()))
        emit("SUMMARY " + json.dumps(summary, separators=(",", ":")))
        if not exit_after:
            emit("still serving; press Ctrl+C to stop")
            _wait_for_interrupt()
    return summary


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    # A second Ctrl+C must not cut the shutdown short: the last snapshot is written during it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
