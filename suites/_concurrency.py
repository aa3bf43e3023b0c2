"""Capability helpers for the transaction and pool suites: the few things two connections,
a lock wait or a server process need to be asked in each dialect's own terms.

Nothing here changes what a case asserts. Each helper either spells one operation in the
dialect's syntax (bounding a lock wait, a slow statement) or reports that the capability does
not exist (no server process to kill), so a case can say "not applicable" instead of guessing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import StaticPool

# Generous bound on anything that waits: a case that hits it has hung, and fails instead.
BOUND_S = 30.0
# The cancellation cases' bound: shorter than their slow statement (SLOW_STATEMENT_S), so a
# cancel that does not land fails the case instead of letting the statement finish; and short,
# because a server that ignores cancel requests (PGlite) makes every such case wait it out.
CANCEL_BOUND_S = 8.0
SLOW_STATEMENT_S = 10
# How long a statement blocked by another transaction's lock waits before giving up.
LOCK_WAIT_S = 0.5


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE the driver attached to a wrapped DB-API error, or ``None`` when it has none
    (psycopg errors and SQLAlchemy's asyncpg adapter both expose ``sqlstate``; sqlite3 does not)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    code = getattr(orig, "sqlstate", None)
    return str(code) if code else None


@asynccontextmanager
async def lock_wait_limit(
    conn: AsyncConnection, seconds: float = LOCK_WAIT_S
) -> AsyncIterator[None]:
    """Make statements on ``conn`` give up after ``seconds`` when blocked by another
    transaction's locks, so a case can never hang on a lock; on exit, roll back whatever
    transaction the case left open.

    PostgreSQL: ``SET LOCAL lock_timeout`` (starts the transaction; ends with it).
    SQLite: ``PRAGMA busy_timeout`` on the driver connection, restored on exit because it
    outlives the transaction and the connection goes back to a pool other cases share. The exit
    also rolls back at the driver level: when COMMIT fails with "database is locked", SQLite
    keeps the transaction open while SQLAlchemy considers it over, and would return the
    connection to the pool still inside it (every later BEGIN on it then fails).
    """
    millis = max(1, int(seconds * 1000))
    if conn.dialect.name == "postgresql":
        await conn.execute(text(f"SET LOCAL lock_timeout = {millis}"))
        try:
            yield
        finally:
            await conn.rollback()
        return
    driver = (await conn.get_raw_connection()).driver_connection
    previous = int(await driver_scalar(driver, "PRAGMA busy_timeout"))
    await driver.execute(f"PRAGMA busy_timeout = {millis}")
    try:
        yield
    finally:
        await conn.rollback()
        if driver.in_transaction:
            await driver.rollback()
        await driver.execute(f"PRAGMA busy_timeout = {previous}")


async def settle(task: asyncio.Task[Any]) -> None:
    """Wait for a background statement to finish, whatever its outcome, so no case leaves a
    statement running on a connection it hands back (the statement's own lock wait bounds it)."""
    await asyncio.wait([task])


def server_pid_query(engine: AsyncEngine) -> str | None:
    """SQL returning the id of the server process behind a connection, or ``None`` when the
    database runs inside the client process (SQLite): there is nothing to kill."""
    return "SELECT pg_backend_pid()" if engine.dialect.name == "postgresql" else None


def slow_query(engine: AsyncEngine) -> str:
    """A statement that runs long enough to be cancelled mid-way (seconds, never minutes).

    Keep it short on SQLite: a cancelled statement is not interrupted there, it runs on to the
    end in aiosqlite's thread after SQLAlchemy has let go of the connection."""
    if engine.dialect.name == "postgresql":
        return f"SELECT pg_sleep({SLOW_STATEMENT_S})"
    # SQLite has no sleep; counting through a recursive CTE keeps the engine busy instead.
    return (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000000) "
        "SELECT count(*) FROM n"
    )


async def wait_until_running(observer: AsyncEngine, sql: str) -> None:
    """Return once the server reports ``sql`` executing, so a cancellation lands mid-query
    rather than before the query arrived (a cancel request that beats its query is ignored).
    Polls ``pg_stat_activity``, bounded by the caller's timeout. SQLite has no such view: the
    statement is handed to aiosqlite's thread before the caller can cancel, so return at once."""
    if observer.dialect.name != "postgresql":
        return
    probe = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE state = 'active' AND query = :sql AND pid <> pg_backend_pid()"
    )
    async with observer.connect() as conn:
        while not await conn.scalar(probe, {"sql": sql}):
            await conn.rollback()  # a fresh snapshot of the statistics on the next poll
            await asyncio.sleep(0.01)


def shares_one_connection(engine: AsyncEngine) -> bool:
    """True when every checkout of ``engine`` hands out the same connection (StaticPool, what
    ``sqlite+aiosqlite:///:memory:`` gets): such a pool takes no size, overflow or timeout."""
    return isinstance(engine.sync_engine.pool, StaticPool)


async def driver_scalar(driver_connection: Any, sql: str) -> Any:
    """The first column of the first row of ``sql`` run directly on the driver's connection
    (asyncpg has ``fetchval``; psycopg and aiosqlite return a cursor from ``execute``)."""
    fetchval = getattr(driver_connection, "fetchval", None)
    if fetchval is not None:
        return await fetchval(sql)
    cursor = await driver_connection.execute(sql)
    row = await cursor.fetchone()
    await cursor.close()
    return row[0] if row is not None else None
