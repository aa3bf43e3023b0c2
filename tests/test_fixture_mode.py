"""Fixture mode as users' suites meet it: sync code beside async, SQLModel's session, a project
fixture that takes one of dbparity's names, and anyio."""

from __future__ import annotations

import pytest

from tests.userproject import UserProject

SYNC_TESTS = """
import pytest
from sqlalchemy import func, insert, select, text

from conftest import items


def test_sync_session_commit_is_rolled_back_after_the_test(sync_session):
    sync_session.execute(insert(items).values(id=1, name="one"))
    sync_session.commit()  # the code under test commits: only a savepoint is released
    assert sync_session.scalar(select(func.count()).select_from(items)) == 1


def test_and_the_next_test_starts_empty(sync_connection):
    assert sync_connection.scalar(select(func.count()).select_from(items)) == 0


def test_sync_name_too_long(sync_connection):
    sync_connection.execute(insert(items).values(id=2, name="much too long"))


@pytest.mark.isolation("truncate")
def test_truncate_commits_for_real(sync_engine, sync_connection):
    sync_connection.execute(insert(items).values(id=3, name="three"))
    sync_connection.commit()
    with sync_engine.connect() as other:
        assert other.scalar(select(func.count()).select_from(items)) == 1


def test_truncate_left_nothing(sync_connection):
    assert sync_connection.scalar(select(func.count()).select_from(items)) == 0


async def test_async_beside_sync(session):
    assert (await session.execute(text("SELECT 1"))).scalar_one() == 1


def test_pure():
    assert True
"""


@pytest.mark.parametrize("backend", ["sqlite-file", "postgres-psycopg"])
def test_sync_fixtures_isolate_like_the_async_ones(pytester: pytest.Pytester, backend: str) -> None:
    project = UserProject(pytester)
    project.write("test_sync.py", SYNC_TESTS)
    result = project.run_on(backend)
    cases = project.cases(backend)
    outcomes = {case_id: case["outcome"] for case_id, case in cases.items()}
    too_long = "unexpected-failure" if backend.startswith("postgres") else "conforms"
    assert outcomes == {
        "sync.sync_session_commit_is_rolled_back_after_the_test": "conforms",
        "sync.and_the_next_test_starts_empty": "conforms",
        "sync.sync_name_too_long": too_long,
        "sync.truncate_commits_for_real": "conforms",
        "sync.truncate_left_nothing": "conforms",
        "sync.async_beside_sync": "conforms",
        "sync.pure": "conforms",
    }, result.stdout.str()
    used = {case_id for case_id, case in cases.items() if case["used_database"]}
    assert used == set(outcomes) - {"sync.pure"}


def test_the_session_is_sqlmodels_when_the_schema_is(pytester: pytest.Pytester) -> None:
    """SQLModel's session (with .exec()) for a SQLModel schema; SQLAlchemy's otherwise, whose
    execute() SQLModel's would flag as deprecated in every test of a plain SQLAlchemy suite."""
    pytest.importorskip("sqlmodel")
    project = UserProject(pytester)
    project.write(
        "test_models.py",
        """
        import pytest
        from sqlalchemy import text
        from sqlmodel import Field, SQLModel, select


        class Hero(SQLModel, table=True):
            id: int | None = Field(default=None, primary_key=True)
            name: str


        @pytest.fixture(scope="session")
        def dbparity_metadata():
            return SQLModel


        async def test_exec(session):
            session.add(Hero(name="Deadpond"))
            await session.commit()
            assert [h.name for h in (await session.exec(select(Hero))).all()] == ["Deadpond"]
        """,
    )
    project.write(
        "plain/test_plain.py",
        """
        from sqlalchemy import text


        async def test_execute(session):
            assert not hasattr(session, "exec")
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
        """,
    )
    result = project.run_on("sqlite-memory", "test_models.py", "-W", "error::DeprecationWarning")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result = project.run_on("sqlite-memory", "plain", "-W", "error::DeprecationWarning")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()


def test_a_project_fixture_that_takes_dbparitys_name_is_named_in_one_line(
    pytester: pytest.Pytester,
) -> None:
    project = UserProject(pytester)
    project.write(
        "test_own.py",
        """
        import pytest


        @pytest.fixture
        def session():
            return "the project's own session, on its own database"


        def test_one(session):
            assert session


        def test_two(session):
            assert session
        """,
    )
    result = project.run_on("sqlite-memory")
    lines = [line for line in result.stdout.lines if "replaces dbparity's" in line]
    assert len(lines) == 1, result.stdout.str()
    assert "your fixture 'session' (test_own.py:5) replaces dbparity's in 2 tests" in lines[0]
    assert "URL mode" in lines[0]
    # Under xdist the workers collect; the controller still says it once.
    result = project.run_on("sqlite-memory", "-n", "2")
    assert len([line for line in result.stdout.lines if "replaces dbparity's" in line]) == 1


def test_an_anyio_database_test_stops_with_one_line_naming_anyio(
    pytester: pytest.Pytester,
) -> None:
    project = UserProject(pytester)
    project.write(
        "test_anyio.py",
        """
        import pytest
        from sqlalchemy import text


        @pytest.fixture
        def anyio_backend():
            return "asyncio"


        @pytest.mark.anyio
        async def test_on_anyio(connection):
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
        """,
    )
    result = project.run_on("postgres-asyncpg")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr.str()
    assert "anyio's own loop" in errors[0] and "URL mode" in errors[0]


def test_a_skipped_database_test_is_not_applicable_not_without_the_database(
    pytester: pytest.Pytester,
) -> None:
    """The observer saw nothing of a test that skipped itself before its first statement; a
    skip says nothing of the database, so the case stays what collection saw."""
    project = UserProject(pytester)
    project.write(
        "test_skips.py",
        """
        import pytest


        async def test_needs_a_server(session):
            pytest.skip("no server process here")


        def test_pure():
            pytest.skip("nothing to do")
        """,
    )
    project.run_on("sqlite-memory")
    cases = project.cases("sqlite-memory")
    assert cases["skips.needs_a_server"]["outcome"] == "not-applicable"
    assert cases["skips.needs_a_server"]["used_database"] is True
    assert cases["skips.pure"]["used_database"] is False
