"""What each isolation strategy costs per test, and what the rollback fixture adds to a bare
savepoint round trip.

An isolation case is one whole test's life under the strategy: get an isolated database, add
one test's fixture data (``data.add_fixture_data``) and commit it as application code would,
then put everything back. The data is the same for every strategy, so the differences are the
strategies' own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from dbparity.backends import Backend
from dbparity.databases import open_database
from dbparity.isolation import empty_tables, rollback_connection, session_on
from dbparity.plugin.run import RUN_KEY
from dbparity.strategies import CloneError, Cloner, open_cloner, recreated_schema
from suites.bench.conftest import LoopRunner
from suites.bench.data import add_fixture_data

CHEAP = 150  # rounds (full mode) for strategies of about a millisecond
DEAR = 25  # rounds for strategies that build a schema or a database

Cycle = Callable[[], Coroutine[Any, Any, None]]


async def _commit_fixture_data(session: AsyncSession) -> None:
    try:
        await add_fixture_data(session)
        await session.commit()
    finally:
        await session.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def empty_engine(
    request: pytest.FixtureRequest,
    backend: Backend,
    engine: AsyncEngine,
    dbparity_metadata: MetaData,
) -> AsyncIterator[AsyncEngine]:
    """An engine on a second database of this backend without the schema, for ``recreate``."""
    target = request.config.stash[RUN_KEY].target
    assert target is not None  # the engine fixture skipped otherwise
    async with open_database(backend, target, None, worker="bench_recreate") as empty:
        # On PostgreSQL every database starts as a copy of the run's template (schema and
        # all); recreate must start from nothing.
        async with empty.begin() as conn:
            await conn.run_sync(dbparity_metadata.drop_all)
        yield empty


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def cloner(
    request: pytest.FixtureRequest,
    backend: Backend,
    engine: AsyncEngine,
    dbparity_metadata: MetaData,
) -> AsyncIterator[Cloner]:
    target = request.config.stash[RUN_KEY].target
    assert target is not None
    try:
        made = await open_cloner(backend, target, dbparity_metadata)
    except CloneError as exc:  # e.g. PGlite: one database per server, nothing to copy
        pytest.skip(f"clone is not available here: {exc}")
    try:
        yield made
    finally:
        await made.close()


@pytest.mark.benchmark(group="isolation")
@pytest.mark.parametrize("strategy", ["rollback", "truncate", "recreate", "clone"])
def test_strategy(
    benchmark: Any,
    aio: LoopRunner,
    request: pytest.FixtureRequest,
    strategy: str,
    engine: AsyncEngine,
    dbparity_metadata: MetaData,
) -> None:
    """One test's life under an isolation strategy, with realistic fixture data"""

    async def rollback() -> None:
        async with rollback_connection(engine) as conn:
            await _commit_fixture_data(session_on(conn))

    async def truncate() -> None:
        try:
            await _commit_fixture_data(AsyncSession(engine, expire_on_commit=False))
        finally:
            await empty_tables(engine, dbparity_metadata)

    async def recreate() -> None:
        async with recreated_schema(empty, dbparity_metadata):
            await _commit_fixture_data(AsyncSession(empty, expire_on_commit=False))

    async def clone() -> None:
        async with cloner.clone() as fresh:
            await _commit_fixture_data(AsyncSession(fresh, expire_on_commit=False))

    # The module fixtures are set up here, outside the timed rounds, and only when needed.
    if strategy == "recreate":
        empty: AsyncEngine = request.getfixturevalue("empty_engine")
    if strategy == "clone":
        cloner: Cloner = request.getfixturevalue("cloner")
    cycles: dict[str, Cycle] = {
        "rollback": rollback,
        "truncate": truncate,
        "recreate": recreate,
        "clone": clone,
    }
    benchmark.extra_info["label"] = strategy
    rounds = CHEAP if strategy in ("rollback", "truncate") else DEAR
    aio.bench(benchmark, cycles[strategy], rounds=rounds)


@pytest.mark.benchmark(group="rollback overhead")
def test_rollback_fixture(benchmark: Any, aio: LoopRunner, engine: AsyncEngine) -> None:
    """Rollback fixture: checkout, BEGIN, session SAVEPOINT, close, ROLLBACK, return"""

    async def body() -> None:
        async with rollback_connection(engine) as conn:
            session = session_on(conn)
            await session.connection()  # the session's SAVEPOINT is emitted here
            await session.close()

    aio.bench(benchmark, body, rounds=CHEAP * 2)


@pytest.mark.benchmark(group="rollback overhead")
def test_bare_savepoint(benchmark: Any, aio: LoopRunner, engine: AsyncEngine) -> None:
    """Bare BEGIN, SAVEPOINT, ROLLBACK on one held connection"""
    conn: AsyncConnection = aio.run(engine.connect)

    async def body() -> None:
        await conn.begin()
        await conn.begin_nested()
        await conn.rollback()

    try:
        aio.bench(benchmark, body, rounds=CHEAP * 2)
    finally:
        aio.run(conn.close)
