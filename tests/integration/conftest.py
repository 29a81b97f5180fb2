"""One embedded stack per test module: the real ASL, handlers, vision service and template."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from framewatch.embedded.stack import EmbeddedStack

from ..support import stack as shared
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
    with shared.start_stack(tmp_path_factory.mktemp("stack"), WATCHLIST) as running:
        yield running


@pytest.fixture(scope="module")
def pipeline(stack: EmbeddedStack) -> Pipeline:
    return Pipeline(stack)


def start_time(seconds_ago: float = 30) -> datetime:
    return shared.start_time(seconds_ago)
