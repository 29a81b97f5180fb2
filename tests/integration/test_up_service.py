"""`framewatch up` as a long-running service: stack.json for discovery, a clean stop that says what
it does and leaves a snapshot that restores, and a second signal that leaves at once."""

from __future__ import annotations

import json
import os
import queue
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
from playwright.sync_api import expect

from framewatch.media import clip_path

REPO = Path(__file__).resolve().parents[2]


class Up:
    """`framewatch up` in a subprocess, its output read line by line."""

    def __init__(self, data_dir: Path, *extra: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "framewatch.cli", "up", "--data-dir", str(data_dir), "--ui-port", "0",
             "--snapshot-interval", "600", *extra],  # only the stop's own snapshot holds the frames
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 240) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"`up` never printed {text!r}; it printed:\n" + "\n".join(self.lines[-30:]))

    def rest(self, timeout: float = 5) -> list[str]:
        self.process.wait(timeout)
        time.sleep(0.2)
        while not self._queue.empty():
            self.lines.append(self._queue.get())
        return self.lines

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def _read(path: Path) -> str:
    try:
        return path.read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _frames(info: dict[str, str]) -> int:
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=info["endpoint_url"],
        region_name="us-east-1",
        aws_access_key_id="framewatch-local",
        aws_secret_access_key="framewatch-local",
    )
    return int(dynamodb.scan(TableName="framewatch-frames", Select="COUNT")["Count"])


def test_capture_finds_up_and_sigterm_leaves_a_snapshot_that_restores(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    up = Up(data_dir)
    try:
        up.wait_for("press Ctrl+C to stop")
        stack_file = data_dir / "stack.json"
        assert stat.S_IMODE(stack_file.stat().st_mode) == 0o600
        info = json.loads(stack_file.read_text())
        assert {"endpoint_url", "stream", "bucket", "ui_url", "api_key"} <= set(info)
        assert info["stream"] == "framewatch-frames" and info["ui_url"].startswith("http://127.0.0.1:")

        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FRAMEWATCH_"))}
        capture = subprocess.run(
            [sys.executable, "-m", "framewatch.cli", "capture", str(clip_path("bikes.mp4")),
             "--camera", "door", "--data-dir", str(data_dir), "--every", "10", "--max-frames", "60",
             "--no-motion", "--as-fast-as-possible", "--no-status"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert capture.returncode == 0, capture.stderr[-800:]
        summary = json.loads(capture.stdout.strip().splitlines()[-1].split(" ", 1)[1])
        assert summary["frames_sent"] == 6
        deadline = time.monotonic() + 120
        while _frames(info) < 6 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _frames(info) == 6

        stopped_at = time.monotonic()
        up.process.send_signal(signal.SIGTERM)
        lines = up.rest(timeout=15)
        took = time.monotonic() - stopped_at
        assert up.process.returncode == 0
        assert took < 10, f"stop took {took:.1f} s"
        assert any(line.startswith("stopping: draining ") for line in lines)
        assert "saved snapshot: 6 frames" in lines and lines[-1] == "stopped"
        assert not stack_file.exists()
    finally:
        up.kill()

    again = Up(data_dir)
    try:
        restored = again.wait_for("restored from the last snapshot:")
        assert "6 FramesTable" in restored
        again.wait_for("press Ctrl+C to stop")
        again.process.send_signal(signal.SIGTERM)
        again.wait_for("stopping: draining")
        again.process.send_signal(signal.SIGTERM)  # the second one: leave now
        started = time.monotonic()
        again.process.wait(5)
        assert time.monotonic() - started < 2
        assert again.process.returncode == 130
        assert "stopping now, without the last snapshot (second signal)" in again.rest()
        vision = [p for p in Path("/proc").glob("[0-9]*/cmdline") if str(data_dir / "vision") in _read(p)]
        deadline = time.monotonic() + 5
        while vision and time.monotonic() < deadline:  # the vision service went with it
            time.sleep(0.2)
            vision = [p for p in vision if p.exists()]
        assert not vision
    finally:
        again.kill()


def test_capture_without_a_stack_or_aws_says_so_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FRAMEWATCH_"))}
    env["HOME"] = str(tmp_path)  # no ~/.aws either
    done = subprocess.run(
        [sys.executable, "-m", "framewatch.cli", "capture", "0", "--camera", "door"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "framewatch: error: no running local stack (var/framewatch/stack.json missing or stale) and no AWS "
        "settings: start `framewatch up` (or pass --data-dir), or give --stream with AWS credentials"
    ]


def test_up_runs_the_camera_file_and_the_live_page_shows_each_camera(tmp_path: Path, page: Any) -> None:
    cameras = tmp_path / "cameras.yaml"
    cameras.write_text(
        f"cameras:\n"
        f"  - {{id: door, source: {clip_path('bikes.mp4')}, loop: true, fps: 2,\n"
        f"     motion: {{enabled: false}}}}\n"
        f"  - {{id: yard, source: {tmp_path / 'missing.mp4'}, fps: 2}}\n"
        f"reconnect: {{initial_s: 0.2, max_s: 1}}\n"
    )
    data_dir = tmp_path / "data"
    up = Up(data_dir, "--cameras", str(cameras))
    try:
        up.wait_for("cameras running inside up: door, yard")
        info = json.loads((data_dir / "stack.json").read_text())

        def report() -> dict[str, dict[str, Any]]:
            request = urllib.request.Request(
                info["ui_url"] + "api/local/cameras", headers={"x-api-key": info["api_key"]}
            )
            with urllib.request.urlopen(request, timeout=5) as answer:
                return {row["camera_id"]: row for row in json.load(answer)["cameras"]}

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            rows = report()
            if rows["door"]["frames_sent"] >= 3 and rows["yard"]["restarts"] >= 2:
                break
            time.sleep(0.5)
        assert rows["door"]["frames_sent"] >= 3 and rows["door"]["last_frame_at"]
        assert rows["yard"]["restarts"] >= 2 and "missing.mp4" in rows["yard"]["last_error"]
        assert _wait_frames(info, 3)  # what door sent went through the workflow

        page.goto(f"{info['ui_url']}#key={info['api_key']}")  # as `up` prints it: the page keeps the key
        stats = page.locator("#capture-stats")
        expect(stats.locator('tr[data-camera="door"] .sent')).not_to_have_text("0")
        expect(stats.locator('tr[data-camera="yard"] .problem')).to_contain_text("missing.mp4")
    finally:
        up.process.send_signal(signal.SIGTERM)
        up.rest(timeout=15)
        up.kill()
    assert "stopping: cameras…" in up.lines


def _wait_frames(info: dict[str, str], count: int) -> bool:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if _frames(info) >= count:
            return True
        time.sleep(0.5)
    return False
