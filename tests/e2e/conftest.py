"""One real embedded stack serving the web UI, and one headless Chromium, for the whole module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from framewatch.embedded.stack import EmbeddedStack, StackOptions

# Issue 5's watch list: a label rule for the clip and a people rule for the face enrolled in the UI.
WATCHLIST = """
rules:
  - name: person
    labels: [Person]
    min_confidence: 55
  - name: family
    people: [Grace Hopper]
    min_confidence: 50
"""


@pytest.fixture(scope="module")
def stack(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    """The embedded stack with the UI; started after the browser so a missing Chromium fails fast."""
    directory = tmp_path_factory.mktemp("e2e")
    watchlist = directory / "watchlist.yaml"
    watchlist.write_text(WATCHLIST)
    options = StackOptions(data_dir=directory / "data", watchlist=watchlist, serve_ui=True)
    with EmbeddedStack(options) as running:
        assert running.ui is not None, "the stack did not serve the web UI"
        yield running


@pytest.fixture(autouse=True)
def _key_from_the_printed_address(request: pytest.FixtureRequest) -> None:
    """The browser opened the address `framewatch up` prints (…/#key=…) once, as a user does: the
    page keeps the key (config.js no longer hands it out)."""
    if "page" not in request.fixturenames:
        return
    page, stack = request.getfixturevalue("page"), request.getfixturevalue("stack")
    page.goto(stack.ui.ui_url)
    page.wait_for_function("() => !location.hash.includes('key=')")
    page.goto("about:blank")  # the test's own goto is then a fresh load, not a same-document hash change
