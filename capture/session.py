"""One capture run: check the sink, open every source, run one thread per camera and the
producer, then flush and summarise. ``run_capture`` is the Python API (the CLI wraps it)."""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

from capture.camera_loop import run_camera
from capture.config import CaptureOptions, validate_options
from capture.frame_queue import FrameQueue, PendingFrame
from capture.producer import Producer
from capture.sinks import DryRunSink, KinesisSink, Sink
from capture.stats import CaptureSummary, Stats

log = logging.getLogger("capture.session")


def single_camera_options(source: str, camera_id: str, **settings: Any) -> CaptureOptions:
    """Options for one camera; ``settings`` may hold camera fields (every, fps, loop, motion, ...)
    and top-level ones (encode, producer, reconnect, dry_run, status)."""
    top_level = {k: settings.pop(k) for k in list(settings) if k in CaptureOptions.model_fields}
    return validate_options({"cameras": [{"id": camera_id, "source": source, **settings}], **top_level})


def make_sink(options: CaptureOptions) -> Sink:
    if options.dry_run is not None:
        return DryRunSink(options.dry_run)
    return KinesisSink(options.producer.stream, options.producer.bucket)


def run_capture(
    options: CaptureOptions, stop_event: threading.Event | None = None, *, sink: Sink | None = None
) -> CaptureSummary:
    """Capture until every source ends (files) or ``stop_event`` is set, then flush the queue.

    Raises UserError before capturing anything if the sink or a source is unusable.
    """
    from capture.sources import make_source  # imports cv2; keep it off the CLI's import path

    stop = stop_event or threading.Event()
    stats = Stats([camera.id for camera in options.cameras])
    sink = sink or make_sink(options)
    sink.check()  # a missing stream or credentials fail here, before any camera opens

    sources = []
    for camera in options.cameras:

        def note(reason: str, camera_id: str = camera.id) -> None:
            stats.error(camera_id, reason)

        source = make_source(camera, options.reconnect, note)
        source.open()
        sources.append(source)

    def dropped(frame: PendingFrame) -> None:
        stats.add(frame.camera_id, "frames_dropped")

    queue = FrameQueue(options.producer.queue_size, dropped)
    producer = Producer(queue, sink, options.producer, stats)
    producer.start()
    threads = [
        threading.Thread(
            target=run_camera,
            name=f"capture-{camera.id}",
            daemon=True,
            args=(camera, source, queue, stats, options.encode, stop),
        )
        for camera, source in zip(options.cameras, sources, strict=True)
    ]
    for thread in threads:
        thread.start()

    show_status = options.status if options.status is not None else sys.stderr.isatty()
    status = None
    if show_status:
        from capture.status import StatusLine

        status = StatusLine(stats.snapshot, lambda: len(queue))
        status.__enter__()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)  # short joins keep the main thread responsive to signals
    finally:
        stop.set()  # on KeyboardInterrupt (a second Ctrl+C) leave without flushing
        if status is not None:
            status.__exit__(None, None, None)
    for thread in threads:
        thread.join(5)
    if len(queue):
        log.info("flushing %d queued frames to %s", len(queue), sink.label)
    producer.finish(options.producer.flush_timeout_s)
    return stats.snapshot()
