"""The fixtures a suite uses: the backend, an engine on this process's own database, and a
connection and session isolated per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
import pytest_asyncio
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from dbparity.backends import Backend
from dbparity.cases import NOT_RUN_PREFIX
from dbparity.databases import DatabaseSetupError, open_database
from dbparity.isolation import (
    STRATEGIES,
    Strategy,
    rollback_connection,
    session_on,
    truncating_connection,
)
from dbparity.plugin.run import DbparityRun, get_run
from dbparity.schemas import SchemaError, one_metadata


def _require_run(request: pytest.FixtureRequest) -> DbparityRun:
    run = get_run(request.config)
    if run is None:
        raise pytest.UsageError(
            "dbparity: no backend selected; pass --backend ID or set dbparity_backend in the "
            "pytest configuration (see `dbparity backends` for the ids)"
        )
    return run


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> Backend:
    """The backend this run is on."""
    return _require_run(request).backend


@pytest.fixture(scope="session")
def dbparity_metadata() -> MetaData | None:
    """The schema to create in each test database. Override it in your conftest.py: return a
    MetaData, a declarative base (or SQLModel), or a list of them."""
    return None


@pytest.fixture(scope="session")
def dbparity_schema(request: pytest.FixtureRequest, dbparity_metadata: object) -> MetaData | None:
    """``dbparity_metadata`` as one MetaData, whatever form it was given in."""
    try:
        return one_metadata(dbparity_metadata)
    except SchemaError as exc:
        message = f"dbparity: {exc}"
    # One line for the run, not one error per test (the fixture is shared by all). An xdist
    # worker cannot exit (xdist would crash): it stops after this test instead.
    if not hasattr(request.config, "workerinput"):
        pytest.exit(message, returncode=pytest.ExitCode.USAGE_ERROR)
    request.session.shouldstop = message
    pytest.fail(message, pytrace=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engine(
    request: pytest.FixtureRequest, dbparity_schema: MetaData | None
) -> AsyncIterator[AsyncEngine]:
    """An engine on this process's own database, with the schema created."""
    run = _require_run(request)
    if run.target is None:
        pytest.skip(NOT_RUN_PREFIX + run.not_run_reason)
    try:
        async with open_database(run.backend, run.target, dbparity_schema) as created:
            run.observer.watch(created.url)
            yield created
    except DatabaseSetupError as exc:
        pytest.fail(f"dbparity: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def dbparity_url(engine: AsyncEngine) -> str:
    """This process's own database as a URL with the password, for code that connects by
    itself (a raw asyncpg or psycopg connection, a second engine). The database holds the
    schema; what such a connection commits is not rolled back, so empty it yourself or use
    ``dbparity_raw_connection``."""
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def dbparity_dsn(engine: AsyncEngine) -> str:
    """The same database as the driver itself takes it: a ``postgresql://`` URI for asyncpg's
    ``connect()`` or psycopg's ``AsyncConnection.connect()``, or SQLite's database path."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=False)


@pytest.fixture
def isolation_strategy(request: pytest.FixtureRequest) -> Strategy:
    """The test's isolation strategy, from its ``isolation`` marker (default ``rollback``)."""
    marker = request.node.get_closest_marker("isolation")
    strategy = marker.args[0] if marker and marker.args else "rollback"
    if strategy not in STRATEGIES:
        raise pytest.UsageError(
            f"{request.node.nodeid}: isolation({strategy!r}) is not a strategy; "
            f"use one of {', '.join(STRATEGIES)}"
        )
    return cast(Strategy, strategy)


@pytest_asyncio.fixture(loop_scope="session")
async def connection(
    engine: AsyncEngine, isolation_strategy: Strategy, dbparity_schema: MetaData | None
) -> AsyncIterator[AsyncConnection]:
    """A connection for the test. Under ``rollback`` it sits inside a transaction that is
    rolled back afterwards; under ``truncate`` it is a plain connection and every table is
    emptied after the test."""
    if isolation_strategy == "rollback":
        async with rollback_connection(engine) as conn:
            yield conn
    else:
        async with truncating_connection(engine, dbparity_schema) as conn:
            yield conn


@pytest.fixture(scope="session")
def dbparity_session_class(dbparity_metadata: object) -> type[AsyncSession]:
    """The class of the ``session`` fixture: SQLModel's ``AsyncSession`` (with ``.exec()``) when
    the schema is SQLModel's (``dbparity_metadata`` gives ``SQLModel`` or its metadata), else
    SQLAlchemy's, whose ``execute()`` SQLModel's would flag as deprecated. Override it to
    choose another subclass."""
    given = (
        dbparity_metadata if isinstance(dbparity_metadata, list | tuple) else [dbparity_metadata]
    )
    try:
        from sqlmodel import SQLModel
        from sqlmodel.ext.asyncio.session import AsyncSession as SQLModelAsyncSession
    except ImportError:
        return AsyncSession
    if any(item is SQLModel or item is SQLModel.metadata for item in given):
        return SQLModelAsyncSession
    return AsyncSession


@pytest_asyncio.fixture(loop_scope="session")
async def session(
    engine: AsyncEngine,
    connection: AsyncConnection,
    isolation_strategy: Strategy,
    dbparity_session_class: type[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """An ``AsyncSession`` whose work never outlives the test, even if the code commits."""
    if isolation_strategy == "rollback":
        db_session = session_on(connection, dbparity_session_class)
    else:
        db_session = dbparity_session_class(bind=engine, expire_on_commit=False)
    try:
        yield db_session
    finally:
        await db_session.close()


@pytest_asyncio.fixture(loop_scope="session")
async def dbparity_raw_connection(connection: AsyncConnection) -> Any:
    """The driver's own connection (an ``asyncpg.Connection``, a psycopg ``AsyncConnection``,
    an ``aiosqlite.Connection``) under the test's ``connection``: under ``rollback`` what it
    does is inside the test's transaction and is rolled back with it. One statement goes
    through SQLAlchemy first: its asyncpg adapter opens the driver's transaction only then, and
    without it what the raw connection does would be committed at once."""
    await connection.execute(text("SELECT 1"))
    raw = await connection.get_raw_connection()
    return raw.driver_connection
