"""MJPEG over HTTP: plain, basic auth, disconnects and stalls (test server on 127.0.0.1)."""

from __future__ import annotations

import io
import logging
import socket
from typing import Any

import cv2
import numpy as np
import pytest

from capture.mjpeg import StreamUnavailable, iter_parts
from capture.session import run_capture, single_camera_options
from framewatch.errors import UserError

SECRET = "s3cr3t-pw"
# Fast backoff and a short stall timeout keep reconnect tests quick.
FAST_RECONNECT = {"initial_s": 0.01, "max_s": 0.05, "stall_timeout_s": 0.5}


def _capture(url: str, sink: Any, max_frames: int = 20) -> Any:
    options = single_camera_options(
        url, "door", max_frames=max_frames, motion={"enabled": False}, reconnect=FAST_RECONNECT, status=False
    )
    return run_capture(options, sink=sink)


def test_an_mjpeg_stream_is_captured(sink: Any, serve_mjpeg: Any) -> None:
    with serve_mjpeg() as (url, _):
        summary = _capture(url, sink)
    assert summary.total("frames_read") == 20 == summary.total("frames_sent")
    image = cv2.imdecode(np.frombuffer(sink.records[0].frame.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (120, 160, 3)


def test_basic_auth_from_the_url(sink: Any, serve_mjpeg: Any) -> None:
    with serve_mjpeg(credentials=("admin", SECRET)) as (url, _):
        summary = _capture(url.replace("http://", f"http://admin:{SECRET}@"), sink)
    assert summary.total("frames_sent") == 20


def test_basic_auth_from_the_environment(
    sink: Any, monkeypatch: pytest.MonkeyPatch, serve_mjpeg: Any
) -> None:
    monkeypatch.setenv("FRAMEWATCH_CAMERA_USER", "admin")
    monkeypatch.setenv("FRAMEWATCH_CAMERA_PASSWORD", SECRET)
    with serve_mjpeg(credentials=("admin", SECRET)) as (url, _):
        summary = _capture(url, sink)
    assert summary.total("frames_sent") == 20


def test_wrong_credentials_fail_in_one_line_without_the_password(sink: Any, serve_mjpeg: Any) -> None:
    with (
        serve_mjpeg(credentials=("admin", "other")) as (url, _),
        pytest.raises(UserError) as error,
    ):
        _capture(url.replace("http://", f"http://admin:{SECRET}@"), sink)
    message = str(error.value)
    assert "HTTP 401" in message and "\n" not in message
    assert SECRET not in message and "admin:" not in message


def test_a_stream_that_hangs_up_is_reconnected_and_frames_continue(
    sink: Any, caplog: pytest.LogCaptureFixture, serve_mjpeg: Any
) -> None:
    with (
        caplog.at_level(logging.WARNING),
        serve_mjpeg(credentials=("admin", SECRET), frames_per_connection=5) as (url, behaviour),
    ):
        summary = _capture(url.replace("http://", f"http://admin:{SECRET}@"), sink, max_frames=18)
    assert summary.total("frames_read") == 18 == summary.total("frames_sent")
    assert summary.total("reconnects") == 3 and behaviour.connections == 4
    assert "reconnecting" in caplog.text and "reconnected" in caplog.text
    assert SECRET not in caplog.text


def test_a_stalled_stream_is_reconnected(sink: Any, serve_mjpeg: Any) -> None:
    with serve_mjpeg(stall_after=3) as (url, behaviour):
        summary = _capture(url, sink, max_frames=10)
    assert summary.total("frames_read") == 10
    assert summary.total("reconnects") == 1 and behaviour.connections == 2


def test_an_unreachable_url_fails_before_capture(sink: Any) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UserError, match=r"cannot reach camera at http://127\.0\.0\.1"):
        _capture(f"http://127.0.0.1:{port}/video", sink)


def test_a_url_that_is_not_a_stream_is_refused(sink: Any, serve_mjpeg: Any) -> None:
    with serve_mjpeg() as (url, _), pytest.raises(UserError, match="HTTP 404"):
        _capture(url.replace("/video", "/nothing"), sink)


def test_parts_without_content_length_are_parsed(sample_jpegs: Any) -> None:
    jpegs = sample_jpegs(3)
    body = (
        b"preamble\r\n"
        + b"".join(b"--frame\r\nContent-Type: image/jpeg\r\n\r\n" + j + b"\r\n" for j in jpegs)
        + b"--frame--\r\n"
    )
    parts = iter_parts(io.BytesIO(body), b"frame")
    assert [next(parts) for _ in jpegs] == jpegs
    with pytest.raises(StreamUnavailable):
        next(parts)


def test_boundary_parameter_with_leading_dashes(sample_jpegs: Any) -> None:
    jpeg = sample_jpegs(1)[0]
    body = (b"--myboundary\r\nContent-Length: %d\r\n\r\n" % len(jpeg)) + jpeg + b"\r\n"
    assert next(iter_parts(io.BytesIO(body), b"--myboundary")) == jpeg
