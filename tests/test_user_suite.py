"""A user's own suite on a stand-in and on PostgreSQL (real servers): the report names every
test that behaves differently, on the right side, and the verdict counts agreement."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dbparity.report import load_inputs, merge, render_markdown
from tests.userproject import UserProject

APP_TESTS = """
from sqlalchemy import select, text

from conftest import items


async def test_insert_and_read(session):
    await session.execute(items.insert().values(name="ok"))
    assert (await session.execute(select(items.c.name))).scalar_one() == "ok"


async def test_name_longer_than_its_column(session):
    '''Stores a name longer than VARCHAR(5): SQLite ignores the length.'''
    await session.execute(items.insert().values(name="much too long"))


async def test_case_insensitive_search(session):
    '''ILIKE: PostgreSQL has it, SQLite does not.'''
    assert (await session.execute(text("SELECT 'abc' ILIKE 'ABC'"))).scalar_one()


async def test_always_broken(session):
    assert (await session.execute(text("SELECT 1"))).scalar_one() == 2


def test_pure_python():
    assert "a".upper() == "A"
"""

# The project's backends/ holds only its own declarations for a shipped backend: everything
# else (how to reach SQLite) comes from the shipped file.
DECLARATIONS = """
[diverges."app.case_insensitive_search"]
reason = "SQLite has no ILIKE; we search with lower() in production code."
fails = "OperationalError"

[diverges."app.insert_and_read"]
reason = "Once differed; no longer does."
fails = "assertion"
"""


@pytest.mark.slow
def test_the_report_names_each_differing_test_on_the_right_side(
    pytester: pytest.Pytester,
) -> None:
    project = UserProject(pytester)
    project.write("test_app.py", APP_TESTS)
    project.write("backends/sqlite-memory.toml", DECLARATIONS)
    command = [sys.executable, "-m", "dbparity.cli", "run"]
    command += ["--backends", "sqlite-memory,postgres-asyncpg", "-o", "results"]
    command += ["--", "-p", "no:randomly", "-p", "no:cacheprovider"]
    run = subprocess.run(
        command,
        cwd=project.path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # The broken test fails everywhere, so the runs fail: `dbparity run` never hides a failure.
    assert run.returncode == 1, run.stdout + run.stderr
    progress = [line for line in run.stdout.splitlines() if line.startswith("[")]
    assert [line.split(":")[0] for line in progress] == [
        "[1/2] postgres-asyncpg",  # the reference first
        "[1/2] postgres-asyncpg",
        "[2/2] sqlite-memory",
        "[2/2] sqlite-memory",
    ]
    assert "2 of 5 tests failed in" in progress[1] and "sqlite-memory.log" in progress[3]
    assert "2 tests behave differently on a stand-in" in run.stdout
    lite, pg = project.cases("sqlite-memory"), project.cases("postgres-asyncpg")
    assert project.results("sqlite-memory")["run"]["suite_kind"] == "application"
    assert not lite["app.pure_python"]["used_database"]
    assert lite["app.insert_and_read"]["used_database"]
    too_long = pg["app.name_longer_than_its_column"]["failure"]
    assert too_long["type"] == "sqlalchemy.exc.DBAPIError" or too_long["type"].startswith(
        "sqlalchemy.exc."
    ), too_long
    assert "too long" in too_long["message"]
    assert lite["app.case_insensitive_search"]["failure"]["type"] == (
        "sqlalchemy.exc.OperationalError"
    )
    # Known and accepted: a non-strict expectation on the stand-in, never a per-run failure.
    assert lite["app.case_insensitive_search"]["outcome"] == "diverges"
    assert lite["app.case_insensitive_search"]["declared"]["reason"].startswith("SQLite has")
    assert lite["app.insert_and_read"]["outcome"] == "conforms"

    merged = merge(load_inputs(sorted(project.path.glob("results/*.json"))))
    pg_column, lite_column = merged.columns
    apart = " (1 test without the database left out)"
    assert lite_column.verdict == "agrees with PostgreSQL on 2 of 4 behaviours" + apart
    assert pg_column.verdict == "reference: 2 of 4 tests pass" + apart
    markdown = render_markdown(merged)
    differs = markdown.split("\n## ", 2)[1]
    confidence, alarm, broken = differs.split("\n### ")[1:4]
    assert confidence.startswith("Passes here, fails on PostgreSQL (false confidence): 1 test")
    assert "`app.name_longer_than_its_column`" in confidence
    assert "value too long" in confidence  # PostgreSQL's error, beside the test
    assert alarm.startswith("Fails here only (false alarm): 1 test")
    assert "`app.case_insensitive_search`" in alarm
    assert "SQLite has no ILIKE" in alarm  # shown as known, with its reason
    # Neutral: a stand-in may fail a test by accepting what the test expects refused, too.
    assert "refuses, accepts or computes what PostgreSQL does not" in alarm
    assert broken.startswith("Fails everywhere (broken tests): 1 test")
    assert "`app.always_broken`" in broken
    assert "1 test did not use the database" in broken
    assert (project.path / "results" / "report" / "compatibility.md").read_text("utf-8") == markdown
    times = markdown.split("## Time of your suite\n", 1)[1].split("\n## ", 1)[0]
    assert "| `postgres-asyncpg@PostgreSQL" in times and " 1.00× |" in times  # noqa: RUF001
    assert "| `sqlite-memory@SQLite" in times
    # A test's outcome on PostgreSQL is the application's, in plain words: never "unexpected".
    assert "unexpected failure" not in markdown
    matrix = markdown.split("## Matrix", 1)[1]
    assert "| fails [^" in matrix and "| passes |" in matrix
    top = markdown.split("## Summary")[0]
    assert "unexpected failure ·" not in top
    # The declaration that no longer shows is flagged stale, judged against PostgreSQL.
    assert "stale expectation · `sqlite-memory@SQLite" in top
    assert "`app.insert_and_read`: declared as a known difference" in top
