"""glibc's allocator settings for the long-running ``framewatch up`` process.

Measured with one 5 fps camera (mallinfo2 and /proc/self/smaps of ``up``): after 8 minutes glibc's
arenas held 394 MB, of which 84 MB were in use and 310 MB free but kept, and that kept memory grew
with time. Two of glibc's defaults cause it in a process with many short threads moving JPEG-sized
buffers (each request of the emulator's HTTP server runs in a new thread): a new arena per busy thread
(up to 8 per core), and a threshold for serving large blocks by mmap that rises after the first such
block is freed, so later frames' buffers are carved from the arenas and leave holes there. With at
most two arenas and a fixed 128 KB threshold (large buffers are mapped and unmapped whole), the same
run held 78 MB of arenas, 5 MB of them free. Elsewhere than glibc (musl, macOS) nothing changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_MMAP_THRESHOLD = -3  # mallopt parameters, from glibc's malloc.h
M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 128 * 1024
ARENAS = 2


def tune_for_long_running() -> bool:
    """Apply the settings above to this process (call before it starts threads); True if applied."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(mallopt(M_ARENA_MAX, ARENAS))
