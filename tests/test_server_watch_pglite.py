"""The server watch on PGlite, which serves one connection at a time: a failing test never makes
the live server "gone" (trial T19), and a PGlite that really died still is; the report then
shows that broken run under Needs attention, never as tests that behave differently (T20)."""

from __future__ import annotations

import shutil

import pytest

from dbparity import results as results_format
from dbparity.report import merge, render_markdown
from dbparity.report.verdicts import behave_differently
from tests.conftest import TinySuite

needs_node = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="Node.js and npm are not on this machine (.ci/run installs them)",
)
pytestmark = [pytest.mark.slow, needs_node]

SUITE = """
import os, signal, time
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import text


async def test_a_fails_with_a_server_error(connection):
    # the test's connection stays open (inside its transaction) while the watch probes
    await connection.execute(text("SELECT 1 LIMIT -1"))


async def test_b_uses_the_database_after(connection):
    assert (await connection.execute(text("SELECT 1"))).scalar() == 1


def test_c_needs_no_database():
    pass


async def test_d_kills_the_server(connection, dbparity_dsn):
    if not os.environ.get("KILL_PGLITE"):
        return
    socket_dir = conninfo_to_dict(dbparity_dsn)["host"]
    for entry in Path("/proc").iterdir():  # the Node process runs inside the socket's dir
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if entry.name.isdigit() and cwd == socket_dir:
            os.kill(int(entry.name), signal.SIGKILL)
    time.sleep(0.5)
    await connection.execute(text("SELECT 1"))


async def test_e_uses_the_database_last(connection):
    await connection.execute(text("SELECT 1"))
"""


def test_a_failing_test_leaves_pglite_alive(tiny_suite: TinySuite) -> None:
    tiny_suite.write_tests("test_watch.py", SUITE)
    result = tiny_suite.run("pglite")
    outcomes = tiny_suite.outcomes("pglite")
    assert outcomes == {
        "watch.a_fails_with_a_server_error": "unexpected-failure",
        "watch.b_uses_the_database_after": "conforms",
        "watch.c_needs_no_database": "conforms",
        "watch.d_kills_the_server": "conforms",
        "watch.e_uses_the_database_last": "conforms",
    }, result.stdout.str()
    assert "the server is gone" not in result.stdout.str()


def test_a_pglite_that_died_is_gone_and_no_difference(
    tiny_suite: TinySuite, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny_suite.write_tests("test_watch.py", SUITE)
    application = ("-o", "dbparity_suite=application")
    reference = tiny_suite.run("postgres-asyncpg", *application)
    assert reference.ret == pytest.ExitCode.TESTS_FAILED, reference.stdout.str()
    monkeypatch.setenv("KILL_PGLITE", "1")
    result = tiny_suite.run("pglite", *application)
    cases = {c["id"]: c for c in tiny_suite.results("pglite")["cases"]}
    outcomes = {case_id: case["outcome"] for case_id, case in cases.items()}
    assert outcomes == {
        "watch.a_fails_with_a_server_error": "unexpected-failure",
        "watch.b_uses_the_database_after": "conforms",
        "watch.c_needs_no_database": "conforms",
        "watch.d_kills_the_server": "error",
        "watch.e_uses_the_database_last": "error",
    }, result.stdout.str()
    for case_id in ("watch.d_kills_the_server", "watch.e_uses_the_database_last"):
        assert "the server is gone" in cases[case_id]["reason"], cases[case_id]

    # The report: the dead server's errors are no difference, and Needs attention says why.
    merged = merge(
        [
            (f"{name}.json", results_format.load(tiny_suite.path / f"{name}.json"))
            for name in ("postgres-asyncpg", "pglite")
        ]
    )
    assert merged.suite_kind == "application"
    assert merged.differing() == []
    assert behave_differently(merged.differing()) == set()
    text = render_markdown(merged)
    assert "No test behaves differently on a stand-in than on PostgreSQL" in text, text
    assert "one side only" not in text, text
    gone = [a for a in merged.attention if a.column.startswith("pglite")]
    assert [(a.kind, a.case) for a in gone] == [("incomplete", "")], merged.attention
    assert "the server is gone: 2 database cases errored" in gone[0].reason, gone[0]
    pglite = next(c for c in merged.columns if c.backend.id == "pglite")
    assert pglite.verdict.endswith("2 tests not compared: the server was gone)"), pglite.verdict
