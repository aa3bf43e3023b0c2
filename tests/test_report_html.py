"""index.html as text: self-contained, escaped, carrying the case id and reason in each cell,
and with the hook where the speed report goes."""

from __future__ import annotations

import re
from pathlib import Path

from dbparity import results as results_format
from dbparity.report import load_inputs, merge, render_html

DATA = Path(__file__).parent / "data" / "report"


def page(*names: str, speed_html: str | None = None) -> str:
    return render_html(merge(load_inputs([DATA / n for n in names])), speed_html=speed_html)


def test_the_page_loads_nothing_from_outside() -> None:
    html = page("pg.json", "lite-a.json", "lite-b.json")
    assert "<link" not in html
    assert not re.search(r"<script[^>]*\bsrc=", html)
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", html)
    assert "@import" not in html and "url(" not in html


def test_cells_carry_case_id_and_reason_for_hover_and_click() -> None:
    html = page("pg.json", "lite-a.json")
    cell = re.search(
        r'<td data-col="sqlite-memory@SQLite 3.40.1" data-outcome="diverges"[^>]*>', html
    )
    assert cell is not None
    assert 'title="crud.timestamp_is_aware on sqlite-memory@SQLite 3.40.1: diverges' in cell[0]
    assert 'data-reason="SQLite keeps no offset, so server timestamps come back naive."' in cell[0]


def test_text_from_results_is_escaped() -> None:
    case = results_format.Case(
        "x.tag", "x", "tag", "<script>alert(1)</script>", "unexpected-failure", '"><img src=x>'
    )
    backend = results_format.BackendInfo("b", "b", "sqlite", "aiosqlite")
    run = results_format.RunInfo(status="run", server_version="SQLite 3")
    html = render_html(merge([("b.json", results_format.Results(backend, run, [case]))]))
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x>" not in html


def test_the_speed_hook_adds_a_section_only_when_given() -> None:
    assert 'id="speed"' not in page("pg.json")
    html = page("pg.json", speed_html='<h2>Speed</h2><svg id="chart"></svg>')
    assert '<section id="speed">\n<h2>Speed</h2><svg id="chart"></svg>\n</section>' in html


def test_every_table_has_column_headers_and_row_headers() -> None:
    """Screen readers announce a cell with its headers: every table of the compatibility page
    has a header row (th scope=col) and every body row starts with a th scope=row."""
    html = page("pg.json", "lite-a.json", "lite-b.json")
    tables = re.findall(r"<table[^>]*>.*?</table>", html, re.S)
    assert len(tables) >= 5  # summary and one per suite
    for table in tables:
        assert '<th scope="col">' in table
        body = table.split("<tbody>", 1)[1]
        rows = re.findall(r"<tr[^>]*>\s*(<t[hd][^>]*>)", body)
        assert rows and all(cell.startswith('<th scope="row"') for cell in rows), table[:200]
