"""Debian's Chromium driven by Playwright, for the tests that open a generated page (a pytest
plugin of the project's tests: fixtures ``browser``, ``page`` and ``console``).

Playwright never downloads a browser here: it launches the system's Chromium
(``/usr/bin/chromium``, or ``DBPARITY_CHROMIUM``). A missing browser fails the test with one
line saying what to install; it never skips, so CI cannot pass without looking at the page.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path(os.environ.get("DBPARITY_CHROMIUM", "/usr/bin/chromium"))
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: A laptop's first screen: what a reader sees before scrolling.
VIEWPORT = (1280, 800)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: install it (Debian: apt-get install -y chromium) or "
            "point DBPARITY_CHROMIUM at one",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Console:
    """Errors the page reported: console.error calls and uncaught exceptions."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab at the size of a laptop's screen."""
    context = browser.new_context(viewport={"width": VIEWPORT[0], "height": VIEWPORT[1]})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def console(page: Page) -> Console:
    return Console(page)
