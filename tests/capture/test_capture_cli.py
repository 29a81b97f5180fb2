"""`framewatch capture` as a user runs it: a subprocess, one-line errors, the summary line."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from framewatch.core.frame_record import FrameRecord

CLI = [sys.executable, "-m", "framewatch.cli", "capture"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FRAMEWATCH_"))}
    env.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_CONFIG_FILE="/nonexistent",
    )
    env.update(extra)
    return env


def _run(*args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, env=_env(**env), check=False
    )


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("framewatch: error: ")
    return lines[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _summary(stdout: str) -> dict[str, Any]:
    last = stdout.strip().splitlines()[-1]
    assert last.startswith("CAPTURE_SUMMARY ")
    return dict(json.loads(last.removeprefix("CAPTURE_SUMMARY ")))


def test_missing_file(tmp_path: Path) -> None:
    line = _one_error_line(
        _run(str(tmp_path / "nope.mp4"), "--camera", "c1", "--dry-run", str(tmp_path / "out"))
    )
    assert "nope.mp4 not found" in line


def test_invalid_option_names_it() -> None:
    line = _one_error_line(_run("0", "--camera", "c1", "--every", "0"))
    assert "every" in line and "greater than or equal to 1" in line


def test_invalid_camera_id() -> None:
    assert "cameras.0.id" in _one_error_line(_run("0", "--camera", "no spaces"))


def test_unreachable_url_redacts_credentials(tmp_path: Path) -> None:
    url = f"http://admin:hunter2@127.0.0.1:{_free_port()}/video"
    line = _one_error_line(_run(url, "--camera", "c1", "--dry-run", str(tmp_path)))
    assert "cannot reach camera" in line and "hunter2" not in line


def test_missing_camera_index(tmp_path: Path) -> None:
    line = _one_error_line(_run("7", "--camera", "c1", "--dry-run", str(tmp_path)))
    assert "camera index 7 not found" in line


def test_invalid_config_file_names_the_field(tmp_path: Path) -> None:
    config = tmp_path / "cameras.yaml"
    config.write_text("cameras:\n  - id: a\n    source: x.mp4\n    fps: -1\n")
    line = _one_error_line(_run("--config", str(config)))
    assert "cameras.0.fps" in line


def test_dry_run_writes_jpegs_and_records(bikes: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _run(
        str(bikes),
        "--camera",
        "bikes",
        "--every",
        "25",
        "--no-motion",
        "--as-fast-as-possible",
        "--dry-run",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    summary = _summary(result.stdout)
    assert summary["frames_sent"] == 10 == summary["cameras"]["bikes"]["frames_sent"]
    assert set(summary) >= {
        "frames_read",
        "frames_sampled",
        "frames_gated",
        "frames_sent",
        "frames_dropped",
        "frames_failed",
        "claim_checks",
        "reconnects",
    }
    lines = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    assert len(lines) == 10
    for line in lines:
        assert line["image"] is None and (out / line["image_file"]).stat().st_size > 1000
        assert (out / f"{line['frame_id']}.jpg").exists()
        fields = {k: v for k, v in line.items() if k in FrameRecord.model_fields}
        FrameRecord.model_validate({**fields, "image": "AA=="})


def test_config_file_with_two_cameras(bikes: Path, tmp_path: Path) -> None:
    config = tmp_path / "cameras.json"
    config.write_text(
        json.dumps(
            {
                "cameras": [
                    {
                        "id": "a",
                        "source": str(bikes),
                        "every": 50,
                        "as_fast_as_possible": True,
                        "motion": {"enabled": False},
                    },
                    {
                        "id": "b",
                        "source": str(bikes),
                        "every": 125,
                        "as_fast_as_possible": True,
                        "motion": {"enabled": False},
                    },
                ]
            }
        )
    )
    result = _run("--config", str(config), "--dry-run", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    cameras = _summary(result.stdout)["cameras"]
    assert (cameras["a"]["frames_sent"], cameras["b"]["frames_sent"]) == (5, 2)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_against_a_kinesis_endpoint(bikes: Path, moto_endpoint: str) -> None:
    import boto3

    creds = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": moto_endpoint,
    }
    kinesis = boto3.client(
        "kinesis",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    kinesis.create_stream(StreamName="cli-frames", ShardCount=1)

    missing = _run(str(bikes), "--camera", "bikes", "--stream", "nope", **creds)
    assert "Kinesis stream nope not found" in _one_error_line(missing)

    result = _run(
        str(bikes),
        "--camera",
        "bikes",
        "--every",
        "50",
        "--no-motion",
        "--as-fast-as-possible",
        **creds,
        FRAMEWATCH_STREAM="cli-frames",
    )
    assert result.returncode == 0, result.stderr
    assert _summary(result.stdout)["frames_sent"] == 5


def test_missing_credentials(bikes: Path, moto_endpoint: str) -> None:
    line = _one_error_line(_run(str(bikes), "--camera", "bikes", AWS_ENDPOINT_URL=moto_endpoint))
    assert "no AWS credentials" in line


def test_sigterm_flushes_and_prints_the_summary(bikes: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    process = subprocess.Popen(
        [
            *CLI,
            str(bikes),
            "--camera",
            "bikes",
            "--loop",
            "--no-motion",
            "--every",
            "5",
            "--dry-run",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    deadline = time.monotonic() + 20
    while not list(out.glob("*.jpg")) and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    summary = _summary(stdout)
    assert summary["frames_sent"] >= 1 and summary["frames_failed"] == 0
    assert summary["frames_sent"] == len(list(out.glob("*.jpg")))
