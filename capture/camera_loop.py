"""One capture thread per camera: read → sample → motion gate → encode → queue."""

from __future__ import annotations

import logging
import threading

from capture.config import CameraSettings, EncodeSettings
from capture.encode import encode_jpeg
from capture.frame_ids import FrameIds
from capture.frame_queue import FrameQueue, PendingFrame
from capture.motion import MotionGate
from capture.sampling import Sampler
from capture.sources import FrameSource
from capture.stats import Stats

log = logging.getLogger("capture.camera")


def run_camera(
    camera: CameraSettings,
    source: FrameSource,
    queue: FrameQueue,
    stats: Stats,
    encode: EncodeSettings,
    stop: threading.Event,
) -> None:
    sampler = Sampler(camera.every, camera.fps)
    gate = MotionGate(camera.motion) if camera.motion.enabled else None
    ids = FrameIds(camera.id)
    read = 0
    try:
        for frame in source.frames(stop):
            read += 1
            stats.add(camera.id, "frames_read")
            stats.set(camera.id, "reconnects", source.reconnects)
            capture_time = frame.captured_at.timestamp()
            if sampler.accept(read - 1, capture_time):
                stats.add(camera.id, "frames_sampled")
                if gate is not None and not gate.should_send(frame.image, capture_time):
                    stats.add(camera.id, "frames_gated")
                else:
                    jpeg, width, height = encode_jpeg(frame.image, encode.quality, encode.max_width)
                    # Milliseconds: the precision of the wire format and of the frame id.
                    captured_at = frame.captured_at.replace(
                        microsecond=frame.captured_at.microsecond // 1000 * 1000
                    )
                    frame_id, seq = ids.next(captured_at)
                    queue.put(PendingFrame(camera.id, frame_id, seq, captured_at, width, height, jpeg))
            if camera.max_frames and read >= camera.max_frames:
                break
    except Exception as exc:  # a broken camera ends its own thread, loudly, not the others
        log.exception("camera %s stopped: %s", camera.id, exc)
        stats.error(camera.id, f"capture stopped: {exc}")
    finally:
        stats.set(camera.id, "reconnects", source.reconnects)
