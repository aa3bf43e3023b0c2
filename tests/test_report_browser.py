"""The generated index.html in Debian's headless Chromium (through Playwright): no console
errors, the filters hide rows and columns (by clicking and from a linked URL fragment), and a
click shows a cell's case id and reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from dbparity.report import load_inputs, write_reports
from tests.browser import Console

DATA = Path(__file__).parent / "data" / "report"
VISIBLE_ROWS = "tr[data-case]:visible"
LITE = "sqlite-memory@SQLite 3.40.1"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    inputs = load_inputs([DATA / n for n in ("pg.json", "lite-a.json", "lite-b.json")])
    write_reports(inputs, out, speed_html="<h2>Speed</h2><p>hook</p>")
    return out / "index.html"


def visible_cells(page: Page, column: str) -> int:
    return page.locator(f"#matrix td[data-col='{column}']:visible").count()


def test_page_opens_without_console_errors(page: Page, console: Console, index: Path) -> None:
    page.goto(index.as_uri())
    assert page.locator(VISIBLE_ROWS).count() == 5
    assert page.locator("#showing").text_content() == "Showing 5 of 5 cases."
    assert console.errors == []


def test_the_console_check_can_fail(page: Page, console: Console, index: Path) -> None:
    page.goto(index.as_uri())
    assert console.errors == []
    page.evaluate("setTimeout(function () { null.boom(); }, 0)")
    page.wait_for_timeout(100)
    assert any("boom" in error for error in console.errors)


def test_unticking_a_suite_hides_its_rows(page: Page, console: Console, index: Path) -> None:
    page.goto(index.as_uri())
    page.locator("input[data-filter=suite][value=types]").click()
    assert page.locator(VISIBLE_ROWS).count() == 3
    assert page.evaluate("location.hash") == "#suite=crud,filters"
    assert page.locator("tbody[data-suite=types]").is_hidden()
    assert console.errors == []


def test_unticking_a_backend_hides_its_column(page: Page, console: Console, index: Path) -> None:
    page.goto(index.as_uri())
    assert visible_cells(page, LITE) == 5
    page.locator(f'input[data-filter=backend][value="{LITE}"]').click()
    assert visible_cells(page, LITE) == 0
    assert page.locator(VISIBLE_ROWS).count() == 5


def test_a_linked_fragment_preselects_the_filters(
    page: Page, console: Console, index: Path
) -> None:
    page.goto(index.as_uri() + "#suite=crud&only=differences")
    rows = page.locator(VISIBLE_ROWS).evaluate_all("rows => rows.map(r => r.dataset.case)")
    assert rows == ["crud.timestamp_is_aware"]
    assert console.errors == []


def test_clicking_a_cell_shows_its_case_and_reason(
    page: Page, console: Console, index: Path
) -> None:
    page.goto(index.as_uri())
    assert page.locator("#detail").is_hidden()
    page.locator(f'tr[data-case="filters.like_case"] td[data-col="{LITE}"]').click()
    assert page.locator("#detail").is_visible()
    assert page.locator("#detail-case").text_content() == "filters.like_case"
    assert page.locator("#detail-reason").text_content() == "AssertionError: 3 != 2 | rows"
    assert page.locator("#detail-outcome").text_content() == "❌ unexpected failure"
    assert page.locator("#speed p").text_content() == "hook"
    assert console.errors == []
