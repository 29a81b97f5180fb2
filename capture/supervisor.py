"""Several cameras in one long-running process (`framewatch up --cameras FILE`), each supervised.

Each camera runs in its own thread as `framewatch capture` runs it (open → read → sample → motion
gate → encode → queue), all sharing one queue and one producer. A camera that fails to open, or
whose loop ends with an error, is started again after a backoff that doubles up to the file's
``reconnect.max_s`` (and resets once it ran a minute): the other cameras never notice. A video file
that simply ended (no ``loop``) is finished, not restarted. Per camera it keeps what the web UI
shows: frames sent and gated in the last minute, the last frame's time, restarts, the last error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from datetime import UTC
from typing import Any

from capture.backoff import Backoff
from capture.camera_loop import run_camera
from capture.config import CameraSettings, CaptureOptions
from capture.frame_queue import FrameQueue, PendingFrame
from capture.producer import Producer
from capture.sinks import Sink
from capture.stats import Stats

log = logging.getLogger("capture.supervisor")
HEALTHY_SECONDS = 60.0  # a camera that ran this long starts its backoff over
RATE_WINDOW_SECONDS = 60.0


class CameraSupervisor:
    def __init__(self, options: CaptureOptions, sink: Sink) -> None:
        self.options, self.sink = options, sink
        self.stats = _CountingStats([camera.id for camera in options.cameras])
        self.stop_event = threading.Event()
        self.queue = FrameQueue(options.producer.queue_size, self._dropped)
        self.producer = Producer(self.queue, sink, options.producer, self.stats)
        self.restarts = {camera.id: 0 for camera in options.cameras}
        self.state = {camera.id: "starting" for camera in options.cameras}
        self.last_frame_at: dict[str, str | None] = {camera.id: None for camera in options.cameras}
        self._samples: deque[tuple[float, dict[str, tuple[int, int]]]] = deque()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def _dropped(self, frame: PendingFrame) -> None:
        self.stats.add(frame.camera_id, "frames_dropped")

    def start(self) -> CameraSupervisor:
        self.sink.check()  # a missing stream fails here, once, before any camera starts
        self.producer.start()
        for camera in self.options.cameras:
            thread = threading.Thread(
                target=self._supervise, args=(camera,), name=f"camera-{camera.id}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        return self

    def stop(self, flush_seconds: float = 2.0) -> None:
        self.stop_event.set()
        deadline = time.monotonic() + 3.0
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.producer.finish(flush_seconds)

    # ------------------------------------------------------------------ one camera
    def _supervise(self, camera: CameraSettings) -> None:
        from capture.sources import make_source  # imports cv2

        reconnect = self.options.reconnect
        backoff = Backoff(reconnect.initial_s, reconnect.max_s)
        while not self.stop_event.is_set():
            started, errors_before = time.monotonic(), self._error(camera.id)
            try:
                source = make_source(camera, reconnect, lambda reason: self.stats.error(camera.id, reason))
                source.open()
                self.state[camera.id] = "running"
                self._run(camera, source)
            except Exception as exc:  # a camera that cannot open is retried; the others go on
                self.stats.error(camera.id, f"cannot start: {exc}")
            if self.stop_event.is_set():
                break
            failed = self._error(camera.id) != errors_before
            if not failed and _is_file(camera) and not camera.loop:
                self.state[camera.id] = "finished"
                return
            if time.monotonic() - started >= HEALTHY_SECONDS:
                backoff.reset()
            delay = backoff.next_delay()
            with self._lock:
                self.restarts[camera.id] += 1
            self.state[camera.id] = f"restarting in {delay:.1f} s"
            log.warning(
                "camera %s stopped (%s); restarting in %.1f s", camera.id, self._error(camera.id), delay
            )
            if self.stop_event.wait(delay):
                break
        self.state[camera.id] = "stopped"

    def _run(self, camera: CameraSettings, source: Any) -> None:
        queue = _NotingQueue(self.queue, self.last_frame_at)
        run_camera(camera, source, queue, self.stats, self.options.encode, self.stop_event)  # type: ignore[arg-type]

    def _error(self, camera_id: str) -> int:
        """How many errors the camera had so far (a repeated message still counts)."""
        return self.stats.errors.get(camera_id, 0)

    # ------------------------------------------------------------------ what the UI shows
    def report(self) -> list[dict[str, Any]]:
        """Per camera: frames sent and gated in the last minute, last frame time, last error."""
        now = time.monotonic()
        summary = self.stats.snapshot()
        current = {cid: (c.frames_sent, c.frames_gated) for cid, c in summary.cameras.items()}
        with self._lock:
            self._samples.append((now, current))
            while len(self._samples) > 1 and now - self._samples[1][0] >= RATE_WINDOW_SECONDS:
                self._samples.popleft()
            then, old = self._samples[0]
        minutes = max((now - then) / 60.0, 1 / 60)
        rows = []
        for camera in self.options.cameras:
            counts = summary.cameras[camera.id]
            sent0, gated0 = old.get(camera.id, (0, 0))
            rows.append(
                {
                    "camera_id": camera.id,
                    "state": self.state[camera.id],
                    "frames_sent": counts.frames_sent,
                    "frames_gated": counts.frames_gated,
                    "sent_per_minute": round((counts.frames_sent - sent0) / minutes, 1),
                    "gated_per_minute": round((counts.frames_gated - gated0) / minutes, 1),
                    "last_frame_at": self.last_frame_at[camera.id],
                    "restarts": self.restarts[camera.id],
                    "last_error": summary.last_errors.get(camera.id),
                }
            )
        return rows


class _CountingStats(Stats):
    def __init__(self, camera_ids: list[str]) -> None:
        super().__init__(camera_ids)
        self.errors: dict[str, int] = {}

    def error(self, camera_id: str, message: str) -> None:
        super().error(camera_id, message)
        self.errors[camera_id] = self.errors.get(camera_id, 0) + 1


class _NotingQueue:
    """The shared queue, noting each camera's last frame time on the way in."""

    def __init__(self, queue: FrameQueue, last_frame_at: dict[str, str | None]) -> None:
        self._queue, self._last = queue, last_frame_at

    def put(self, frame: PendingFrame) -> None:
        self._last[frame.camera_id] = frame.captured_at.astimezone(UTC).isoformat(timespec="milliseconds")
        self._queue.put(frame)


def _is_file(camera: CameraSettings) -> bool:
    return "://" not in camera.source and not camera.source.strip().isdigit()
