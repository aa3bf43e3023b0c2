"""Per-test isolation: how each test starts from an empty database and leaves nothing behind.

- ``rollback`` (default): one connection, an outer transaction, and the session joined to it with
  ``join_transaction_mode="create_savepoint"``. Code under test may ``commit()``; it only
  releases a savepoint, and the outer ROLLBACK discards everything. Cheapest by far, but other
  connections never see the test's rows.
- ``truncate``: a plain session on the engine; rows are really committed (other connections see
  them) and every table is emptied after the test.

Selected per test with ``@pytest.mark.isolation("truncate")``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Literal

from sqlalchemy import Connection, Engine, MetaData, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

Strategy = Literal["rollback", "truncate"]
STRATEGIES: tuple[Strategy, ...] = ("rollback", "truncate")


@asynccontextmanager
async def rollback_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside an outer transaction that is always rolled back."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        try:
            yield conn
        finally:
            if outer.is_active:
                await outer.rollback()


def session_on(
    conn: AsyncConnection, session_class: type[AsyncSession] = AsyncSession
) -> AsyncSession:
    """A session that turns its own commits into savepoint releases on ``conn``."""
    return session_class(
        bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@contextmanager
def rollback_sync_connection(engine: Engine) -> Iterator[Connection]:
    """:func:`rollback_connection` for a sync engine."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            if outer.is_active:
                outer.rollback()


@asynccontextmanager
async def truncating_connection(
    engine: AsyncEngine, metadata: MetaData | None
) -> AsyncIterator[AsyncConnection]:
    """A plain connection (its commits are real); every table is emptied afterwards, also when
    the test failed. Closing the connection rolls back whatever it left uncommitted."""
    try:
        async with engine.connect() as conn:
            yield conn
    finally:
        await empty_tables(engine, metadata)


async def empty_tables(engine: AsyncEngine, metadata: MetaData | None) -> None:
    """Remove every row of every table in ``metadata`` and restart identities."""
    if metadata is None or not metadata.tables:
        return
    async with engine.begin() as conn:
        await conn.run_sync(empty_tables_on, metadata)


def empty_tables_on(conn: Connection, metadata: MetaData | None) -> None:
    """:func:`empty_tables` on a sync connection, inside its transaction."""
    if metadata is None or not metadata.tables:
        return
    tables = list(reversed(metadata.sorted_tables))
    if conn.dialect.name == "postgresql":
        names = ", ".join(conn.dialect.identifier_preparer.format_table(t) for t in tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    for table in tables:
        conn.execute(table.delete())
    has_sequences = conn.scalar(
        text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'")
    )
    if has_sequences:
        conn.execute(text("DELETE FROM sqlite_sequence"))
