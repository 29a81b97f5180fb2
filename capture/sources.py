"""Frame sources behind one interface: ``open()`` once (fails with a UserError), then iterate
``frames(stop)`` for (BGR image, capture timestamp) pairs.

Live sources (camera index, MJPEG URL, RTSP URL) reconnect with exponential backoff when they
drop or stall and say so; a video file ends cleanly (or loops with ``loop``).
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from urllib.parse import quote

import numpy as np

from capture.backoff import Backoff, sleep_unless_stopped
from capture.config import CameraSettings, ReconnectSettings
from capture.mjpeg import StreamUnavailable, iter_parts, open_stream, split_credentials
from capture.opencv import cv2
from capture.redact import redact_url, scrub
from framewatch.errors import UserError

log = logging.getLogger("capture.sources")


class CapturedFrame(NamedTuple):
    image: np.ndarray  # BGR
    captured_at: datetime  # UTC


class FrameSource(Protocol):
    description: str  # safe to show: credentials redacted
    reconnects: int

    def open(self) -> None: ...

    def frames(self, stop: threading.Event) -> Iterator[CapturedFrame]: ...


def _now() -> datetime:
    return datetime.now(UTC)


class LiveSource:
    """Base for sources that can drop: the first connection must work, later ones are retried."""

    description = "live source"

    def __init__(
        self, camera_id: str, reconnect: ReconnectSettings, on_event: Callable[[str], None] | None = None
    ) -> None:
        self.camera_id = camera_id
        self.settings = reconnect
        self.reconnects = 0
        self._on_event = on_event or (lambda message: None)
        self._stream: Iterator[np.ndarray] | None = None

    def _connect(self) -> Iterator[np.ndarray]:
        """Connect now (raising StreamUnavailable) and return an iterator of decoded frames."""
        raise NotImplementedError

    def _hint(self) -> str:
        return "check the address and that the camera is on"

    def open(self) -> None:
        try:
            self._stream = self._connect()
        except StreamUnavailable as exc:
            raise UserError(f"camera {self.camera_id}: {exc}; {self._hint()}") from None

    def frames(self, stop: threading.Event) -> Iterator[CapturedFrame]:
        if self._stream is None:
            self.open()
        stream = self._stream
        backoff = Backoff(self.settings.initial_s, self.settings.max_s)
        while stream is not None and not stop.is_set():
            try:
                for image in stream:
                    backoff.reset()
                    yield CapturedFrame(image, _now())
                    if stop.is_set():
                        return
                reason = "the stream ended"
            except (StreamUnavailable, OSError, http.client.HTTPException) as exc:
                reason = self._describe(exc)
            stream = self._reconnect(stop, backoff, reason)

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, TimeoutError):
            return f"no data for {self.settings.stall_timeout_s:g} s (stalled)"
        return str(exc) or type(exc).__name__

    def _reconnect(self, stop: threading.Event, backoff: Backoff, reason: str) -> Iterator[np.ndarray] | None:
        attempt = 0
        while not stop.is_set():
            attempt += 1
            delay = backoff.next_delay()
            message = (
                f"camera {self.camera_id}: {reason}; reconnecting to {self.description} "
                f"in {delay:.1f} s (attempt {attempt})"
            )
            log.warning("%s", message)
            self._on_event(reason)
            if sleep_unless_stopped(stop, delay):
                return None
            try:
                stream = self._connect()
            except StreamUnavailable as exc:
                reason = str(exc)
                continue
            self.reconnects += 1
            log.warning("camera %s: reconnected to %s", self.camera_id, self.description)
            return stream
        return None


class MjpegSource(LiveSource):
    def __init__(
        self,
        camera_id: str,
        url: str,
        reconnect: ReconnectSettings,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(camera_id, reconnect, on_event)
        self.url, self._user, self._password = split_credentials(url)
        self.description = redact_url(url)

    def _hint(self) -> str:
        return "check the URL and that the camera is reachable"

    def _connect(self) -> Iterator[np.ndarray]:
        try:
            response, boundary = open_stream(
                self.url, self._user, self._password, self.settings.stall_timeout_s
            )
        except StreamUnavailable as exc:
            raise StreamUnavailable(scrub(str(exc), (self._password,))) from None
        return self._decode(response, boundary)

    def _decode(self, response: Any, boundary: bytes | None) -> Iterator[np.ndarray]:
        try:
            for body in iter_parts(response, boundary):
                image = cv2.imdecode(np.frombuffer(body, dtype=np.uint8), cv2.IMREAD_COLOR)
                if image is None:
                    log.debug("camera %s: skipped a part that is not a JPEG", self.camera_id)
                    continue
                yield image
        finally:
            response.close()


class OpenCvLiveSource(LiveSource):
    """A local camera (by index) or an RTSP URL, decoded by OpenCV."""

    def __init__(
        self,
        camera_id: str,
        target: int | str,
        reconnect: ReconnectSettings,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(camera_id, reconnect, on_event)
        self._password: str | None = None
        if isinstance(target, str):
            bare, user, password = split_credentials(target)
            self._password = password
            if user or password:  # FFmpeg takes RTSP credentials only inside the URL
                scheme, rest = bare.split("://", 1)
                target = f"{scheme}://{quote(user or '', safe='')}:{quote(password or '', safe='')}@{rest}"
            self.description = redact_url(target)
        else:
            self.description = f"camera index {target}"
        self._target = target

    def _hint(self) -> str:
        if isinstance(self._target, int):
            return "list cameras with `ls /dev/video*` (Linux) and pass another index"
        return "check the URL, the credentials and that the camera is reachable"

    def _connect(self) -> Iterator[np.ndarray]:
        timeout_ms = int(self.settings.stall_timeout_s * 1000)
        if isinstance(self._target, int):
            capture = cv2.VideoCapture(self._target)
            failure = f"camera index {self._target} not found or busy"
        else:
            capture = cv2.VideoCapture(
                self._target,
                cv2.CAP_FFMPEG,
                [
                    cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                    timeout_ms,
                    cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                    timeout_ms,
                ],
            )
            failure = f"cannot open stream {self.description}"
        if not capture.isOpened():
            capture.release()
            raise StreamUnavailable(failure)
        return self._read(capture)

    def _read(self, capture: Any) -> Iterator[np.ndarray]:
        try:
            while True:
                ok, image = capture.read()
                if not ok or image is None:
                    raise StreamUnavailable("no frame from the camera (dropped or stalled)")
                yield image
        finally:
            capture.release()


class VideoFileSource:
    """A video file, paced at its own frame rate unless ``as_fast_as_possible``.

    Frames are stamped with the clip's own clock anchored at the start of the run (start +
    position / fps), so sampling and the motion keep-alive behave the same at any speed.
    """

    reconnects = 0

    def __init__(
        self, camera_id: str, path: Path, loop: bool = False, as_fast_as_possible: bool = False
    ) -> None:
        self.camera_id = camera_id
        self.path = path
        self.loop = loop
        self.as_fast_as_possible = as_fast_as_possible
        self.description = str(path)
        self.fps = 25.0

    def _open_capture(self) -> Any:
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            capture.release()
            raise UserError(
                f"camera {self.camera_id}: cannot decode video file {self.path}; "
                "is it a video OpenCV can read (mp4, avi, mkv, ...)?"
            )
        return capture

    def open(self) -> None:
        if not self.path.is_file():
            raise UserError(
                f"camera {self.camera_id}: video file {self.path} not found; "
                "pass an existing file, a camera index, or an http(s)/rtsp URL"
            )
        capture = self._open_capture()
        fps = capture.get(cv2.CAP_PROP_FPS)
        capture.release()
        self.fps = fps if fps and 1 <= fps <= 1000 else 25.0

    def frames(self, stop: threading.Event) -> Iterator[CapturedFrame]:
        start_wall = _now()
        start_mono = time.monotonic()
        index = 0
        while not stop.is_set():
            capture = self._open_capture()
            read_this_pass = 0
            try:
                while not stop.is_set():
                    ok, image = capture.read()
                    if not ok or image is None:
                        break
                    offset = index / self.fps
                    if not self.as_fast_as_possible:
                        wait = start_mono + offset - time.monotonic()
                        if wait > 0 and sleep_unless_stopped(stop, wait):
                            return
                    read_this_pass += 1
                    index += 1
                    yield CapturedFrame(image, start_wall + timedelta(seconds=offset))
            finally:
                capture.release()
            if not self.loop or read_this_pass == 0:
                return


class KinesisVideoSource(OpenCvLiveSource):
    """``kvs://STREAM_NAME``: an existing Kinesis Video Stream, read as HLS (LIVE) by OpenCV's FFmpeg.

    Each (re)connect asks for a fresh streaming-session URL, which expires; sampling, the motion gate
    and reconnects are those of every live source."""

    def __init__(
        self,
        camera_id: str,
        stream_name: str,
        reconnect: ReconnectSettings,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        if not stream_name or "/" in stream_name:
            raise UserError(f"camera {camera_id}: give the Kinesis Video Stream as kvs://STREAM_NAME")
        super().__init__(camera_id, f"kvs://{stream_name}", reconnect, on_event)
        self.stream_name = stream_name
        self.description = f"Kinesis Video Stream {stream_name}"

    def _hint(self) -> str:
        return (
            f"check that stream {self.stream_name} exists and a producer is sending to it "
            "(aws kinesisvideo describe-stream), and the AWS credentials and region"
        )

    def _connect(self) -> Iterator[np.ndarray]:
        from framewatch.aws.kinesis_video import KinesisVideoUnavailable, hls_url

        try:
            self._target = hls_url(self.stream_name)
        except KinesisVideoUnavailable as exc:
            raise StreamUnavailable(f"{self.description}: {exc}") from None
        return super()._connect()


def make_source(
    camera: CameraSettings, reconnect: ReconnectSettings, on_event: Callable[[str], None] | None = None
) -> FrameSource:
    """Pick the source kind from the SOURCE string: index, http(s)://, rtsp(s)://, or a path."""
    spec = camera.source.strip()
    lowered = spec.lower()
    if spec.isdigit():
        return OpenCvLiveSource(camera.id, int(spec), reconnect, on_event)
    if lowered.startswith(("http://", "https://")):
        return MjpegSource(camera.id, spec, reconnect, on_event)
    if lowered.startswith(("rtsp://", "rtsps://")):
        return OpenCvLiveSource(camera.id, spec, reconnect, on_event)
    if lowered.startswith("kvs://"):
        return KinesisVideoSource(camera.id, spec[len("kvs://") :], reconnect, on_event)
    if "://" in spec:
        raise UserError(
            f"camera {camera.id}: unsupported source {redact_url(spec)}; use a camera "
            "index, an http(s):// MJPEG URL, an rtsp:// URL, kvs://STREAM or a video file path"
        )
    return VideoFileSource(camera.id, Path(spec).expanduser(), camera.loop, camera.as_fast_as_possible)
