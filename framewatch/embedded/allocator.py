"""glibc's allocator settings for the long-running ``framewatch up`` process.

Measured with one 5 fps camera (mallinfo2 and /proc/self/smaps of ``up``): after 8 minutes glibc's
arenas held 394 MB, of which 84 MB were in use and 310 MB free but kept, and that kept memory grew
with time. Two of glibc's defaults cause it in a process with many short threads moving JPEG-sized
buffers (each request of the emulator's HTTP server runs in a new thread): a new arena per busy thread
(up to 8 per core), and a threshold for serving large blocks by mmap that rises after the first such
block is freed, so later frames' buffers are carved from the arenas and leave holes there. With at
most two arenas and a fixed 128 KB threshold (large buffers are mapped and unmapped whole), the same
run held 78 MB of arenas, 5 MB of them free. Elsewhere than glibc (musl, macOS) nothing changes.

What was left of the slope after that (soak: 25-27 MB/h) was not live memory either: from minute 6
to 18 of one camera, tracemalloc's total and glibc's bytes in use stayed flat (84-91 MB) while the
arena grew 4 MB with free chunks scattered between live ones, which glibc gives back to the system
only when asked. ``up`` asks once a minute (``malloc_trim``: the free pages inside the arenas are
released, a few milliseconds for this heap).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

M_MMAP_THRESHOLD = -3  # mallopt parameters, from glibc's malloc.h
M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 128 * 1024
ARENAS = 2
TRIM_SECONDS = 60.0


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"))
    except (OSError, TypeError):
        return None


def tune_for_long_running() -> bool:
    """Apply the settings above to this process (call before it starts threads); True if applied."""
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None:
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(mallopt(M_ARENA_MAX, ARENAS))


def give_back_free_memory() -> bool:
    """Release the free pages inside glibc's arenas to the system; True if this is glibc."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is None:
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    trim(0)
    return True


def keep_giving_back(stop: threading.Event, every: float = TRIM_SECONDS) -> threading.Thread | None:
    """Call :func:`give_back_free_memory` every ``every`` seconds until ``stop``; None off glibc."""
    if not give_back_free_memory():
        return None

    def loop() -> None:
        while not stop.wait(every):
            give_back_free_memory()

    thread = threading.Thread(target=loop, name="allocator-trim", daemon=True)
    thread.start()
    return thread
