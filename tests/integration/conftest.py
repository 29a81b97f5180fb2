"""One embedded stack per test module: the real ASL, handlers, vision service and template."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from framewatch.embedded.stack import EmbeddedStack, StackOptions

from ..support.frames import Pipeline

WATCHLIST = """
rules:
  - name: person
    labels: [Person]
    min_confidence: 55
  - name: vehicle
    labels: [Vehicle]
    min_confidence: 45
  - name: family
    people: [Grace Hopper]
    min_confidence: 50
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    directory = tmp_path_factory.mktemp("stack")
    watchlist = directory / "watchlist.yaml"
    watchlist.write_text(WATCHLIST)
    options = StackOptions(data_dir=directory / "data", watchlist=watchlist, serve_ui=False)
    with EmbeddedStack(options) as running:
        yield running


@pytest.fixture(scope="module")
def pipeline(stack: EmbeddedStack) -> Pipeline:
    return Pipeline(stack)


def start_time(seconds_ago: float = 30) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds_ago)
