"""URL mode: dbparity provides the database, the project's own code does the rest.

The project here is written the way many are: its conftest builds a sync engine from an
environment variable at import time, an async one in a fixture, and creates and drops its
tables itself. It runs unchanged; dbparity only exports the URLs, then observes which tests
used the database.
"""

from __future__ import annotations

import os
import sqlite3

import pytest

from tests.userproject import UserProject

CONFTEST = """
import os

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine
from sqlalchemy.ext.asyncio import create_async_engine

metadata = MetaData()
users = Table("users", metadata, Column("id", Integer, primary_key=True), Column("name", String(5)))
# Read at import time, as a module-level engine does: the URL must be there before this runs.
sync_engine = create_engine(os.environ["APP_SYNC_URL"])


@pytest.fixture
def tables():
    metadata.create_all(sync_engine)
    yield
    metadata.drop_all(sync_engine)


@pytest.fixture
async def async_engine():
    engine = create_async_engine(os.environ["APP_ASYNC_URL"])
    yield engine
    await engine.dispose()
"""

TESTS = """
import os
import sqlite3

from sqlalchemy import func, insert, select

from conftest import sync_engine, users


def test_sync_insert(tables):
    with sync_engine.begin() as conn:
        conn.execute(insert(users).values(name="ab"))
        assert conn.execute(select(func.count()).select_from(users)).scalar() == 1


def test_name_longer_than_its_column(tables):
    with sync_engine.begin() as conn:
        conn.execute(insert(users).values(name="abcdefgh"))


async def test_async_engine_sees_the_sync_engines_rows(tables, async_engine):
    with sync_engine.begin() as conn:
        conn.execute(insert(users).values(name="zz"))
    async with async_engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(users))).scalar() == 1


def test_the_dsn_is_the_drivers_own(tables):
    dsn = os.environ["APP_DSN"]
    if dsn.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)
    else:
        with sqlite3.connect(dsn, uri=dsn.startswith("file:")) as conn:
            assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)


def test_raw_driver_only():
    dsn = os.environ["APP_DSN"]
    if dsn.startswith("postgresql://"):
        import asyncio

        import asyncpg

        async def query():
            conn = await asyncpg.connect(dsn)
            try:
                return await conn.fetchval("SELECT 41 + 1")
            finally:
                await conn.close()

        assert asyncio.run(query()) == 42
    else:
        with sqlite3.connect(dsn, uri=dsn.startswith("file:")) as conn:
            assert conn.execute("SELECT 41 + 1").fetchone() == (42,)


def test_pure_python():
    assert sum([1, 2]) == 3
"""

ENV = ("APP_SYNC_URL=sync", "APP_ASYNC_URL=async", "APP_DSN=dsn")


@pytest.fixture
def project(pytester: pytest.Pytester) -> UserProject:
    made = UserProject(pytester)
    made.write("conftest.py", CONFTEST)
    made.write("test_app.py", TESTS)
    return made


def _run(project: UserProject, backend: str, *args: str) -> pytest.RunResult:
    return project.run_on(backend, *[f"--dbparity-env={e}" for e in ENV], *args)


@pytest.mark.parametrize("backend", ["sqlite-memory", "sqlite-file", "postgres-asyncpg"])
def test_the_projects_own_engines_run_on_the_backends_database(
    project: UserProject, backend: str
) -> None:
    result = _run(project, backend)
    cases = project.cases(backend)
    outcomes = {case_id: case["outcome"] for case_id, case in cases.items()}
    too_long = "unexpected-failure" if backend == "postgres-asyncpg" else "conforms"
    assert outcomes == {
        "app.sync_insert": "conforms",
        "app.name_longer_than_its_column": too_long,
        "app.async_engine_sees_the_sync_engines_rows": "conforms",
        "app.the_dsn_is_the_drivers_own": "conforms",
        "app.raw_driver_only": "conforms",
        "app.pure_python": "conforms",
    }, result.stdout.str()
    # Used the database: decided by what the engines did, not by any fixture's name.
    used = {case_id for case_id, case in cases.items() if case["used_database"]}
    assert "app.pure_python" not in used
    assert {"app.sync_insert", "app.async_engine_sees_the_sync_engines_rows"} <= used
    assert "app.raw_driver_only" in used  # asyncpg's query logger, sqlite3's trace callback


def test_each_xdist_worker_gets_a_database_of_its_own(project: UserProject) -> None:
    project.write(
        "test_workers.py",
        """
        import os

        def test_where(tables):
            print("\\nDATABASE", os.environ["APP_DSN"], os.environ["PYTEST_XDIST_WORKER"])
        """,
    )
    result = _run(project, "postgres-asyncpg", "-n", "2", "-s", "-k", "where or sync")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    cases = project.cases("postgres-asyncpg")
    assert cases["workers.where"]["used_database"]


def test_the_environment_and_the_databases_are_gone_afterwards(
    project: UserProject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The URLs exist for the run only; the in-memory database with its last connection."""
    project.write(
        "test_record.py",
        """
        import os

        def test_record(tables):
            with open(os.environ["RECORD_TO"], "w") as out:
                out.write(os.environ["APP_DSN"])
        """,
    )
    record = tmp_path_factory.mktemp("record") / "dsn.txt"
    os.environ["RECORD_TO"] = str(record)
    try:
        result = _run(project, "sqlite-memory", "-k", "record")
    finally:
        del os.environ["RECORD_TO"]
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    dsn = record.read_text("utf-8")
    assert dsn.startswith("file:dbparity_") and "mode=memory" in dsn
    # A new connection to the same shared-cache name finds an empty database: it is gone.
    with sqlite3.connect(dsn, uri=True) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("APP_URL", "'APP_URL' is not NAME=FORM"),
        ("APP_URL=jdbc", "'APP_URL=jdbc' is not NAME=FORM"),
        ("1APP=async", "'1APP=async' is not NAME=FORM"),
    ],
)
def test_a_malformed_request_is_one_line(project: UserProject, value: str, expected: str) -> None:
    result = project.run_on("sqlite-memory", f"--dbparity-env={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1 and expected in errors[0], result.stderr.str()
    assert "Traceback" not in result.stderr.str()


def test_sqlite_hardened_is_refused_in_url_mode(project: UserProject) -> None:
    result = _run(project, "sqlite-hardened")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "your engine is yours" in result.stderr.str()
