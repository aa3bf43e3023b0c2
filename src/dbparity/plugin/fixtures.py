"""The fixtures a suite uses: the backend, an engine on this process's own database, and a
connection and session isolated per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

import pytest
import pytest_asyncio
from sqlalchemy import MetaData
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
    """The schema to create in each test database. Override it in your conftest.py."""
    return None


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engine(
    request: pytest.FixtureRequest, dbparity_metadata: MetaData | None
) -> AsyncIterator[AsyncEngine]:
    """An engine on this process's own database, with the schema created."""
    run = _require_run(request)
    if run.target is None:
        pytest.skip(NOT_RUN_PREFIX + run.not_run_reason)
    try:
        async with open_database(run.backend, run.target, dbparity_metadata) as created:
            yield created
    except DatabaseSetupError as exc:
        pytest.fail(f"dbparity: {exc}", pytrace=False)


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
    engine: AsyncEngine, isolation_strategy: Strategy, dbparity_metadata: MetaData | None
) -> AsyncIterator[AsyncConnection]:
    """A connection for the test. Under ``rollback`` it sits inside a transaction that is
    rolled back afterwards; under ``truncate`` it is a plain connection and every table is
    emptied after the test."""
    if isolation_strategy == "rollback":
        async with rollback_connection(engine) as conn:
            yield conn
    else:
        async with truncating_connection(engine, dbparity_metadata) as conn:
            yield conn


@pytest_asyncio.fixture(loop_scope="session")
async def session(
    engine: AsyncEngine, connection: AsyncConnection, isolation_strategy: Strategy
) -> AsyncIterator[AsyncSession]:
    """An ``AsyncSession`` whose work never outlives the test, even if the code commits."""
    if isolation_strategy == "rollback":
        db_session = session_on(connection)
    else:
        db_session = AsyncSession(bind=engine, expire_on_commit=False)
    try:
        yield db_session
    finally:
        await db_session.close()
