"""Load the watch list (cached, from the same S3 key on AWS and offline) and apply it to one frame."""

from __future__ import annotations

import threading
import time

from framewatch.aws import s3
from framewatch.core.detections import Detections
from framewatch.core.frame_ref import FrameRef, parse_captured_at
from framewatch.core.watchlist import Observation, WatchList, load_watchlist, observe
from framewatch.settings import WatchListSettings

WATCHLIST_TTL_SECONDS = 30.0

_cache: dict[str, tuple[float, WatchList]] = {}
_lock = threading.Lock()


def watchlist(settings: WatchListSettings) -> WatchList:
    """The watch list, re-read at most every 30 s so an edit takes effect without a deploy."""
    source = f"s3://{settings.media_bucket}/{settings.watchlist_key}"
    with _lock:
        cached = _cache.get(source)
        if cached and time.monotonic() - cached[0] < WATCHLIST_TTL_SECONDS:
            return cached[1]
    text = s3.get_object_bytes(settings.media_bucket, settings.watchlist_key).decode()
    loaded = load_watchlist(text, source)
    with _lock:
        _cache[source] = (time.monotonic(), loaded)
    return loaded


def observations_for(frame: FrameRef, found: Detections, settings: WatchListSettings) -> list[Observation]:
    """What of this frame the tracker must see: each watched object and face with the rules it meets."""
    local = parse_captured_at(frame.captured_at).astimezone(settings.timezone)
    return observe(watchlist(settings), frame.camera_id, local, found)
