"""Setup mistakes in a user's project stop the run with one line saying what to change, instead
of one failure per database test; a run that never touched the database says so."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.userproject import PYPROJECT, UserProject

DB_TESTS = """
from sqlalchemy import text


async def test_one(session):
    assert (await session.execute(text("SELECT 1"))).scalar_one() == 1


async def test_two(session):
    assert (await session.execute(text("SELECT 2"))).scalar_one() == 2


async def test_three(connection):
    assert (await connection.execute(text("SELECT 3"))).scalar_one() == 3
"""


def usage_error(result: pytest.RunResult) -> str:
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + result.stderr.str()
    # pytest prints a usage error as one "ERROR: ..." line; other stderr lines (a third
    # party's warning, which may quote this checkout's path) are not ours to count.
    lines = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(lines) == 1, result.stderr.str()  # said once
    assert lines[0].startswith("ERROR: dbparity:"), lines[0]
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    return lines[0]


def test_a_function_scoped_loop_is_one_error_naming_the_pyproject_lines(
    pytester: pytest.Pytester,
) -> None:
    project = UserProject(pytester, pyproject='[tool.pytest.ini_options]\nasyncio_mode = "auto"\n')
    project.write("test_db.py", DB_TESTS)
    line = usage_error(project.run_on("sqlite-memory"))
    assert "3 database tests run on another event loop than the session's" in line
    assert 'asyncio_default_test_loop_scope = "session"' in line
    assert "pyproject.toml under [tool.pytest.ini_options]" in line


def test_a_function_scoped_async_fixture_on_the_session_is_caught(
    pytester: pytest.Pytester,
) -> None:
    """Tests on the session loop, but the project's own async fixture wrapping ``session``
    defaults to a function loop: the fixture is named."""
    project = UserProject(
        pytester,
        pyproject=PYPROJECT.replace('asyncio_default_fixture_loop_scope = "session"\n', ""),
    )
    project.write(
        "test_db.py",
        """
        import pytest

        @pytest.fixture
        async def db(session):
            yield session

        async def test_uses_db(db):
            pass
        """,
    )
    line = usage_error(project.run_on("sqlite-memory"))
    assert "fixture 'db'" in line and 'asyncio_default_fixture_loop_scope = "session"' in line


def test_strict_mode_is_one_error_naming_auto_mode(pytester: pytest.Pytester) -> None:
    project = UserProject(pytester, pyproject=PYPROJECT.replace('"auto"', '"strict"'))
    project.write("test_db.py", DB_TESTS)
    line = usage_error(project.run_on("sqlite-memory"))
    assert "strict mode" in line and 'asyncio_mode = "auto"' in line


def test_a_path_option_in_space_form_cannot_move_the_rootdir(pytester: pytest.Pytester) -> None:
    project = UserProject(pytester)
    project.write("test_db.py", DB_TESTS)
    with tempfile.TemporaryDirectory() as outside:
        results = Path(outside, "x.json")
        results.write_text("{}", "utf-8")  # an earlier run's file: pytest sees a path
        line = usage_error(
            project.run("--backend", "sqlite-memory", "--dbparity-results", str(results))
        )
        assert f"write --dbparity-results={results}" in line
        assert project.run("--backend=sqlite-memory", f"--dbparity-results={results}").ret == 0


def test_a_run_without_the_database_says_so(pytester: pytest.Pytester) -> None:
    project = UserProject(pytester)
    project.write("test_pure.py", "def test_pure():\n    assert True\n")
    result = project.run_on("sqlite-memory")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # never a silent pass
    result.stdout.fnmatch_lines(
        ["cases: 1 did not use the database", "dbparity: no test used the database: wire your*"]
    )
    assert [c["used_database"] for c in project.cases("sqlite-memory").values()] == [False]


def test_several_schemas_and_bases_make_one_database(pytester: pytest.Pytester) -> None:
    """Two declarative bases and a plain MetaData, given as a list; truncate empties all."""
    project = UserProject(pytester)
    project.write(
        "conftest.py",
        """
        import pytest
        from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


        class Accounts(DeclarativeBase):
            pass


        class Billing(DeclarativeBase):
            pass


        class User(Accounts):
            __tablename__ = "users"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str] = mapped_column(String(20))


        class Invoice(Billing):
            __tablename__ = "invoices"
            id: Mapped[int] = mapped_column(primary_key=True)
            total: Mapped[int]


        audit = MetaData()
        events = Table("events", audit, Column("id", Integer, primary_key=True))


        @pytest.fixture(scope="session")
        def dbparity_metadata():
            return [Accounts, Billing.metadata, audit]
        """,
    )
    project.write(
        "test_schemas.py",
        """
        import pytest
        from sqlalchemy import func, select

        from conftest import Invoice, User, events


        @pytest.mark.isolation("truncate")
        async def test_every_table_exists(session):
            session.add_all([User(name="ada"), Invoice(total=3)])
            await session.execute(events.insert())
            await session.commit()


        @pytest.mark.isolation("truncate")
        async def test_truncate_emptied_them(session):
            for table in (User.__table__, Invoice.__table__, events):
                count = select(func.count()).select_from(table)
                assert (await session.execute(count)).scalar() == 0
        """,
    )
    result = project.run_on("sqlite-file")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert {c["outcome"] for c in project.cases("sqlite-file").values()} == {"conforms"}


def test_tables_that_clash_across_schemas_are_one_error(pytester: pytest.Pytester) -> None:
    project = UserProject(pytester)
    project.write(
        "conftest.py",
        """
        import pytest
        from sqlalchemy import Column, Integer, MetaData, Table

        one, two = MetaData(), MetaData()
        for metadata in (one, two):
            Table("user", metadata, Column("id", Integer, primary_key=True))


        @pytest.fixture(scope="session")
        def dbparity_metadata():
            return [one, two]
        """,
    )
    project.write("test_db.py", DB_TESTS)
    result = project.run_on("sqlite-memory")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    out = result.stdout.str()
    assert out.count("table 'user' is defined in schema 1 and in schema 2") == 1, out
    assert "Traceback" not in out


@pytest.mark.slow
def test_the_session_used_from_another_loop_is_a_setup_error_not_a_difference(
    pytester: pytest.Pytester,
) -> None:
    """FastAPI's sync TestClient runs the app on a thread with its own loop: on asyncpg the
    session then fails with 'attached to a different loop'. That is a setup mistake: the run
    stops at the first one with one line, the case is an error, never a false confidence."""
    pytest.importorskip("fastapi")
    project = UserProject(pytester)
    project.write(
        "test_api.py",
        """
        import pytest
        from fastapi import Depends, FastAPI
        from fastapi.testclient import TestClient
        from sqlalchemy import text

        app = FastAPI()


        async def get_session():
            raise NotImplementedError


        @app.get("/one")
        async def one(session=Depends(get_session)):
            return (await session.execute(text("SELECT 1"))).scalar_one()


        @pytest.fixture
        def client(session):
            app.dependency_overrides[get_session] = lambda: session
            with TestClient(app) as client:
                yield client


        def test_first(client):
            assert client.get("/one").json() == 1


        def test_second(client):
            assert client.get("/one").json() == 1
        """,
    )
    result = project.run_on("postgres-asyncpg")
    out = result.stdout.str()
    assert result.ret != pytest.ExitCode.OK, out
    assert "httpx.AsyncClient(transport=httpx.ASGITransport(app=app))" in out
    cases = project.cases("postgres-asyncpg")
    assert cases["api.first"]["outcome"] == "error", cases
    assert "another event loop" in cases["api.first"]["reason"]
    assert "api.second" not in cases or cases["api.second"]["outcome"] != "unexpected-failure"
