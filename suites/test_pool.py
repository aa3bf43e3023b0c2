"""Connection pools as they behave in front of PostgreSQL: at SQLAlchemy's pool level and at
the driver level (``raw_connection()`` and the driver's own connection).

Each case builds its own small engine on this process's database URL with
``dbparity.engines.build_engine``, so the backend's listeners apply. On an in-memory SQLite URL
that engine is a *separate, empty* database on a StaticPool, the pool every
``sqlite+aiosqlite:///:memory:`` engine gets: it takes no size, overflow or timeout, so those
arguments are left out there (as a user would have to) and the case shows what that pool does.
Cases that need a table create it in their engine (a no-op where the schema already exists).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import MetaData, func, insert, literal, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine

from dbparity.backends import Backend
from dbparity.engines import build_engine
from suites._concurrency import (
    BOUND_S,
    CANCEL_BOUND_S,
    driver_scalar,
    server_pid_query,
    shares_one_connection,
    slow_query,
    wait_until_running,
)
from suites.schema import User

POOL_ARGS = ("pool_size", "max_overflow", "pool_timeout")
SHORT_POOL_TIMEOUT_S = 0.3

EngineFactory = Callable[..., AsyncEngine]


@pytest.fixture
async def make_engine(backend: Backend, engine: AsyncEngine) -> AsyncIterator[EngineFactory]:
    """Build engines on this process's database URL; all are disposed after the case."""
    built: list[AsyncEngine] = []

    def make(**kwargs: Any) -> AsyncEngine:
        if shares_one_connection(engine):
            for name in POOL_ARGS:
                kwargs.pop(name, None)
        created = build_engine(backend, engine.url, **kwargs)
        built.append(created)
        return created

    yield make
    async with asyncio.timeout(BOUND_S):
        for created in built:
            await created.dispose()


async def with_users_table(pool_engine: AsyncEngine, metadata: MetaData) -> None:
    """Make sure the users table exists in this engine's database."""
    async with pool_engine.begin() as conn:
        await conn.run_sync(metadata.create_all, tables=[User.__table__], checkfirst=True)


async def kill_server_process(engine: AsyncEngine, pid: int) -> None:
    """Terminate a server process from another connection and wait until it has exited.

    Polls pg_stat_activity rather than passing pg_terminate_backend a timeout, which PostgreSQL
    accepts only from version 14; bounded by the caller's timeout."""
    gone = text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :pid")
    async with engine.connect() as admin:
        terminated = await admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert terminated is True
        while not await admin.scalar(gone, {"pid": pid}):
            await admin.rollback()  # a fresh snapshot of the statistics on the next poll
            await asyncio.sleep(0.01)


# --- SQLAlchemy's pool ----------------------------------------------------------------------


HOLD_S = 0.02


async def test_concurrent_requests_through_small_pool_complete(make_engine: EngineFactory) -> None:
    """Twenty concurrent requests through a pool of two all complete, never holding more than
    two connections at once."""
    pool_engine = make_engine(pool_size=2, max_overflow=0, pool_timeout=BOUND_S)
    holding = 0
    most_held = 0

    async def request(number: int) -> int:
        nonlocal holding, most_held
        async with pool_engine.connect() as conn:
            holding += 1
            most_held = max(most_held, holding)
            try:
                # Hold the connection a moment, so every other request has had its chance to
                # check one out: a pool that enforces its size makes them wait, one that does
                # not lets them all in. Without it, the count depends on scheduling.
                await asyncio.sleep(HOLD_S)
                return int(await conn.scalar(select(literal(number))) or 0)
            finally:
                holding -= 1

    async with asyncio.timeout(BOUND_S):
        answers = await asyncio.gather(*(request(n) for n in range(20)))
    assert answers == list(range(20))
    assert most_held <= 2


async def test_connection_returns_to_pool_after_failing_query(make_engine: EngineFactory) -> None:
    """A connection whose query failed goes back to the pool: the next request gets it."""
    pool_engine = make_engine(pool_size=1, max_overflow=0, pool_timeout=SHORT_POOL_TIMEOUT_S)
    async with asyncio.timeout(BOUND_S):
        with pytest.raises(DBAPIError):
            async with pool_engine.connect() as conn:
                await conn.execute(text("SELECT * FROM no_such_table"))
        async with pool_engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1


@pytest.mark.isolation("truncate")
@pytest.mark.usefixtures("connection")  # its teardown empties the tables
async def test_returned_connection_discards_uncommitted_writes(
    make_engine: EngineFactory, dbparity_metadata: MetaData
) -> None:
    """Work a request left uncommitted is rolled back when its connection returns to the pool."""
    pool_engine = make_engine(pool_size=1, max_overflow=0, pool_timeout=SHORT_POOL_TIMEOUT_S)
    async with asyncio.timeout(BOUND_S):
        await with_users_table(pool_engine, dbparity_metadata)
        async with pool_engine.connect() as conn:
            await conn.execute(insert(User).values(email="left@example.com", name="left"))
        async with pool_engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(User)) == 0


async def test_pool_exhaustion_raises_timeout_error(make_engine: EngineFactory) -> None:
    """When every connection is checked out, a further request fails with SQLAlchemy's
    TimeoutError after pool_timeout instead of waiting forever."""
    pool_engine = make_engine(pool_size=1, max_overflow=0, pool_timeout=SHORT_POOL_TIMEOUT_S)
    async with asyncio.timeout(BOUND_S), pool_engine.connect():
        with pytest.raises(PoolTimeoutError):
            async with pool_engine.connect() as conn:
                await conn.scalar(text("SELECT 1"))


async def test_overflow_allows_extra_connections_up_to_max_overflow(
    make_engine: EngineFactory,
) -> None:
    """pool_size plus max_overflow connections can be out at once; one more times out."""
    pool_engine = make_engine(pool_size=1, max_overflow=1, pool_timeout=SHORT_POOL_TIMEOUT_S)
    async with asyncio.timeout(BOUND_S), pool_engine.connect(), pool_engine.connect():
        with pytest.raises(PoolTimeoutError):
            async with pool_engine.connect() as conn:
                await conn.scalar(text("SELECT 1"))


async def test_waiting_request_gets_the_returned_connection(make_engine: EngineFactory) -> None:
    """A request waiting on an exhausted pool gets the connection as soon as it is returned."""
    pool_engine = make_engine(pool_size=1, max_overflow=0, pool_timeout=BOUND_S)
    waiting = asyncio.Event()

    async def wait_for_connection() -> Any:
        waiting.set()
        async with pool_engine.connect() as conn:
            await conn.scalar(text("SELECT 1"))
            return (await conn.get_raw_connection()).driver_connection

    async with asyncio.timeout(BOUND_S):
        holder = await pool_engine.connect()
        held = (await holder.get_raw_connection()).driver_connection
        waiter = asyncio.create_task(wait_for_connection())
        await waiting.wait()  # the waiter now sits in the pool's queue
        await holder.close()
        assert await waiter is held


async def cancel_mid_query(pool_engine: AsyncEngine, observer: AsyncEngine) -> None:
    """Start a slow statement in a task and cancel the task while the statement runs."""
    sql = slow_query(pool_engine)
    submitted = asyncio.Event()

    async def long_request() -> None:
        async with pool_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))  # begun: the next await is the slow statement
            submitted.set()
            await conn.execute(text(sql))

    task = asyncio.create_task(long_request())
    await submitted.wait()  # resumes once the task is suspended in the slow statement
    await wait_until_running(observer, sql)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_cancelled_query_does_not_leak_or_poison_connection(
    engine: AsyncEngine, make_engine: EngineFactory
) -> None:
    """A task cancelled in the middle of a query gives its connection back, and the next
    request through the pool gets a working one."""
    pool_engine = make_engine(pool_size=1, max_overflow=0, pool_timeout=CANCEL_BOUND_S)
    async with asyncio.timeout(CANCEL_BOUND_S):
        await cancel_mid_query(pool_engine, engine)
        async with pool_engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1


@pytest.mark.isolation("truncate")
@pytest.mark.usefixtures("connection")  # its teardown empties the tables
async def test_cancelled_query_keeps_committed_data(
    engine: AsyncEngine, make_engine: EngineFactory, dbparity_metadata: MetaData
) -> None:
    """Rows committed before a task was cancelled mid-query are still there afterwards."""
    pool_engine = make_engine(pool_size=1, max_overflow=0, pool_timeout=CANCEL_BOUND_S)
    async with asyncio.timeout(CANCEL_BOUND_S):
        await with_users_table(pool_engine, dbparity_metadata)
        async with pool_engine.begin() as conn:
            await conn.execute(insert(User).values(email="before@example.com", name="kept"))
        await cancel_mid_query(pool_engine, engine)
        async with pool_engine.connect() as conn:
            emails = (await conn.scalars(select(User.email))).all()
    assert emails == ["before@example.com"]


@pytest.mark.isolation("truncate")
@pytest.mark.usefixtures("connection")  # its teardown empties the tables
async def test_committed_data_survives_connection_replacement(
    make_engine: EngineFactory, dbparity_metadata: MetaData
) -> None:
    """Committed rows are still there after the pool throws a connection away and opens a new
    one (as it does after a disconnect)."""
    pool_engine = make_engine(pool_size=1, max_overflow=0, pool_timeout=BOUND_S)
    async with asyncio.timeout(BOUND_S):
        await with_users_table(pool_engine, dbparity_metadata)
        async with pool_engine.begin() as conn:
            await conn.execute(insert(User).values(email="kept@example.com", name="kept"))
        async with pool_engine.connect() as conn:
            await conn.invalidate()
        async with pool_engine.connect() as conn:
            emails = (await conn.scalars(select(User.email))).all()
    assert emails == ["kept@example.com"]


async def test_killed_connection_is_replaced_with_pre_ping(
    engine: AsyncEngine, make_engine: EngineFactory
) -> None:
    """With pool_pre_ping, a pooled connection killed on the server is detected at checkout and
    silently replaced."""
    pid_sql = server_pid_query(engine)
    if pid_sql is None:
        pytest.skip("the database runs inside the client process: no server process to kill")
    pool_engine = make_engine(pool_size=1, max_overflow=0, pool_pre_ping=True)
    async with asyncio.timeout(BOUND_S):
        async with pool_engine.connect() as conn:
            killed = await conn.scalar(text(pid_sql))
        await kill_server_process(engine, killed)
        async with pool_engine.connect() as conn:
            replacement = await conn.scalar(text(pid_sql))
    assert replacement != killed


async def test_killed_connection_without_pre_ping_fails_once_then_recovers(
    engine: AsyncEngine, make_engine: EngineFactory
) -> None:
    """Without pre-ping, the first query on a killed connection fails as a disconnect, the pool
    discards it, and the next request gets a fresh connection."""
    pid_sql = server_pid_query(engine)
    if pid_sql is None:
        pytest.skip("the database runs inside the client process: no server process to kill")
    pool_engine = make_engine(pool_size=1, max_overflow=0)
    async with asyncio.timeout(BOUND_S):
        async with pool_engine.connect() as conn:
            killed = await conn.scalar(text(pid_sql))
        await kill_server_process(engine, killed)
        with pytest.raises(DBAPIError) as lost:
            async with pool_engine.connect() as conn:
                await conn.scalar(text("SELECT 1"))
        async with pool_engine.connect() as conn:
            replacement = await conn.scalar(text(pid_sql))
    assert lost.value.connection_invalidated is True
    assert replacement != killed


# --- the driver's own connection ------------------------------------------------------------
#
# The driver connection is reached through an AsyncConnection (``get_raw_connection()``), so the
# pool's reset-on-return runs where it can await. Calling ``.close()`` on the object that
# ``AsyncEngine.raw_connection()`` returns, from async code, cannot await the reset: SQLAlchemy
# logs MissingGreenlet and terminates the connection instead of returning it.


@asynccontextmanager
async def driver_connection(pool_engine: AsyncEngine) -> AsyncIterator[Any]:
    """The driver's own connection (asyncpg, psycopg or aiosqlite), checked out of the pool
    and returned to it on exit."""
    async with pool_engine.connect() as conn:
        raw = await conn.get_raw_connection()
        yield raw.driver_connection


async def test_raw_driver_connections_serve_concurrent_requests(
    make_engine: EngineFactory,
) -> None:
    """Ten concurrent requests on the driver's own connections, from a pool of two, all
    complete, never holding more than two at once."""
    pool_engine = make_engine(pool_size=2, max_overflow=0, pool_timeout=BOUND_S)
    holding = 0
    most_held = 0

    async def request() -> Any:
        nonlocal holding, most_held
        async with driver_connection(pool_engine) as driver:
            holding += 1
            most_held = max(most_held, holding)
            try:
                return await driver_scalar(driver, "SELECT 7")
            finally:
                holding -= 1

    async with asyncio.timeout(BOUND_S):
        answers = await asyncio.gather(*(request() for _ in range(10)))
    assert answers == [7] * 10
    assert most_held <= 2


async def test_raw_connection_is_reusable_after_driver_error(make_engine: EngineFactory) -> None:
    """A driver connection whose query failed goes back to the pool in a usable state."""
    pool_engine = make_engine(pool_size=1, max_overflow=0, pool_timeout=SHORT_POOL_TIMEOUT_S)
    async with asyncio.timeout(BOUND_S):
        async with driver_connection(pool_engine) as failed_on:
            with pytest.raises(Exception, match=r"(?i)no_such_table"):
                await driver_scalar(failed_on, "SELECT * FROM no_such_table")
        async with driver_connection(pool_engine) as driver:
            assert driver is failed_on
            assert await driver_scalar(driver, "SELECT 1") == 1


async def test_raw_connection_killed_on_server_is_replaced_with_pre_ping(
    engine: AsyncEngine, make_engine: EngineFactory
) -> None:
    """A driver connection killed on the server is replaced by pre-ping before the pool hands
    it out again."""
    pid_sql = server_pid_query(engine)
    if pid_sql is None:
        pytest.skip("the database runs inside the client process: no server process to kill")
    pool_engine = make_engine(pool_size=1, max_overflow=0, pool_pre_ping=True)
    async with asyncio.timeout(BOUND_S):
        async with driver_connection(pool_engine) as driver:
            killed = await driver_scalar(driver, pid_sql)
        await kill_server_process(engine, killed)
        async with driver_connection(pool_engine) as driver:
            replacement = await driver_scalar(driver, pid_sql)
    assert replacement != killed
