"""The generated index.html in Debian's headless Chromium: no console errors, the filters hide
rows and columns (by clicking and from a linked URL fragment), and a click shows a cell's
case id and reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dbparity.report import load_inputs, write_reports
from tests.chromium_cdp import Chromium, file_url, find_chromium

DATA = Path(__file__).parent / "data" / "report"
VISIBLE_ROWS = "document.querySelectorAll('tr[data-case]:not([hidden])').length"
LITE = "sqlite-memory@SQLite 3.40.1"


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    binary = find_chromium()
    if binary is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    chromium = Chromium(binary)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    inputs = load_inputs([DATA / n for n in ("pg.json", "lite-a.json", "lite-b.json")])
    write_reports(inputs, out, speed_html="<h2>Speed</h2><p>hook</p>")
    return out / "index.html"


def visible_cells(browser: Chromium, column: str) -> int:
    query = f"#matrix td[data-col='{column}']:not([hidden])"
    count: int = browser.evaluate(f'document.querySelectorAll("{query}").length')
    return count


def test_page_opens_without_console_errors(browser: Chromium, index: Path) -> None:
    browser.navigate(file_url(index))
    assert browser.evaluate(VISIBLE_ROWS) == 5
    assert browser.evaluate("document.getElementById('showing').textContent") == (
        "Showing 5 of 5 cases."
    )
    assert browser.console_errors() == []


def test_the_console_check_can_fail(browser: Chromium, index: Path) -> None:
    browser.navigate(file_url(index))
    assert browser.console_errors() == []
    browser.evaluate("setTimeout(function () { null.boom(); }, 0); 1")
    browser.evaluate("new Promise(function (done) { setTimeout(done, 100); })", await_promise=True)
    assert any("boom" in error for error in browser.console_errors())


def test_unticking_a_suite_hides_its_rows(browser: Chromium, index: Path) -> None:
    browser.navigate(file_url(index))
    browser.evaluate("document.querySelector('input[data-filter=suite][value=types]').click()")
    assert browser.evaluate(VISIBLE_ROWS) == 3
    assert browser.evaluate("location.hash") == "#suite=crud,filters"
    assert browser.evaluate("document.querySelector('tbody[data-suite=types]').hidden") is True
    assert browser.console_errors() == []


def test_unticking_a_backend_hides_its_column(browser: Chromium, index: Path) -> None:
    browser.navigate(file_url(index))
    assert visible_cells(browser, LITE) == 5
    browser.evaluate(
        f"document.querySelector('input[data-filter=backend][value=\"{LITE}\"]').click()"
    )
    assert visible_cells(browser, LITE) == 0
    assert browser.evaluate(VISIBLE_ROWS) == 5


def test_a_linked_fragment_preselects_the_filters(browser: Chromium, index: Path) -> None:
    browser.navigate(file_url(index, "suite=crud&only=differences"))
    rows = browser.evaluate(
        "Array.from(document.querySelectorAll('tr[data-case]:not([hidden])'))"
        ".map(function (r) { return r.dataset.case; })"
    )
    assert rows == ["crud.timestamp_is_aware"]
    assert browser.console_errors() == []


def test_clicking_a_cell_shows_its_case_and_reason(browser: Chromium, index: Path) -> None:
    browser.navigate(file_url(index))
    assert browser.evaluate("document.getElementById('detail').hidden") is True
    browser.evaluate(
        f'document.querySelector(\'tr[data-case="filters.like_case"] td[data-col="{LITE}"]\')'
        ".click()"
    )
    assert browser.evaluate("document.getElementById('detail').hidden") is False
    assert browser.evaluate("document.getElementById('detail-case').textContent") == (
        "filters.like_case"
    )
    assert browser.evaluate("document.getElementById('detail-reason').textContent") == (
        "AssertionError: 3 != 2 | rows"
    )
    assert browser.evaluate("document.getElementById('detail-outcome').textContent") == (
        "❌ unexpected failure"
    )
    assert browser.evaluate("document.querySelector('#speed p').textContent") == "hook"
    assert browser.console_errors() == []
