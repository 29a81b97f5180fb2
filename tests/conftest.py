"""Fixtures every test folder may use: one headless Chromium (Debian's package) and fresh pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out, which this sandbox refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run `apt-get install -y chromium` (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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


ClipFrames = Callable[[str, list[int]], dict[int, bytes]]


@pytest.fixture(scope="session")
def clip_frames() -> ClipFrames:
    """Frames of a reference clip as JPEG bytes by index. The clip is fetched on first use, not when a
    test module is imported, so collecting (or running one unit test) downloads nothing."""
    from framewatch.media import clip_jpegs

    cache: dict[tuple[str, tuple[int, ...]], dict[int, bytes]] = {}

    def frames(name: str, indices: list[int]) -> dict[int, bytes]:
        key = (name, tuple(indices))
        if key not in cache:
            cache[key] = clip_jpegs(name, indices)
        return cache[key]

    return frames
