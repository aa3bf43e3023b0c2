"""Both reports open on the answer: per stand-in, the differences from PostgreSQL (false
confidence, then false alarm, then silent drift), each with its reason, what to do, and a link
to its row in the matrix. Read from real results files (tests/data/findings) whose declarations
are in the agreed form."""

from __future__ import annotations

import html as html_text
import json
import re
from pathlib import Path

from dbparity import results as results_format
from dbparity.report import load_inputs, merge, render_html, render_json, render_markdown
from dbparity.report.findings import UNDECLARED_REMEDY, anchor, stand_ins
from dbparity.report.merge import Merged
from dbparity.report.sections import Section
from tests.data.findings.make_fixtures import DECLARED

DATA = Path(__file__).parent / "data" / "findings"
LITE = "### `sqlite-memory`: SQLite 3.40.1 / aiosqlite"


def merged_fixtures() -> Merged:
    return merge(load_inputs(sorted(DATA.glob("*.json"))))


def test_the_markdown_opens_on_the_differences_before_anything_else() -> None:
    markdown = render_markdown(merged_fixtures())
    headings = re.findall(r"^## (.*)$", markdown, re.M)
    assert headings[0] == "Differences from PostgreSQL"
    assert headings.index("Needs attention") < headings.index("Summary") < headings.index("Matrix")
    section = markdown.split("## Differences from PostgreSQL", 1)[1].split("\n## ", 1)[0]
    lite = section.split(LITE, 1)[1].split("\n### ", 1)[0]
    groups = re.findall(r"^#### (.*)$", lite, re.M)
    assert groups == ["False confidence (3)", "False alarm (1)", "Silent drift (1)"]


def test_each_difference_has_its_reason_its_remedy_and_a_link_that_resolves() -> None:
    markdown = render_markdown(merged_fixtures())
    section = markdown.split("## Differences from PostgreSQL", 1)[1].split("\n## ", 1)[0]
    lite = section.split(LITE, 1)[1].split("\n### ", 1)[0]
    for case_id, declared in DECLARED.items():
        row = next(line for line in lite.splitlines() if f"`{case_id}`" in line)
        assert f"](#{anchor(case_id)})" in row
        remedy = declared["remedy"].replace("<", "&lt;")  # markdown that cannot hide as a tag
        assert declared["reason"] in row and remedy in row
    undeclared = next(line for line in lite.splitlines() if "`crud.undeclared_no_raise`" in line)
    assert "Failed: DID NOT RAISE &lt;class 'sqlalchemy.exc.DBAPIError'&gt;" in undeclared
    assert UNDECLARED_REMEDY in undeclared
    targets = set(re.findall(r"\]\(#(case-[^)]+)\)", markdown))
    anchors = set(re.findall(r'<a id="(case-[^"]+)"></a>', markdown))
    assert targets and targets <= anchors


def test_the_lists_are_the_merged_verdicts_no_more_and_no_fewer() -> None:
    """A difference missing from the first section, or an agreeing case listed there, fails."""
    merged = merged_fixtures()
    data = json.loads(render_json(merged))
    for stand_in in stand_ins(merged):
        key = stand_in.column.key
        for consequence, listed in stand_in.groups.items():
            expected = sorted(
                case["id"]
                for case in data["cases"]
                if case["cells"][key].get("difference") == consequence
            )
            assert sorted(f.case for f in listed) == expected
            assert all(merged_cell_agrees(merged, f.case, key) is False for f in listed)


def merged_cell_agrees(merged: Merged, case_id: str, key: str) -> bool | None:
    return next(row for row in merged.rows if row.id == case_id).cells[key].agrees


def test_a_stand_in_that_agrees_everywhere_says_so() -> None:
    merged = merge(load_inputs([DATA / "pg.json"]))
    assert "No stand-in in these results" in render_markdown(merged)
    pg = DATA / "pg.json"
    text = pg.read_text("utf-8").replace('"postgres-asyncpg"', '"other-driver"')
    text = text.replace('"reference": true', '"reference": false')
    twin = json.loads(text)
    merged = merge([*load_inputs([pg]), ("twin.json", results_format.from_json(twin, "x"))])
    assert "Agrees with PostgreSQL on 6 of 6 behaviours. No differences from PostgreSQL" in (
        render_markdown(merged)
    )


def test_the_page_has_the_same_lists_as_tables_with_headers() -> None:
    html = render_html(merged_fixtures())
    first = html.index('<section id="differences">')
    assert first < html.index('id="attention"') < html.index('id="summary"')
    assert html.index('id="summary"') < html.index('id="matrix"')
    lite = html.split('id="standin-sqlite-memory"', 1)[1].split("</section>", 1)[0]
    order = re.findall(r'data-consequence="([a-z-]+)"', lite)
    assert order == ["false-confidence", "false-alarm", "silent-drift"]
    assert lite.count('<th scope="col">What to do</th>') == 3
    for case_id, declared in DECLARED.items():
        assert f'href="#{anchor(case_id)}"' in lite
        assert html_text.escape(declared["remedy"], quote=False) in lite
    assert set(re.findall(r'href="#(case-[^"]+)"', html)) <= set(
        re.findall(r'<tr id="(case-[^"]+)"', html)
    )


def test_no_emoji_anywhere_in_either_report() -> None:
    merged = merged_fixtures()
    for text in (render_markdown(merged), render_html(merged)):
        assert not re.search("[\U0001f300-\U0001faff\u2600-\u27bf\u2b1c\u2b1b]", text)


def test_extra_sections_go_after_the_differences_in_both_reports() -> None:
    merged = merged_fixtures()
    extra = Section("standins", "## Stand-ins\n\nAgreement against speed.\n", "<h2>Stand-ins</h2>")
    markdown = render_markdown(merged, [extra])
    headings = re.findall(r"^## (.*)$", markdown, re.M)
    assert headings[:3] == ["Differences from PostgreSQL", "Stand-ins", "Needs attention"]
    page = render_html(merged, sections=[extra])
    at = page.index('<section id="standins">\n<h2>Stand-ins</h2>\n</section>')
    assert page.index('<section id="differences">') < at < page.index('<section id="attention">')


def test_stand_ins_of_another_family_come_before_other_postgresql_columns() -> None:
    """...and among them the one most users run (SQLite in memory) first, though its column
    comes after sqlite-file's."""
    raw = json.loads((DATA / "pg.json").read_text("utf-8"))
    raw["backend"].update(id="postgres-psycopg", reference=False, driver="psycopg")
    broken = next(c for c in raw["cases"] if c["id"] == "crud.insert")
    broken.update(outcome="unexpected-failure", failure={"type": "TypeError", "message": "x"})
    merged = merge(
        [*load_inputs(sorted(DATA.glob("*.json"))), ("psycopg.json", results_format.from_json(raw))]
    )
    order = [s.column.backend.id for s in stand_ins(merged)]
    assert [c.backend.id for c in merged.columns].index("sqlite-file") < [
        c.backend.id for c in merged.columns
    ].index("sqlite-memory")
    assert order == ["sqlite-memory", "sqlite-file", "postgres-psycopg"]
    assert stand_ins(merged)[2].total == 1  # listed all the same, after the stand-ins


def test_in_a_users_suite_a_test_passing_here_shows_postgresqls_error() -> None:
    def results(
        backend: results_format.BackendInfo, case: results_format.Case
    ) -> results_format.Results:
        run = results_format.RunInfo(status="run", server_version="x", suite_kind="application")
        return results_format.Results(backend, run, [case])

    pg = results_format.BackendInfo("pg", "pg", "postgresql", "asyncpg", True)
    lite = results_format.BackendInfo("lite", "lite", "sqlite", "aiosqlite")
    failure = {"type": "sqlalchemy.exc.DBAPIError", "message": "value too long for varchar(5)"}
    failed = results_format.Case(
        "app.name", "app", "name", "Name", "unexpected-failure", "", failure=failure
    )
    passed = results_format.Case("app.name", "app", "name", "Name", "conforms")
    merged = merge([("pg.json", results(pg, failed)), ("lite.json", results(lite, passed))])
    (finding,) = stand_ins(merged)[0].groups["false-confidence"]
    assert finding.reason == (
        "passes here; on PostgreSQL: sqlalchemy.exc.DBAPIError: value too long for varchar(5)"
    )
    assert "value too long for varchar(5)" in render_html(merged)
