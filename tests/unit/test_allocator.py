"""The allocator settings of `framewatch up` take effect on this (glibc) machine.

Each check runs in a fresh interpreter, as `up` applies the settings at its start: in a process
whose heap already has large free holes (this test process after hundreds of tests), glibc serves a
frame-sized block from a hole before it would consider mmap at all, whatever the settings.
"""

from __future__ import annotations

import subprocess
import sys

# Churns frame-sized buffers on a thread (as the emulator's request threads do), then prints whether
# the next frame-sized block is still served by mmap (glibc's mapped-bytes count rises by it).
_CHILD = """
import ctypes, sys, threading
from framewatch.embedded import allocator

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd",
        "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

if sys.argv[1] == "tuned":
    assert allocator.tune_for_long_running()
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]

def churn():
    for _ in range(50):
        libc.free(libc.malloc(300 * 1024))

worker = threading.Thread(target=churn)
worker.start()
worker.join()  # without the settings, the first free of a mapped block raised glibc's threshold
held = libc.mallinfo2().hblkhd
block = libc.malloc(300 * 1024)
print("mapped" if libc.mallinfo2().hblkhd >= held + 300 * 1024 else "arena")
libc.free(block)
"""


def _next_frame_buffer(mode: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, mode], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


def test_large_buffers_stay_mapped_and_are_given_back_whole() -> None:
    assert _next_frame_buffer("tuned") == "mapped"


def test_without_the_settings_glibc_carves_them_from_an_arena() -> None:
    # The control: shows the check above tells the two apart on this machine.
    assert _next_frame_buffer("default") == "arena"
