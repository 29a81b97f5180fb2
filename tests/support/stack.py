"""Starting an embedded stack for a test module: the one copy the integration and fault suites share.

Only one EmbeddedStack may run in a process at a time, so each module starts its own (a module-scoped
fixture around :func:`start_stack`) and stops it at the end of the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from framewatch.embedded.stack import EmbeddedStack, StackOptions


@contextmanager
def start_stack(directory: Path, watchlist: str, **options: Any) -> Iterator[EmbeddedStack]:
    """A stack whose data lives under ``directory``, with ``watchlist`` (YAML text) as its watch list."""
    path = directory / "watchlist.yaml"
    path.write_text(watchlist)
    with EmbeddedStack(
        StackOptions(data_dir=directory / "data", watchlist=path, serve_ui=False, **options)
    ) as running:
        yield running


def start_time(seconds_ago: float) -> datetime:
    """A capture time that many seconds back: frames are recent but their tracks can still age."""
    return datetime.now(UTC) - timedelta(seconds=seconds_ago)
