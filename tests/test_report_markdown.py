"""compatibility.md: differences and attention first, a word in every cell (no emoji),
numbered notes carrying the TOML's reason, a legend, tables that survive odd titles, and a
compact summary."""

from __future__ import annotations

import re
from pathlib import Path

from dbparity import results as results_format
from dbparity.report import load_inputs, merge, render_markdown, render_summary
from dbparity.report.outcomes import CONSEQUENCES, TERMS

DATA = Path(__file__).parent / "data" / "report"
TZ_REASON = "SQLite keeps no offset, so server timestamps come back naive."


def report(*names: str) -> str:
    return render_markdown(merge(load_inputs([DATA / n for n in names])))


def section(markdown: str, title: str) -> str:
    return markdown.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_what_needs_attention_comes_before_the_summary_and_the_matrix() -> None:
    markdown = report("pg.json", "pg-not-run.json", "lite-a.json", "lite-b.json")
    top = markdown.split("## Summary", 1)[0]
    for expected in (
        "not run · `postgres-asyncpg@not run`: no PostgreSQL: no Docker engine, no binaries",
        "unexpected failure · `sqlite-memory@SQLite 3.40.1` · `filters.like_case`",
        "error · `sqlite-memory@SQLite 3.40.1` · `types.interval[day]`",
        "stale expectation · `sqlite-memory@SQLite 3.40.1` · `types.json_path`",
    ):
        assert expected in top
    assert top.index("not run") < top.index("unexpected failure")


def test_nothing_to_attend_to_is_said_plainly() -> None:
    assert "Nothing: every backend ran" in section(report("pg.json"), "Needs attention")


def test_every_matrix_cell_is_a_word() -> None:
    matrix = section(report("pg.json", "pg16.json", "lite-a.json", "lite-b.json"), "Matrix")
    labels = "|".join(re.escape(t.label) for t in TERMS.values())
    consequences = "|".join(re.escape(t.word) for t in CONSEQUENCES.values())
    cell = re.compile(rf"^({labels})(: \*\*({consequences})\*\*)?( \[\^\d+\])?$")
    rows = [r for r in table_rows(matrix) if r[0] != "Case"]
    assert len(rows) == 5
    for row in rows:
        assert len(row) == 4
        for text in row[1:]:
            assert cell.match(text), text


def test_divergences_have_numbered_notes_with_the_toml_reason() -> None:
    markdown = report("pg.json", "lite-a.json", "lite-b.json")
    references = re.findall(r"\[\^(\d+)\]", section(markdown, "Matrix"))
    first_seen = list(dict.fromkeys(int(n) for n in references))
    assert first_seen == list(range(1, len(first_seen) + 1))
    notes = dict(re.findall(r"^\[\^(\d+)\]: (.*)$", section(markdown, "Notes"), re.M))
    assert set(notes) == {str(n) for n in first_seen}
    row = next(
        r for r in table_rows(section(markdown, "Matrix")) if "crud.timestamp_is_aware" in r[0]
    )
    number = re.search(r"^diverges\b.* \[\^(\d+)\]", row[2])
    assert number is not None and notes[number.group(1)] == TZ_REASON


def test_the_legend_defines_the_verdict() -> None:
    legend = section(report("pg.json"), "Legend")
    for term in TERMS.values():
        assert f"- {term.label}: {term.meaning}." in legend
    assert "left out of the denominator" in legend


def test_summary_has_versions_counts_and_verdicts_per_column() -> None:
    summary = section(report("pg.json", "lite-a.json", "lite-b.json"), "Summary")
    pg, lite = table_rows(summary)[1:]
    assert pg[:3] == [
        "`postgres-asyncpg` (reference)",
        "PostgreSQL 15.18 / asyncpg",
        "sqlalchemy 2.1.0",
    ]
    assert pg[3:] == ["4", "0", "0", "1", "0", "reference: 4 of 4 cases hold as written"]
    assert lite[3:] == ["1", "1", "3", "0", "0", "agrees with PostgreSQL on 2 of 4 behaviours"]


def _results(backend_id: str, cases: list[results_format.Case]) -> results_format.Results:
    backend = results_format.BackendInfo(backend_id, backend_id, "sqlite", "aiosqlite")
    run = results_format.RunInfo(status="run", server_version="SQLite 3.40.1")
    return results_format.Results(backend, run, cases)


def test_titles_with_pipes_and_newlines_do_not_break_tables() -> None:
    odd = results_format.Case(
        "odd.pipe", "odd", "pipe", "A | B\nand more", "unexpected-failure", "x | y\nz"
    )
    markdown = render_markdown(merge([("odd.json", _results("odd-backend", [odd]))]))
    rows = table_rows(section(markdown, "Matrix"))
    assert rows[1][0].startswith('<a id="case-odd.pipe"></a>A \\| B and more')
    assert all(len(r) == 2 for r in rows)


def test_the_compact_summary_stays_small_however_many_cases_fail() -> None:
    reason = "AssertionError: " + "x" * 400
    inputs = []
    for backend in ("a", "b", "c", "d"):
        cases = [
            results_format.Case(f"s.case_{i}", "s", f"case_{i}", "t", "unexpected-failure", reason)
            for i in range(3000)
        ]
        inputs.append((f"{backend}.json", _results(backend, cases)))
    merged = merge(inputs)
    summary = render_summary(merged)
    assert len(summary.encode()) < 64 * 1024
    assert "… and 11950 more" in summary
    assert len(render_markdown(merged).encode()) > 1024 * 1024  # the full report is not bounded
