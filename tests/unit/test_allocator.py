"""The allocator settings of `framewatch up` take effect on this (glibc) machine."""

from __future__ import annotations

import ctypes
import threading

from framewatch.embedded import allocator


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def test_large_buffers_are_mapped_and_given_back_whole() -> None:
    assert allocator.tune_for_long_running()
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]

    def churn() -> None:  # frame-sized buffers freed at once, as a request thread's are
        for _ in range(50):
            block = libc.malloc(300 * 1024)
            libc.free(block)

    first = threading.Thread(target=churn)
    first.start()
    first.join()  # the first free of a mapped block would have raised glibc's own threshold
    held = libc.mallinfo2().hblkhd
    block = libc.malloc(300 * 1024)
    try:
        assert libc.mallinfo2().hblkhd >= held + 300 * 1024  # still served by mmap, not an arena
    finally:
        libc.free(block)
