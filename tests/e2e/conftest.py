"""One real embedded stack serving the web UI, and one headless Chromium, for the whole module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from framewatch.embedded.stack import EmbeddedStack, StackOptions

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

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
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run `apt-get install -y chromium` (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context per test; any JavaScript error on the page fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
