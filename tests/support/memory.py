"""Python memory that one piece of code keeps over a stretch of a test, as tracemalloc sees it."""

from __future__ import annotations

import tracemalloc

# Deep enough that an import anywhere below the measured call shows in the traceback.
TRACE_DEPTH = 25


def grown_under(code: str, before: tracemalloc.Snapshot, after: tracemalloc.Snapshot) -> int:
    """Bytes traced more in ``after`` (tracing started with ``TRACE_DEPTH``) by allocations made
    under ``code`` (a file name pattern, e.g. ``*/moto/kinesis/*``). Two kinds of noise are left out:
    other threads (in the full suite, stacks of earlier tests still winding down allocate meanwhile),
    and module imports (a lazy import can resize the interpreter's table of interned names in the
    middle of a measurement: one block of megabytes unrelated to the code). Both were seen failing
    a memory test that passes alone."""
    filters = [
        tracemalloc.Filter(True, code, all_frames=True),
        tracemalloc.Filter(False, "<frozen importlib._bootstrap>", all_frames=True),
    ]
    return sum(
        stat.size_diff
        for stat in after.filter_traces(filters).compare_to(before.filter_traces(filters), "filename")
    )


def grown_outside_imports(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot) -> int:
    """Bytes traced more in ``after``, leaving out only what module imports allocated (see above)."""
    imports = [tracemalloc.Filter(False, "<frozen importlib._bootstrap>", all_frames=True)]
    return sum(
        stat.size_diff
        for stat in after.filter_traces(imports).compare_to(before.filter_traces(imports), "filename")
    )
