"""Merging results files: shards, conflicts, server versions, missing backends and cases, and
that the merge is a pure function of its inputs."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from dbparity import results as results_format
from dbparity.report import (
    load_inputs,
    merge,
    render_html,
    render_json,
    render_markdown,
    render_summary,
)
from dbparity.report.merge import MISSING_BACKEND, MISSING_CASE, Merged

DATA = Path(__file__).parent / "data" / "report"
PG = results_format.BackendInfo(
    "postgres-asyncpg", "PostgreSQL (asyncpg)", "postgresql", "asyncpg", True
)
LITE = results_format.BackendInfo(
    "sqlite-memory", "SQLite, in memory (aiosqlite)", "sqlite", "aiosqlite"
)
FILE = results_format.BackendInfo(
    "sqlite-file", "SQLite, in a file (aiosqlite)", "sqlite", "aiosqlite"
)


def merged_from(*names: str, expected: tuple[results_format.BackendInfo, ...] = ()) -> Merged:
    return merge(load_inputs([DATA / n for n in names]), expected)


def outcomes(merged: Merged, column: str) -> dict[str, str]:
    return {row.id: row.cells[column].outcome for row in merged.rows}


def test_shards_of_one_run_merge_into_one_column() -> None:
    merged = merged_from("pg.json", "lite-a.json", "lite-b.json")
    assert [c.key for c in merged.columns] == [
        "postgres-asyncpg@PostgreSQL 15.18",
        "sqlite-memory@SQLite 3.40.1",
    ]
    lite = merged.columns[1]
    assert [s.source for s in lite.shards] == ["lite-a.json", "lite-b.json"]
    assert outcomes(merged, lite.key) == {
        "crud.insert": "conforms",  # in both shards, alike: not a conflict
        "crud.timestamp_is_aware": "diverges",
        "filters.like_case": "unexpected-failure",
        "types.interval[day]": "error",
        "types.json_path": "stale-expectation",
    }
    assert lite.counts["conflict"] == 0
    # stale-expectation passed as PostgreSQL does (agrees); the error is not compared
    assert lite.verdict == "agrees with PostgreSQL on 2 of 4 behaviours"


def test_shards_that_disagree_give_a_conflict_that_is_reported() -> None:
    merged = merged_from("pg.json", "lite-a.json", "lite-b.json", "lite-conflict.json")
    key = "sqlite-memory@SQLite 3.40.1"
    cell = next(r for r in merged.rows if r.id == "crud.timestamp_is_aware").cells[key]
    assert cell.outcome == "conflict"
    assert {(c.source, c.outcome) for c in cell.claims} == {
        ("lite-a.json", "diverges"),
        ("lite-conflict.json", "conforms"),
    }
    conflicts = [a for a in merged.attention if a.kind == "conflict"]
    assert [(a.column, a.case) for a in conflicts] == [(key, "crud.timestamp_is_aware")]
    assert "lite-a.json says diverges" in conflicts[0].reason
    markdown = render_markdown(merged)
    assert "conflict ·" in markdown.split("## Summary")[0]  # listed at the top


def test_each_server_version_is_its_own_column_in_numeric_order() -> None:
    merged = merged_from("pg16.json", "pg.json")
    assert [c.key for c in merged.columns] == [
        "postgres-asyncpg@PostgreSQL 15.18",
        "postgres-asyncpg@PostgreSQL 16.4",
    ]
    assert [c.title for c in merged.columns] == [
        "PostgreSQL 15.18 / asyncpg",
        "PostgreSQL 16.4 / asyncpg",
    ]
    row = next(r for r in merged.rows if r.id == "types.interval[day]")
    assert [cell.outcome for cell in row.cells.values()] == ["not-applicable", "conforms"]


def test_a_missing_backend_is_a_column_that_did_not_run() -> None:
    merged = merged_from("pg.json", expected=(PG, LITE, FILE))
    assert [c.key for c in merged.columns] == [
        "postgres-asyncpg@PostgreSQL 15.18",
        "sqlite-file@not run",
        "sqlite-memory@not run",
    ]
    for column in merged.columns[1:]:
        assert column.status == "not-run"
        assert column.verdict == f"not run: {MISSING_BACKEND}"
        assert set(outcomes(merged, column.key).values()) == {"not-run"}
        assert column.counts["not-run"] == len(merged.rows) == 5
    not_run = [(a.kind, a.column) for a in merged.attention]
    assert not_run == [("not-run", "sqlite-file@not run"), ("not-run", "sqlite-memory@not run")]


def test_a_backend_that_reported_not_run_keeps_its_reason() -> None:
    merged = merged_from("pg-not-run.json", "pg.json", "lite-a.json", expected=(PG, LITE))
    keys = [c.key for c in merged.columns]
    assert keys == [
        "postgres-asyncpg@PostgreSQL 15.18",
        "postgres-asyncpg@not run",
        "sqlite-memory@SQLite 3.40.1",
    ]
    assert merged.columns[1].reason == "no PostgreSQL: no Docker engine, no binaries"
    assert merged.attention[0].kind == "not-run"
    assert merged.attention[0].reason == merged.columns[1].reason


def test_a_case_missing_from_a_column_that_ran_is_not_run_and_flagged() -> None:
    merged = merged_from("pg.json", "lite-a.json")
    lite = "sqlite-memory@SQLite 3.40.1"
    missing = {i for i, o in outcomes(merged, lite).items() if o == "not-run"}
    assert missing == {"types.interval[day]", "types.json_path"}
    cell = next(r for r in merged.rows if r.id == "types.json_path").cells[lite]
    assert cell.reason == MISSING_CASE
    flagged = [a for a in merged.attention if a.kind == "missing"]
    assert len(flagged) == 1 and flagged[0].reason.startswith("2 cases have no result")
    assert next(a.kind for a in merged.attention if a.column == lite) == "missing"  # listed first
    assert not [a for a in merged.attention if a.kind == "not-run"]  # one line, not one per case


def test_verdict_leaves_not_applicable_out_of_the_denominator() -> None:
    merged = merged_from("pg.json")
    (pg,) = merged.columns
    assert pg.counts["not-applicable"] == 1 and pg.counts["conforms"] == 4
    assert (pg.agrees, pg.checked) == (4, 4)
    assert pg.verdict == "reference: 4 of 4 cases hold as written"


def test_columns_put_the_reference_first_then_order_by_id() -> None:
    merged = merged_from("lite-a.json", "pg.json", expected=(FILE, LITE, PG))
    assert [c.backend.id for c in merged.columns] == [
        "postgres-asyncpg",
        "sqlite-file",
        "sqlite-memory",
    ]


def _render_all(merged: Merged) -> tuple[str, str, str, str]:
    return (
        render_markdown(merged),
        render_summary(merged),
        render_html(merged),
        render_json(merged),
    )


def test_merging_is_pure_and_ignores_input_order() -> None:
    names = ["pg.json", "pg16.json", "lite-a.json", "lite-b.json", "lite-conflict.json"]
    outputs = set()
    for order in itertools.islice(itertools.permutations(names), 0, None, 17):
        inputs = load_inputs([DATA / n for n in order])
        outputs.add(_render_all(merge(list(reversed(inputs)), (FILE, LITE, PG))))
    assert len(outputs) == 1


def test_reports_carry_no_timestamps_but_those_of_the_inputs() -> None:
    names = ["pg.json", "pg16.json", "lite-a.json", "lite-b.json"]
    inputs = load_inputs([DATA / n for n in names])
    started = {results.run.started_at for _, results in inputs}
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[^\"]*")
    for text in _render_all(merge(inputs)):
        assert set(stamp.findall(text)) <= started
    assert set(stamp.findall(render_json(merge(inputs)))) == started


def test_the_same_file_given_twice_is_not_a_conflict() -> None:
    merged = merge(load_inputs([DATA / "lite-a.json", DATA / "lite-a.json"]))
    assert merged.columns[0].counts["conflict"] == 0
    assert len(merged.columns[0].shards) == 1


def test_a_run_cut_short_is_flagged_as_incomplete(tmp_path: Path) -> None:
    cut = results_format.load(DATA / "lite-a.json")
    cut.run.exit_status = 2  # pytest's "interrupted"
    results_format.write(cut, tmp_path / "cut.json")
    merged = merge(load_inputs([tmp_path / "cut.json", DATA / "pg.json"]))
    incomplete = [a for a in merged.attention if a.kind == "incomplete"]
    assert len(incomplete) == 1
    assert "interrupted" in incomplete[0].reason
    assert "cut.json" in incomplete[0].reason
    assert "cut short ·" in render_markdown(merged)
    assert not [a for a in merged_from("lite-a.json").attention if a.kind == "incomplete"]
