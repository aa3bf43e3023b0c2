"""The generated index.html in Debian's headless Chromium (through Playwright): readable without
JavaScript (every suite's table there, a linked case opens its suite), no console errors, the
filters hide rows and columns (by clicking and from a linked URL fragment), and a click shows
a cell's case id and reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from dbparity.report import expected_backends, load_inputs, merge, write_reports
from dbparity.report.findings import stand_ins
from tests.browser import VIEWPORT, Console

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "report"
SHOWN_ROWS = "tr[data-case]:not([hidden])"
LITE = "sqlite-memory@SQLite 3.40.1"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    inputs = load_inputs([DATA / n for n in ("pg.json", "lite-a.json", "lite-b.json")])
    write_reports(inputs, out, speed_html="<h2>Speed</h2><p>hook</p>")
    return out / "index.html"


def visible_cells(page: Page, column: str) -> int:
    return page.locator(f"#matrix td[data-col='{column}']:visible").count()


def test_without_javascript_every_row_is_there_and_a_linked_case_opens_its_suite(
    browser: Browser, index: Path
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(index.as_uri())
        assert page.locator("#filters").is_hidden()  # the filters need the script
        assert page.locator("details.suite").count() == 3
        assert page.locator("tr[data-case]").count() == 5
        assert page.locator("tr[data-case]:visible").count() == 0  # suites start collapsed
        page.locator("details[data-suite=crud] > summary").click()
        assert page.locator("tr[data-case]:visible").count() == 2
        page.goto(index.as_uri() + "#case-filters.like_case")
        assert page.locator("#case-filters\\.like_case").is_visible()
    finally:
        context.close()


def test_page_opens_without_console_errors(page: Page, console: Console, index: Path) -> None:
    page.goto(index.as_uri())
    assert page.locator("#filters").is_visible()
    assert page.locator(SHOWN_ROWS).count() == 5
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
    assert page.locator(SHOWN_ROWS).count() == 3
    assert page.evaluate("location.hash") == "#suite=crud,filters"
    assert page.locator("details[data-suite=types]").is_hidden()
    assert console.errors == []


def test_unticking_a_backend_hides_its_column(page: Page, console: Console, index: Path) -> None:
    page.goto(index.as_uri())
    page.locator("details[data-suite=crud] > summary").click()
    assert visible_cells(page, LITE) == 2
    page.locator(f'input[data-filter=backend][value="{LITE}"]').click()
    assert visible_cells(page, LITE) == 0
    assert page.locator("tr[data-case]:visible").count() == 2
    assert console.errors == []


def test_a_linked_fragment_preselects_the_filters(
    page: Page, console: Console, index: Path
) -> None:
    page.goto(index.as_uri() + "#suite=crud&only=differences")
    rows = page.locator("tr[data-case]:visible").evaluate_all("rs => rs.map(r => r.dataset.case)")
    assert rows == ["crud.timestamp_is_aware"]
    assert console.errors == []


def test_clicking_a_cell_shows_its_case_and_reason(
    page: Page, console: Console, index: Path
) -> None:
    page.goto(index.as_uri() + "#case-filters.like_case")
    assert page.locator("#detail").is_hidden()
    page.locator(f'tr[data-case="filters.like_case"] td[data-col="{LITE}"]').click()
    assert page.locator("#detail").is_visible()
    assert page.locator("#detail-case").text_content() == "filters.like_case"
    assert page.locator("#detail-reason").text_content() == "AssertionError: 3 != 2 | rows"
    assert page.locator("#detail-outcome").text_content() == "unexpected failure, silent drift"
    assert page.locator("#speed p").text_content() == "hook"
    assert console.errors == []


def test_the_committed_page_shows_false_confidence_on_the_first_screen(
    page: Page, console: Console
) -> None:
    """The done-when of the report: a visitor of the committed index.html sees, without
    scrolling, which behaviours give false confidence on a stand-in; and the page lists every
    one of them the committed results hold."""
    files = [p for p in (ROOT / "reports" / "inputs").glob("*.json") if "bench-" not in p.name]
    merged = merge(load_inputs(files), expected_backends(ROOT / "backends"))
    expected = [f.case for s in stand_ins(merged) for f in s.groups["false-confidence"]]
    assert expected, "the committed run has no false-confidence difference at all?"
    page.goto((ROOT / "reports" / "index.html").as_uri())
    tables = page.locator("table.findings[data-consequence=false-confidence]")
    first_row = tables.first.locator("tbody tr").first
    box = first_row.bounding_box()
    assert box is not None and box["y"] + box["height"] <= VIEWPORT[1]
    assert "false confidence" in (tables.first.locator("caption").text_content() or "")
    listed = tables.locator("tbody tr").evaluate_all(
        "rs => rs.map(r => JSON.parse(r.dataset.cases))"
    )
    assert sorted(c for cases in listed for c in cases) == sorted(expected)
    assert console.errors == []


#: Every table's right edge against its container's and the page's, with every suite open.
OVERFLOWING_TABLES = """() => {
    document.querySelectorAll('details').forEach(d => { d.open = true; });
    const page = document.documentElement.clientWidth;
    const right = e => e.getBoundingClientRect().right;
    return Array.from(document.querySelectorAll('table'))
        .filter(t => t.scrollWidth > t.clientWidth + 1
            || right(t) > Math.min(page, right(t.parentElement)) + 1)
        .map(t => (t.closest('[id]') || t).id + ': ' + Math.round(right(t)) + ' px');
}"""


def test_the_committed_page_answers_which_stand_in_first_and_fits_the_screen(
    page: Page, console: Console
) -> None:
    """At 1280x800: the three lines of "Which stand-in should I use?" on the first screen,
    SQLite in memory the first stand-in, and no table wider than the page (the matrix with
    every column of the full run included, its suites opened)."""
    page.goto((ROOT / "reports" / "index.html").as_uri())
    lines = page.locator("#answer ul.answer > li")
    assert lines.count() == 3
    for n in range(3):
        box = lines.nth(n).bounding_box()
        assert box is not None and box["y"] + box["height"] <= VIEWPORT[1]
    assert [t.split()[0] for t in lines.all_text_contents()] == ["Misses", "Saves", "So:"]
    first = page.locator("section.standin").first
    assert first.get_attribute("id") == "standin-sqlite-memory"
    box = first.bounding_box()
    assert box is not None and box["y"] < VIEWPORT[1]
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT[0]
    assert page.evaluate(OVERFLOWING_TABLES) == []
    assert page.locator("#matrix th[scope=col]").count() > 10  # the full run's columns
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT[0]
    assert console.errors == []


def test_the_overflow_check_can_fail(page: Page) -> None:
    page.goto((ROOT / "reports" / "index.html").as_uri())
    page.add_style_tag(content="table.findings { width: 1500px !important; }")
    assert page.evaluate(OVERFLOWING_TABLES)


def _luminance(rgb: str) -> float:
    """Relative luminance (WCAG 2) of a computed 'rgb(r, g, b)' colour."""
    channels = [int(x) / 255 for x in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_every_badge_is_readable_without_colour_and_has_enough_contrast(
    page: Page, index: Path
) -> None:
    """Badges carry a word (never only a colour or an emoji), and their text has at least the
    4.5:1 contrast of WCAG AA against their own background (or the page's)."""
    page.goto(index.as_uri())
    badges = page.locator("#legend .badge").evaluate_all(
        """bs => bs.map(b => {
            const s = getComputedStyle(b);
            const bg = s.backgroundColor === 'rgba(0, 0, 0, 0)'
                ? getComputedStyle(document.body).backgroundColor : s.backgroundColor;
            return [b.textContent, s.color, bg];
        })"""
    )
    assert len(badges) == 11  # eight outcomes, three consequences
    for word, colour, background in badges:
        assert re.fullmatch(r"[a-z ]+", word), word
        light, dark = sorted((_luminance(colour), _luminance(background)), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, (word, colour, background)
