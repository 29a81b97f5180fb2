"""Python memory kept over a stretch of a test, as tracemalloc sees it, without one-time imports."""

from __future__ import annotations

import tracemalloc

# Deep enough that an import anywhere below the measured call shows in the traceback.
TRACE_DEPTH = 25


def traced_growth(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, under: str | None = None) -> int:
    """Bytes traced more in ``after`` (tracing started with ``TRACE_DEPTH``), leaving out what module
    imports allocated: a lazy import (pytest rewrites test modules as they load) can resize the
    interpreter's table of interned names in the middle of a measurement, one block of megabytes
    unrelated to the code measured. ``under`` (a file name pattern, e.g. ``*/moto/kinesis/*``) also
    keeps only allocations made below that code."""
    filters = [tracemalloc.Filter(False, "<frozen importlib._bootstrap>", all_frames=True)]
    if under is not None:
        filters.append(tracemalloc.Filter(True, under, all_frames=True))
    return sum(
        stat.size_diff
        for stat in after.filter_traces(filters).compare_to(before.filter_traces(filters), "filename")
    )
