"""Python memory growth over a stretch of a test, as tracemalloc sees it, without one-time imports."""

from __future__ import annotations

import tracemalloc

# Deep enough that an import anywhere below the measured call shows in the traceback.
TRACE_DEPTH = 25


def grown_outside_imports(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot) -> int:
    """Bytes traced more in ``after`` (tracing started with ``TRACE_DEPTH``), leaving out what a module
    import allocated: a lazy import (pytest rewrites test modules as they load) can resize the
    interpreter's table of interned names in the middle of a measurement, one block of megabytes
    that has nothing to do with the code measured. Seen in `tests/unit` run alone."""
    imports = [tracemalloc.Filter(False, "<frozen importlib._bootstrap>", all_frames=True)]
    return sum(
        stat.size_diff
        for stat in after.filter_traces(imports).compare_to(before.filter_traces(imports), "filename")
    )
