"""A server that dies mid-run: the case in flight and every later case are `error`, never
conforms, diverges or an ordinary failure."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from dbparity import results as results_format
from dbparity.provision.local_cluster import LocalCluster, find_bindir
from tests.conftest import TinySuite

BINDIR = find_bindir()
pytestmark = pytest.mark.skipif(BINDIR is None, reason="no PostgreSQL binaries on this machine")

SUITE = """
import os, signal, time

import psycopg
from sqlalchemy import text


async def test_a_before(connection):
    assert (await connection.execute(text("SELECT 1"))).scalar() == 1


async def test_b_kills_the_server(connection):
    os.kill(int(os.environ["SERVER_PID"]), signal.SIGQUIT)  # immediate shutdown, like a crash
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            psycopg.connect(os.environ["SERVER_URL"], connect_timeout=2).close()
        except psycopg.OperationalError:
            break
        time.sleep(0.05)
    await connection.execute(text("SELECT 1"))


async def test_c_uses_the_database(connection):
    await connection.execute(text("SELECT 1"))


def test_e_needs_no_database():
    pass  # runs: it never needed the server (before d, so the session's teardown is not its)


async def test_d_declared_to_fail_an_assertion(connection):
    assert False, "fails as declared"
"""
DECLARATION = """
[diverges."dies.d_declared_to_fail_an_assertion"]
reason = "declared only to show that a dead server never counts as a divergence"
fails = "assertion"
consequence = "false-alarm"
remedy = "none; a test fixture"
"""


def test_cases_after_the_server_died_are_errors(
    tiny_suite: TinySuite, private_tmpdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert BINDIR is not None
    tiny_suite.write_tests("test_dies.py", SUITE)
    tiny_suite.use_backends_with({"postgres-asyncpg": DECLARATION})
    cluster = LocalCluster(BINDIR)
    cluster.start()
    try:
        assert cluster.process is not None
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE test_dies")
        url = cluster.url_for("test_dies")
        monkeypatch.setenv("SERVER_PID", str(cluster.process.pid))
        monkeypatch.setenv("SERVER_URL", url)
        started = time.monotonic()
        result = tiny_suite.run("postgres-asyncpg", f"--db-url={url}")
        took = time.monotonic() - started
    finally:
        cluster.stop()
    loaded = results_format.load(tiny_suite.path / "postgres-asyncpg.json")
    cases = {c.id: c for c in loaded.cases}
    outcomes = {case_id: case.outcome for case_id, case in cases.items()}
    assert outcomes == {
        "dies.a_before": "conforms",
        "dies.b_kills_the_server": "error",
        "dies.c_uses_the_database": "error",
        "dies.d_declared_to_fail_an_assertion": "error",
        "dies.e_needs_no_database": "conforms",  # it never needed the server: it runs
    }, (took, result.stdout.str())
    for case_id in outcomes:
        if case_id not in ("dies.a_before", "dies.e_needs_no_database"):
            assert "the server is gone" in cases[case_id].reason, cases[case_id]
    assert result.ret == pytest.ExitCode.TESTS_FAILED
