"""End to end through the embedded stack: throughput, latency, where the time goes, memory.

Two runs on one stack, both fed with real bikes.mp4 frames as versioned records on Kinesis:
- throughput: every frame of the clip at once (a backlog), timed until the pipe has handled all,
  after a short warm-up batch (the first call of each model and handler is a cold start);
- latency: frames paced at 5 per second, each on its own camera so that each one raises an alert;
  a poller reads the frames API (as the UI does) and the SNS sink queue. A frame is visible from the
  moment the workflow wrote its record (the API's ``recorded_at``), an alert arrived when SNS
  delivered it (the sink message's ``SentTimestamp``); both against the frame's capture time. The
  poll itself only confirms each frame is served, so it runs at 2 per second (the page: every 5 s)
  rather than adding its own load to what it measures.
Per-stage times come from the Lambda runtime (handlers) and from execution histories (native tasks).
"""

from __future__ import annotations

import base64
import json
import os
import resource
import statistics
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from framewatch.aws.clients import client
from framewatch.core.frame_record import FrameRecord
from framewatch.embedded.stack import EmbeddedStack, StackOptions
from framewatch.media import clip_jpegs

LATENCY_FPS = 5.0
LATENCY_FRAMES = 40
API_POLL_SECONDS = 0.5
# min_hits 1: each latency frame is its own camera's first sighting, and must alert on its own.
WATCHLIST = (
    "tracking: {min_hits: 1}\n"
    "rules:\n  - name: anything\n    labels: [Person, Vehicle]\n    min_confidence: 50\n"
)


def _clip_jpegs() -> list[bytes]:
    return list(clip_jpegs("bikes.mp4", quality=85).values())


def _record(camera: str, seq: int, jpeg: bytes, frame_id: str) -> bytes:
    return FrameRecord(
        camera_id=camera,
        frame_id=frame_id,
        captured_at=datetime.now(UTC),
        seq=seq,
        width=640,
        height=272,
        image=base64.b64encode(jpeg).decode(),
    ).to_json()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _throughput(stack: EmbeddedStack, jpegs: list[bytes], camera: str = "backlog") -> float:
    kinesis = client("kinesis")
    records = [
        {"Data": _record(camera, n, jpeg, f"{camera}-{n}"), "PartitionKey": camera}
        for n, jpeg in enumerate(jpegs)
    ]
    before = stack.pipes[0].stats.records
    started = time.monotonic()
    for start in range(0, len(records), 100):
        kinesis.put_records(StreamName=stack.stream_name, Records=records[start : start + 100])
    stack.pipes[0].wait_idle(before + len(records), timeout=900)
    return len(records) / (time.monotonic() - started)


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15 of stat)


def _cpu_by_process(stack: EmbeddedStack) -> dict[str, float]:
    """CPU seconds so far of the stack's process (the emulator, the pipe, the API), of the Lambda
    workers (those running now, all functions) and of the vision service."""
    assert stack._vision is not None
    return {
        "emulator": _cpu_seconds(os.getpid()),
        "workers": sum(_cpu_seconds(pid) for pid in stack.runtime.worker_pids()),
        "vision": _cpu_seconds(stack._vision.pid),
    }


def _measured_throughput(stack: EmbeddedStack, jpegs: list[bytes]) -> dict[str, float]:
    """Frames per second of a backlog, and the CPU each process spent per frame on it."""
    before = _cpu_by_process(stack)
    started = time.monotonic()
    frames_per_s = _throughput(stack, jpegs)
    seconds = time.monotonic() - started
    after = _cpu_by_process(stack)
    results = {"e2e_frames_per_s": round(frames_per_s, 2), "e2e_frames": len(jpegs)}
    for name in after:
        results[f"cpu_ms_per_frame_{name}"] = round((after[name] - before[name]) * 1000 / len(jpegs), 1)
    total = sum(after[name] - before[name] for name in after)
    results["cpu_busy_share"] = round(total / (seconds * (os.cpu_count() or 1)), 2)
    return results


class _Watcher:
    """Notes when each frame became visible in the frames API and when each alert reached the SNS
    sink, from the times the API and the sink report (long-polled on its own thread, so neither waits
    on the other)."""

    def __init__(self, stack: EmbeddedStack, cameras: set[str]) -> None:
        self.stack, self.cameras = stack, cameras
        self.visible: dict[str, float] = {}
        self.alerted: dict[str, float] = {}
        self.stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._watch_api, daemon=True),
            threading.Thread(target=self._watch_alerts, daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self, timeout: float) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def _watch_api(self) -> None:
        request = urllib.request.Request(
            f"{self.stack.ui.url}/api/frames?limit=20", headers={"x-api-key": self.stack.ui.api_key}
        )
        while not self.stop.is_set():
            with urllib.request.urlopen(request, timeout=5) as response:
                frames = json.load(response).get("frames", [])
            for frame in frames:
                if frame["camera_id"] in self.cameras and frame.get("recorded_at"):
                    recorded = datetime.fromisoformat(frame["recorded_at"].replace("Z", "+00:00"))
                    self.visible.setdefault(frame["camera_id"], recorded.timestamp())
            self.stop.wait(API_POLL_SECONDS)

    def _watch_alerts(self) -> None:
        sqs = client("sqs")
        while not self.stop.is_set():
            messages = sqs.receive_message(
                QueueUrl=self.stack.alert_sink_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                AttributeNames=["SentTimestamp"],
            ).get("Messages", [])
            for message in messages:
                camera = json.loads(message["Body"])["MessageAttributes"]["camera_id"]["Value"]
                self.alerted.setdefault(camera, int(message["Attributes"]["SentTimestamp"]) / 1000)
                sqs.delete_message(QueueUrl=self.stack.alert_sink_url, ReceiptHandle=message["ReceiptHandle"])


def _latency(stack: EmbeddedStack, jpegs: list[bytes]) -> dict[str, float]:
    people = jpegs[:LATENCY_FRAMES]  # the first seconds of the clip: a person and cars in every frame
    cameras = {f"lat-{n:03d}" for n in range(len(people))}
    watcher = _Watcher(stack, cameras)
    watcher.start()
    kinesis = client("kinesis")
    captured: dict[str, float] = {}
    next_at = time.monotonic()
    for n, jpeg in enumerate(people):
        camera = f"lat-{n:03d}"
        captured[camera] = time.time()
        kinesis.put_records(
            StreamName=stack.stream_name,
            Records=[{"Data": _record(camera, n, jpeg, f"{camera}-0"), "PartitionKey": camera}],
        )
        next_at += 1 / LATENCY_FPS
        time.sleep(max(0.0, next_at - time.monotonic()))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(watcher.visible) < len(cameras):
        time.sleep(0.1)
    time.sleep(2.0)  # late alerts
    watcher.stop.set()
    watcher.join(5)
    visible = [(watcher.visible[c] - captured[c]) * 1000 for c in cameras if c in watcher.visible]
    alerts = [(watcher.alerted[c] - captured[c]) * 1000 for c in cameras if c in watcher.alerted]
    return {
        "p50_capture_to_visible_ms": round(_percentile(visible, 0.5)),
        "p95_capture_to_visible_ms": round(_percentile(visible, 0.95)),
        "p50_capture_to_alert_ms": round(_percentile(alerts, 0.5)) if alerts else -1,
        "p95_capture_to_alert_ms": round(_percentile(alerts, 0.95)) if alerts else -1,
        "latency_frames_visible": len(visible),
        "latency_frames_alerted": len(alerts),
    }


_STAGES = {
    "framewatch-IngestFunction": "stage_ingest_ms",
    "framewatch-DetectLabelsFunction": "stage_detect_labels_ms",
    "framewatch-IdentifyFacesFunction": "stage_faces_ms",
    "framewatch-EvaluateFunction": "stage_evaluate_ms",
    "framewatch-TrackFunction": "stage_track_ms",
}
_NATIVE = {
    "Record frame": "stage_enrich_ms",
    "Claim alert": "stage_dedupe_ms",
    "Send alert": "stage_notify_ms",
}


def _stages(stack: EmbeddedStack) -> dict[str, float]:
    stages: dict[str, float] = {}
    per_function: dict[str, list[float]] = defaultdict(list)
    for call in stack.runtime.invocations:
        per_function[call.function].append(call.seconds * 1000)
    for function, key in _STAGES.items():
        if per_function.get(function):
            stages[key] = round(statistics.median(per_function[function]), 1)
    sfn = client("stepfunctions")
    spans: dict[str, list[float]] = defaultdict(list)
    for arn in list(stack.pipes[0].stats.execution_arns)[-5:]:
        events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        entered: dict[int, tuple[str, datetime]] = {}
        for event in events:
            if event["type"] == "TaskStateEntered":
                entered[event["id"]] = (event["stateEnteredEventDetails"]["name"], event["timestamp"])
            elif event["type"] == "TaskStateExited":
                name = event["stateExitedEventDetails"]["name"]
                start = next((t for i, (n, t) in sorted(entered.items(), reverse=True) if n == name), None)
                if start is not None and name in _NATIVE:
                    spans[name].append((event["timestamp"] - start).total_seconds() * 1000)
    for name, key in _NATIVE.items():
        if spans.get(name):
            stages[key] = round(statistics.median(spans[name]), 1)
    return stages


def _rss_mb(pid: int | None = None) -> float:
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run() -> dict[str, float]:
    jpegs = _clip_jpegs()
    with tempfile.TemporaryDirectory() as tmp:
        watchlist = Path(tmp) / "watchlist.yaml"
        watchlist.write_text(WATCHLIST)
        options = StackOptions(data_dir=Path(tmp) / "data", watchlist=watchlist)
        with EmbeddedStack(options) as stack:
            _throughput(stack, jpegs[:20], camera="warmup")  # models loaded, handlers imported
            results: dict[str, float] = _measured_throughput(stack, jpegs)
            results.update(_latency(stack, jpegs))
            results.update(_stages(stack))
            assert stack._vision is not None
            results["peak_rss_mb_stack"] = round(_rss_mb(), 1)
            results["peak_rss_mb_vision"] = round(_rss_mb(stack._vision.pid), 1)
            workers = stack.runtime.worker_pids()
            results["lambda_workers"] = len(workers)
            results["peak_rss_mb_workers_total"] = round(sum(_rss_mb(pid) for pid in workers), 1)
    return results


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:32} {value}")
