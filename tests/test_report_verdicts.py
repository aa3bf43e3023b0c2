"""Differential verdicts: each stand-in cell is compared with what the same case did on the
reference, for dbparity's conformance suites and for a user's application suite alike."""

from __future__ import annotations

import pytest

from dbparity import results as r
from dbparity.report import merge, render_markdown
from dbparity.report.merge import Merged
from dbparity.results import ResultsFileError

PG = r.BackendInfo("postgres-asyncpg", "PostgreSQL (asyncpg)", "postgresql", "asyncpg", True)
LITE = r.BackendInfo("sqlite-memory", "SQLite, in memory", "sqlite", "aiosqlite")
PG_ERROR = {"type": "sqlalchemy.exc.DBAPIError", "message": "value too long for type varchar(5)"}
LITE_ERROR = {"type": "sqlalchemy.exc.OperationalError", "message": 'near "ILIKE": syntax error'}


def case(case_id: str, outcome: r.Outcome, **extra: object) -> r.Case:
    suite, name = case_id.split(".", 1)
    return r.Case(case_id, suite, name, f"Title of {name}", outcome, **extra)  # type: ignore[arg-type]


def results(backend: r.BackendInfo, kind: r.SuiteKind, cases: list[r.Case]) -> r.Results:
    run = r.RunInfo(status="run", server_version=backend.label, suite_kind=kind)
    return r.Results(backend, run, cases)


def application(pg: list[r.Case], lite: list[r.Case]) -> Merged:
    return merge(
        [
            ("pg.json", results(PG, "application", pg)),
            ("lite.json", results(LITE, "application", lite)),
        ]
    )


def cell(merged: Merged, case_id: str, backend: str = "sqlite-memory") -> tuple[object, object]:
    row = next(row for row in merged.rows if row.id == case_id)
    found = next(c for key, c in row.cells.items() if key.startswith(backend + "@"))
    return found.agrees, found.difference


def test_a_users_suite_is_judged_against_what_postgresql_did() -> None:
    fail_pg = {"outcome": "unexpected-failure", "failure": PG_ERROR, "reason": "DBAPIError"}
    merged = application(
        pg=[
            case("app.insert", "conforms"),
            case("app.too_long", **fail_pg),  # type: ignore[arg-type]
            case("app.ilike", "conforms"),
            case("app.broken", "unexpected-failure", reason="assert 1 == 2"),
            case("app.pure", "conforms", used_database=False),
            case("app.only_pg", "not-applicable", reason="needs PostgreSQL"),
        ],
        lite=[
            case("app.insert", "conforms"),
            case("app.too_long", "conforms"),
            case("app.ilike", "unexpected-failure", failure=LITE_ERROR, reason="syntax"),
            case("app.broken", "unexpected-failure", reason="assert 1 == 2"),
            case("app.pure", "conforms", used_database=False),
            case("app.only_pg", "conforms"),
        ],
    )
    assert cell(merged, "app.insert") == (True, None)
    assert cell(merged, "app.too_long") == (False, "false-confidence")
    assert cell(merged, "app.ilike") == (False, "false-alarm")
    assert cell(merged, "app.broken") == (True, "broken")
    assert cell(merged, "app.pure") == (None, None)
    assert cell(merged, "app.only_pg") == (None, "one-sided")
    assert cell(merged, "app.too_long", "postgres-asyncpg") == (None, None)
    lite = merged.columns[1]
    # insert and broken agree; too_long and ilike do not; pure and only_pg are not compared.
    apart = " (1 test without the database left out)"
    assert lite.verdict == "agrees with PostgreSQL on 2 of 4 behaviours" + apart
    assert merged.columns[0].verdict == "reference: 2 of 4 tests pass" + apart
    assert lite.counts["conforms"] == 3  # insert, too_long, only_pg: app.pure is apart
    # A failure on PostgreSQL is the application's outcome, not "unexpected" on the reference.
    assert not [a for a in merged.attention if a.kind == "unexpected-failure"]

    markdown = render_markdown(merged)
    first = markdown.split("\n## ", 2)[1]
    assert first.startswith("Differs from PostgreSQL")
    # Only pass-versus-fail counts as behaving differently; the one-sided case is apart.
    assert "**2 tests** behave differently" in first
    assert "1 test more ran on one side only" in first
    groups = first.split("\n### ")
    assert groups[1].startswith("Passes here, fails on PostgreSQL (false confidence): 1 test\n")
    assert "`app.too_long`" in groups[1]
    assert "sqlalchemy.exc.DBAPIError: value too long for type varchar(5)" in groups[1]
    assert groups[2].startswith("Fails here only (false alarm): 1") and "`app.ilike`" in groups[2]
    assert groups[3].startswith("Skipped or errored on one side only: 1")
    assert "`app.only_pg`" in groups[3]
    assert groups[4].startswith("Fails everywhere (broken tests): 1") and "app.broken" in groups[4]
    assert "1 test did not use the database" in groups[4]


def test_a_declared_difference_in_a_users_suite_is_known_then_stale() -> None:
    declared = {"reason": "SQLite has no ILIKE", "fails": "OperationalError"}
    merged = application(
        pg=[case("app.ilike", "conforms"), case("app.insert", "conforms")],
        lite=[
            case("app.ilike", "diverges", failure=LITE_ERROR, declared=declared),
            case("app.insert", "conforms", declared={"reason": "was once different"}),
        ],
    )
    assert cell(merged, "app.ilike") == (False, "false-alarm")
    assert "SQLite has no ILIKE" in render_markdown(merged).split("## Summary")[0]
    stale = [a for a in merged.attention if a.kind == "stale-expectation"]
    assert [(a.case, "was once different" in a.reason) for a in stale] == [("app.insert", True)]


def test_a_conformance_difference_means_what_the_failure_says() -> None:
    """dbparity's own cases assert PostgreSQL's behaviour: a stand-in that fails one differs,
    and the declared consequence (or the failure's kind) says how."""
    declared = {"reason": "r", "fails": "no-raise", "consequence": "false-confidence"}
    no_raise = {"type": "_pytest.outcomes.Failed", "message": "DID NOT RAISE <class 'X'>"}
    assertion = {"type": "AssertionError", "message": "assert 1 == 2"}
    cases = ["t.declared", "t.no_raise", "t.assertion", "t.same"]
    merged = merge(
        [
            ("pg.json", results(PG, "conformance", [case(c, "conforms") for c in cases])),
            (
                "lite.json",
                results(
                    LITE,
                    "conformance",
                    [
                        case("t.declared", "diverges", declared=declared),
                        case("t.no_raise", "unexpected-failure", failure=no_raise),
                        case("t.assertion", "unexpected-failure", failure=assertion),
                        case("t.same", "conforms"),
                    ],
                ),
            ),
        ]
    )
    assert cell(merged, "t.declared") == (False, "false-confidence")
    assert cell(merged, "t.no_raise") == (False, "false-confidence")
    assert cell(merged, "t.assertion") == (False, "silent-drift")
    assert cell(merged, "t.same") == (True, None)
    assert "Differs from PostgreSQL" not in render_markdown(merged)


def test_a_run_where_no_test_used_the_database_is_never_conforming() -> None:
    merged = application(
        pg=[case("app.pure", "conforms", used_database=False)],
        lite=[case("app.pure", "conforms", used_database=False)],
    )
    for column in merged.columns:
        assert column.verdict.startswith("no test used the database")
    assert {a.kind for a in merged.attention} == {"no-database"}


def test_only_the_backends_a_user_ran_are_columns() -> None:
    merged = merge(
        [("lite.json", results(LITE, "application", [case("app.x", "conforms")]))],
        expected=[PG, LITE],
    )
    assert [c.backend.id for c in merged.columns] == ["sqlite-memory"]
    assert "no PostgreSQL (reference) run" in render_markdown(merged)
    assert merged.columns[0].verdict.startswith("not compared: no PostgreSQL (reference) run")


def test_conformance_and_application_results_are_not_mixed() -> None:
    with pytest.raises(ResultsFileError, match="different kinds of suite"):
        merge(
            [
                ("pg.json", results(PG, "conformance", [])),
                ("lite.json", results(LITE, "application", [])),
            ]
        )


def test_old_results_without_a_suite_kind_take_their_companions_kind() -> None:
    old = results(LITE, "application", [case("app.x", "conforms")])
    old.run.suite_kind = ""  # written before the kind was recorded
    merged = merge([("pg.json", results(PG, "application", [])), ("old.json", old)])
    assert merged.suite_kind == "application"
    alone = merge([("old.json", old)])
    assert alone.suite_kind == "conformance"


def test_a_false_confidence_is_declared_in_the_references_file() -> None:
    """The stand-in passes, PostgreSQL fails: the user accepts it in postgres-asyncpg.toml (how
    PostgreSQL fails); the report shows it as known, and stale once PostgreSQL passes too."""
    declared = {"reason": "negative LIMIT: we validate in the API", "fails": "DBAPIError"}
    merged = application(
        pg=[case("app.limit", "diverges", failure=PG_ERROR, declared=declared)],
        lite=[case("app.limit", "conforms")],
    )
    assert cell(merged, "app.limit") == (False, "false-confidence")
    confidence = render_markdown(merged).split("### ")[1]
    assert "negative LIMIT: we validate in the API" in confidence
    assert not [a for a in merged.attention if a.kind == "stale-expectation"]
    fixed = application(
        pg=[case("app.limit", "conforms", declared=declared)],
        lite=[case("app.limit", "conforms")],
    )
    stale = [a for a in fixed.attention if a.kind == "stale-expectation"]
    assert [(a.column.split("@")[0], a.case) for a in stale] == [("postgres-asyncpg", "app.limit")]
