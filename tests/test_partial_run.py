"""A run that stopped part-way is named as partial everywhere: the console line of its backend,
the last line of `dbparity run`, the verdict, and the time table, which gives no ratio against
it. Never "0 tests behave differently" read off a run that compared three tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.userproject import UserProject

TESTS = """
import os

from sqlalchemy import create_engine, text

engine = create_engine(os.environ["APP_URL"])


def test_one():
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_stops_the_run_on_postgresql():
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    if engine.dialect.name == "postgresql":
        raise KeyboardInterrupt  # as a Ctrl-C would: pytest stops, exit status 2


def test_three():
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 3")).scalar() == 3
"""


def test_a_partial_run_is_named_partial_and_never_compared_as_whole(
    pytester: pytest.Pytester,
) -> None:
    project = UserProject(pytester)
    project.write("test_app.py", TESTS)
    command = [sys.executable, "-m", "dbparity.cli", "run", "--env", "APP_URL=sync"]
    command += ["--backends", "postgres-asyncpg,sqlite-file", "-o", "out"]
    command += ["--", "-p", "no:randomly", "-p", "no:cacheprovider"]
    run = subprocess.run(
        command, cwd=project.path, capture_output=True, text=True, check=False, timeout=600
    )
    out = run.stdout
    assert run.returncode == 2, out + run.stderr
    lines = out.splitlines()
    postgres = next(line for line in lines if line.startswith("[1/2] postgres-asyncpg: PARTIAL"))
    assert "after 2 tests (pytest exit 2)" in postgres
    assert any(line.startswith("[2/2] sqlite-file: all 3 tests passed") for line in lines), out
    assert lines[-1].startswith("PARTIAL: postgres-asyncpg did not finish"), out
    report = (Path(project.path) / "out" / "report" / "compatibility.md").read_text("utf-8")
    assert "**Partial run:** `postgres-asyncpg@PostgreSQL" in report
    assert "PARTIAL RUN (interrupted): reference:" in report
    assert "none: PostgreSQL's run is partial" in report
    times = report.split("## Time of your suite", 1)[1].split("\n## ", 1)[0]
    assert "\u00d7" not in times  # no ratio (the multiplication sign) in the table
    # The user's checkout stays clean: the output folder ignores itself.
    assert (Path(project.path) / "out" / ".gitignore").read_text("utf-8").endswith("*\n")
