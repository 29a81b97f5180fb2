"""Issue 7, bad configuration: the real CLI, as subprocesses. Each mistake gives one clear line on
stderr and a non-zero exit, starts nothing and leaves nothing half-written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from framewatch.media import clip_path

FRAMEWATCH = [sys.executable, "-m", "framewatch.cli"]
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there


def hermetic_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No AWS settings of the machine leak in; fake credentials and a region unless told otherwise."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FRAMEWATCH_"))}
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-creds"),
        AWS_ACCESS_KEY_ID="framewatch-test",
        AWS_SECRET_ACCESS_KEY="framewatch-test",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return {k: v for k, v in env.items() if v != ""}


def run(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Runs the CLI in its own process group; fails if anything of that group outlives it."""
    process = subprocess.Popen(
        [*FRAMEWATCH, *args],
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    survivors = True
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        survivors = False
    if survivors:
        os.killpg(process.pid, signal.SIGKILL)
    assert not survivors, f"processes of `framewatch {' '.join(args)}` kept running after it exited"
    print(f"\nFAULTS bad-config: framewatch {' '.join(args)} -> exit {process.returncode}: {stderr.strip()}")
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0, result
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("framewatch: error: "), lines
    return lines[0]


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "rules:\n  - name: people\n    labels: [Person]\n    min_confidence: 150\n",
            "rules.0.min_confidence: Input should be less than or equal to 100",
        ),
        (
            "rules:\n  - name: people\n    lables: [Person]\n",
            "rules.0.lables: Extra inputs are not permitted",
        ),
        ("rules:\n  - name: people\n    labels: [Person\n", "not valid YAML/JSON"),
    ],
    ids=["out-of-range", "unknown-field", "not-yaml"],
)
def test_up_with_an_invalid_watch_list_stops_before_starting_anything(
    tmp_path: Path, content: str, expected: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    data = tmp_path / "data"
    result = run(
        ["up", "--watchlist", str(bad), "--data-dir", str(data), "--ui-port", "0"],
        hermetic_env(tmp_path),
        tmp_path,
    )

    line = one_error_line(result)
    assert line.startswith(f"framewatch: error: invalid watch list {bad}: "), line
    assert expected in line, line
    assert result.stdout == ""  # never said it was up, never printed endpoints
    assert not data.exists(), tree(data)  # no emulator, no vision service, no state written
    assert tree(tmp_path) == ["bad.yaml"]


def test_capture_of_a_missing_file_names_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(
        ["capture", "/nonexistent.mp4", "--camera", "x", "--dry-run", str(out)],
        hermetic_env(tmp_path),
        tmp_path,
    )
    line = one_error_line(result)
    assert line == (
        "framewatch: error: camera x: video file /nonexistent.mp4 not found; pass an existing "
        "file, a camera index, or an http(s)/rtsp URL"
    )
    assert "CAPTURE_SUMMARY" not in result.stdout
    assert not any(out.glob("*.jpg")) and (out / "records.jsonl").read_text() == ""  # no frame written


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "http://127.0.0.1:9/stream.mjpg",
            "framewatch: error: camera x: cannot reach camera at http://127.0.0.1:9/stream.mjpg: [Errno 111] "
            "Connection refused; check the URL and that the camera is reachable",
        ),
        (
            "rtsp://127.0.0.1:9/live",
            "framewatch: error: camera x: cannot open stream rtsp://127.0.0.1:9/live; check the URL, the "
            "credentials and that the camera is reachable",
        ),
        (
            "ftp://127.0.0.1/cam",
            "framewatch: error: camera x: unsupported source ftp://127.0.0.1/cam; use a camera index, an "
            "http(s):// MJPEG URL, an rtsp:// URL, kvs://STREAM or a video file path",
        ),
    ],
    ids=["mjpeg-unreachable", "rtsp-unreachable", "unknown-scheme"],
)
def test_capture_from_an_unusable_camera_source_says_so(tmp_path: Path, source: str, expected: str) -> None:
    out = tmp_path / "out"
    result = run(
        ["capture", source, "--camera", "x", "--dry-run", str(out)], hermetic_env(tmp_path), tmp_path
    )
    assert one_error_line(result) == expected
    assert not any(out.glob("*.jpg")) and (out / "records.jsonl").read_text() == ""


def test_capture_from_an_unreachable_camera_without_dry_run_fails_on_the_endpoint(tmp_path: Path) -> None:
    """Without --dry-run the sink is checked before any camera opens."""
    result = run(
        ["capture", "http://127.0.0.1:9/stream.mjpg", "--camera", "x"],
        hermetic_env(tmp_path, AWS_ENDPOINT_URL=UNREACHABLE),
        tmp_path,
    )
    assert one_error_line(result) == (
        f"framewatch: error: cannot reach {UNREACHABLE}/; is the endpoint "
        "running and AWS_ENDPOINT_URL set right?"
    )


def test_capture_to_an_unreachable_endpoint_says_which(tmp_path: Path) -> None:
    result = run(
        ["capture", str(clip_path("bikes.mp4")), "--camera", "x", "--stream", "s"],
        hermetic_env(tmp_path, AWS_ENDPOINT_URL=UNREACHABLE),
        tmp_path,
    )
    assert one_error_line(result) == (
        f"framewatch: error: cannot reach {UNREACHABLE}/; is the endpoint "
        "running and AWS_ENDPOINT_URL set right?"
    )
    assert "CAPTURE_SUMMARY" not in result.stdout


def test_capture_to_an_endpoint_without_a_region_says_so(tmp_path: Path) -> None:
    """The same command on a machine with no AWS configuration at all (no region): one line too."""
    result = run(
        ["capture", str(clip_path("bikes.mp4")), "--camera", "x", "--stream", "s"],
        hermetic_env(tmp_path, AWS_ENDPOINT_URL=UNREACHABLE, AWS_DEFAULT_REGION=""),
        tmp_path,
    )
    assert one_error_line(result).startswith("framewatch: error: no AWS region set; set AWS_DEFAULT_REGION")
