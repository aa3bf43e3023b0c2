"""Transactions as PostgreSQL runs them: rollback, savepoints, DDL, isolation levels and two
writers on the same rows.

Cases with two connections use the ``truncate`` isolation (their rows must really be committed
to be seen by the other connection). Every wait is bounded: blocked statements give up after a
lock timeout, and the whole case runs under ``asyncio.timeout``. Ordering between connections
is explicit (one awaits the other's statement), never a sleep.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, insert, inspect, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from suites._concurrency import BOUND_S, lock_wait_limit, settle, sqlstate
from suites.schema import Counter, User

IN_FAILED_TRANSACTION = "25P02"
SERIALIZATION_FAILURE = "40001"
LOCK_NOT_AVAILABLE = "55P03"


async def user_count(conn: AsyncConnection) -> int:
    return int(await conn.scalar(select(func.count()).select_from(User)) or 0)


async def add_user(conn: AsyncConnection, email: str, name: str = "someone") -> None:
    await conn.execute(insert(User).values(email=email, name=name))


async def committed_counter(engine: AsyncEngine, name: str, hits: int = 0) -> int:
    """A counter row committed on its own connection; returns its id."""
    async with engine.begin() as conn:
        result = await conn.execute(
            insert(Counter).values(name=name, hits=hits).returning(Counter.id)
        )
        return int(result.scalar_one())


async def hits_of(conn: AsyncConnection, counter_id: int) -> int:
    return int(await conn.scalar(select(Counter.hits).where(Counter.id == counter_id)) or 0)


@pytest.fixture
async def other(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A second connection from the same engine, as a second request of the application."""
    async with engine.connect() as conn:
        yield conn


# --- one connection: rollback, savepoints, DDL --------------------------------------------


@pytest.mark.isolation("truncate")
async def test_error_rolls_back_whole_transaction(
    engine: AsyncEngine, connection: AsyncConnection
) -> None:
    """A transaction that fails part-way commits nothing: rows written before the error are gone."""
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await add_user(conn, "first@example.com")
            await add_user(conn, "first@example.com")
    assert await user_count(connection) == 0


async def test_failed_statement_aborts_transaction(connection: AsyncConnection) -> None:
    """After a statement fails, the transaction rejects every further statement until rollback."""
    await add_user(connection, "dup@example.com")
    with pytest.raises(IntegrityError):
        await add_user(connection, "dup@example.com")
    with pytest.raises(DBAPIError) as refused:
        await connection.execute(text("SELECT 1"))
    assert sqlstate(refused.value) == IN_FAILED_TRANSACTION


async def test_savepoint_rollback_keeps_outer_work(connection: AsyncConnection) -> None:
    """Rolling back a savepoint undoes only what was written after it."""
    await add_user(connection, "outer@example.com")
    savepoint = await connection.begin_nested()
    await add_user(connection, "inner@example.com")
    await savepoint.rollback()
    emails = set((await connection.scalars(select(User.email))).all())
    assert emails == {"outer@example.com"}


async def test_nested_savepoints_unwind_one_level_at_a_time(connection: AsyncConnection) -> None:
    """Savepoints nest: rolling back the innermost keeps the levels around it."""
    await add_user(connection, "level0@example.com")
    level1 = await connection.begin_nested()
    await add_user(connection, "level1@example.com")
    level2 = await connection.begin_nested()
    await add_user(connection, "level2@example.com")
    await level2.rollback()
    await level1.commit()  # RELEASE SAVEPOINT: its work joins the outer transaction
    emails = set((await connection.scalars(select(User.email))).all())
    assert emails == {"level0@example.com", "level1@example.com"}


async def test_failed_statement_in_savepoint_aborts_until_rolled_back_to_it(
    connection: AsyncConnection,
) -> None:
    """A failed statement inside a savepoint blocks the transaction until ROLLBACK TO SAVEPOINT."""
    await add_user(connection, "kept@example.com")
    savepoint = await connection.begin_nested()
    with pytest.raises(IntegrityError):
        await add_user(connection, "kept@example.com")
    with pytest.raises(DBAPIError) as refused:
        await connection.execute(text("SELECT 1"))
    assert sqlstate(refused.value) == IN_FAILED_TRANSACTION
    await savepoint.rollback()
    assert await user_count(connection) == 1


async def test_rollback_to_savepoint_recovers_after_failed_statement(
    connection: AsyncConnection,
) -> None:
    """After rolling back to a savepoint past a failed statement, earlier work stays and the
    transaction goes on."""
    await add_user(connection, "before@example.com")
    savepoint = await connection.begin_nested()
    with pytest.raises(IntegrityError):
        await add_user(connection, "before@example.com")
    await savepoint.rollback()
    await add_user(connection, "after@example.com")
    emails = set((await connection.scalars(select(User.email))).all())
    assert emails == {"before@example.com", "after@example.com"}


async def test_session_begin_nested_contains_integrity_error(session: AsyncSession) -> None:
    """An ORM `begin_nested()` block that hits a constraint error leaves the session usable."""
    session.add(User(email="orm@example.com", name="first"))
    await session.flush()
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            session.add(User(email="orm@example.com", name="duplicate"))
    session.add(User(email="orm2@example.com", name="second"))
    await session.commit()
    names = set((await session.scalars(select(User.name))).all())
    assert names == {"first", "second"}


@pytest.mark.isolation("truncate")
async def test_ddl_rolls_back_with_transaction(
    engine: AsyncEngine, connection: AsyncConnection
) -> None:
    """CREATE TABLE inside a transaction that rolls back leaves no table behind."""
    try:
        async with engine.connect() as conn:
            transaction = await conn.begin()
            await conn.execute(text("CREATE TABLE ddl_probe (id INTEGER PRIMARY KEY)"))
            await conn.execute(text("INSERT INTO ddl_probe (id) VALUES (1)"))
            await transaction.rollback()
        exists = await connection.run_sync(lambda c: inspect(c).has_table("ddl_probe"))
        assert exists is False
    finally:
        if connection.in_transaction():
            await connection.rollback()
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS ddl_probe"))


async def test_ddl_in_savepoint_rolls_back_with_it(connection: AsyncConnection) -> None:
    """CREATE TABLE and CREATE INDEX inside a savepoint vanish when the savepoint rolls back."""
    await add_user(connection, "survivor@example.com")
    savepoint = await connection.begin_nested()
    await connection.execute(text("CREATE TABLE ddl_sp_probe (id INTEGER PRIMARY KEY, v INTEGER)"))
    await connection.execute(text("CREATE INDEX ix_ddl_sp_probe_v ON ddl_sp_probe (v)"))
    assert await connection.run_sync(lambda c: inspect(c).has_table("ddl_sp_probe"))
    await savepoint.rollback()
    assert not await connection.run_sync(lambda c: inspect(c).has_table("ddl_sp_probe"))
    assert await user_count(connection) == 1


# --- two connections: isolation levels -----------------------------------------------------


@pytest.mark.isolation("truncate")
async def test_read_committed_sees_rows_committed_meanwhile(
    engine: AsyncEngine, connection: AsyncConnection
) -> None:
    """By default a transaction sees rows another connection committed after it began."""
    async with asyncio.timeout(BOUND_S):
        async with lock_wait_limit(connection):
            assert await user_count(connection) == 0
            async with engine.connect() as writer, lock_wait_limit(writer):
                await add_user(writer, "meanwhile@example.com")
                await writer.commit()
            assert await user_count(connection) == 1
            await connection.rollback()


@pytest.mark.isolation("truncate")
async def test_uncommitted_writes_are_invisible_to_others(
    engine: AsyncEngine, connection: AsyncConnection, other: AsyncConnection
) -> None:
    """Another connection reads the last committed value, not an uncommitted update (no dirty
    reads), and is not blocked by it."""
    async with engine.begin() as conn:
        await add_user(conn, "reader@example.com", name="original")
    async with asyncio.timeout(BOUND_S):
        async with lock_wait_limit(connection):
            await connection.execute(update(User).values(name="uncommitted"))
            async with lock_wait_limit(other):
                seen = await other.scalar(select(User.name))
                await other.rollback()
            await connection.rollback()
    assert seen == "original"


@pytest.mark.isolation("truncate")
async def test_repeatable_read_keeps_its_snapshot(
    engine: AsyncEngine, connection: AsyncConnection
) -> None:
    """Under REPEATABLE READ a transaction keeps seeing the rows as of its first query."""
    reader = await connection.execution_options(isolation_level="REPEATABLE READ")
    async with asyncio.timeout(BOUND_S):
        async with lock_wait_limit(reader):
            assert await user_count(reader) == 0
            async with engine.connect() as writer, lock_wait_limit(writer):
                await add_user(writer, "later@example.com")
                await writer.commit()
            assert await user_count(reader) == 0
            await reader.rollback()
    assert await user_count(reader) == 1


@pytest.mark.isolation("truncate")
async def test_repeatable_read_rejects_update_of_row_changed_since_snapshot(
    engine: AsyncEngine, connection: AsyncConnection, other: AsyncConnection
) -> None:
    """Under REPEATABLE READ, updating a row another transaction changed and committed since
    the snapshot fails with a serialization failure (SQLSTATE 40001)."""
    counter_id = await committed_counter(engine, "rr")
    first = await connection.execution_options(isolation_level="REPEATABLE READ")
    async with asyncio.timeout(BOUND_S):
        async with lock_wait_limit(first):
            assert await hits_of(first, counter_id) == 0
            async with lock_wait_limit(other):
                await other.execute(update(Counter).values(hits=10))
                await other.commit()
            with pytest.raises(DBAPIError) as failed:
                await first.execute(update(Counter).values(hits=Counter.hits + 1))
            await first.rollback()
    assert sqlstate(failed.value) == SERIALIZATION_FAILURE


@pytest.mark.isolation("truncate")
async def test_serializable_prevents_write_skew(
    engine: AsyncEngine, connection: AsyncConnection, other: AsyncConnection
) -> None:
    """Two SERIALIZABLE transactions that each read the table then insert cannot both commit:
    the second fails with a serialization failure (SQLSTATE 40001)."""
    first = await connection.execution_options(isolation_level="SERIALIZABLE")
    second = await other.execution_options(isolation_level="SERIALIZABLE")
    async with asyncio.timeout(BOUND_S):
        async with lock_wait_limit(first), lock_wait_limit(second):
            assert await user_count(first) == 0
            assert await user_count(second) == 0
            await add_user(first, "on-call-1@example.com")
            await add_user(second, "on-call-2@example.com")
            await first.commit()
            with pytest.raises(DBAPIError) as failed:
                await second.commit()
            await second.rollback()
    assert sqlstate(failed.value) == SERIALIZATION_FAILURE
    assert await user_count(second) == 1


# --- two connections: concurrent writers ---------------------------------------------------


@pytest.mark.isolation("truncate")
async def test_read_then_write_loses_a_concurrent_update(
    engine: AsyncEngine, connection: AsyncConnection, other: AsyncConnection
) -> None:
    """Under the default level, two transactions that read a value and write back value + 1
    both succeed, and one increment is lost."""
    counter_id = await committed_counter(engine, "lost")
    async with asyncio.timeout(BOUND_S):
        async with lock_wait_limit(connection), lock_wait_limit(other):
            seen_first = await hits_of(connection, counter_id)
            seen_second = await hits_of(other, counter_id)
            await connection.execute(update(Counter).values(hits=seen_first + 1))
            # The second writer blocks on the first one's row lock until it commits.
            second_write = asyncio.create_task(
                other.execute(update(Counter).values(hits=seen_second + 1))
            )
            try:
                await connection.commit()
            finally:
                await settle(second_write)
            second_write.result()
            await other.commit()
    async with engine.connect() as conn:
        assert await hits_of(conn, counter_id) == 1


@pytest.mark.isolation("truncate")
async def test_atomic_increments_from_two_connections_both_apply(
    engine: AsyncEngine, connection: AsyncConnection, other: AsyncConnection
) -> None:
    """Two `SET hits = hits + 1` updates of one row from two open transactions both apply: the
    second waits for the first and re-reads the row."""
    counter_id = await committed_counter(engine, "atomic")
    async with asyncio.timeout(BOUND_S):
        async with lock_wait_limit(connection), lock_wait_limit(other):
            await connection.execute(update(Counter).values(hits=Counter.hits + 1))
            assert await hits_of(other, counter_id) == 0  # readers are not blocked
            second_write = asyncio.create_task(
                other.execute(update(Counter).values(hits=Counter.hits + 1))
            )
            try:
                await connection.commit()
            finally:
                await settle(second_write)
            second_write.result()
            await other.commit()
    async with engine.connect() as conn:
        assert await hits_of(conn, counter_id) == 2


@pytest.mark.isolation("truncate")
async def test_second_writer_to_locked_row_gives_up_at_lock_timeout(
    engine: AsyncEngine, connection: AsyncConnection, other: AsyncConnection
) -> None:
    """A writer blocked by another transaction's uncommitted update of the same row fails with
    a lock-timeout error (SQLSTATE 55P03) once its lock timeout passes."""
    counter_id = await committed_counter(engine, "locked")
    async with asyncio.timeout(BOUND_S):
        async with lock_wait_limit(connection):
            await connection.execute(update(Counter).values(hits=1))
            async with lock_wait_limit(other):
                with pytest.raises(DBAPIError) as blocked:
                    await other.execute(
                        update(Counter).where(Counter.id == counter_id).values(hits=2)
                    )
                await other.rollback()
            await connection.rollback()
    assert sqlstate(blocked.value) == LOCK_NOT_AVAILABLE


@pytest.mark.isolation("truncate")
async def test_writers_to_different_rows_do_not_block_each_other(
    engine: AsyncEngine, connection: AsyncConnection, other: AsyncConnection
) -> None:
    """Two open transactions can each update a different row of the same table and both commit."""
    first_id = await committed_counter(engine, "row-a")
    second_id = await committed_counter(engine, "row-b")
    async with asyncio.timeout(BOUND_S):
        async with lock_wait_limit(connection), lock_wait_limit(other):
            await connection.execute(update(Counter).where(Counter.id == first_id).values(hits=1))
            await other.execute(update(Counter).where(Counter.id == second_id).values(hits=2))
            await other.commit()
            await connection.commit()
    async with engine.connect() as conn:
        assert (await hits_of(conn, first_id), await hits_of(conn, second_id)) == (1, 2)


@pytest.mark.isolation("truncate")
async def test_select_for_update_blocks_a_second_locker(
    engine: AsyncEngine, connection: AsyncConnection, other: AsyncConnection
) -> None:
    """A row read with SELECT ... FOR UPDATE cannot be locked by another transaction until the
    first ends: the second locker gives up at its lock timeout (SQLSTATE 55P03)."""
    counter_id = await committed_counter(engine, "for-update")
    locking_read = select(Counter.hits).where(Counter.id == counter_id).with_for_update()
    async with asyncio.timeout(BOUND_S):
        async with lock_wait_limit(connection):
            assert await connection.scalar(locking_read) == 0
            async with lock_wait_limit(other):
                with pytest.raises(DBAPIError) as blocked:
                    await other.scalar(locking_read)
                await other.rollback()
            await connection.rollback()
    assert sqlstate(blocked.value) == LOCK_NOT_AVAILABLE


@pytest.mark.isolation("truncate")
async def test_for_update_nowait_fails_at_once_on_locked_row(
    engine: AsyncEngine, connection: AsyncConnection, other: AsyncConnection
) -> None:
    """SELECT ... FOR UPDATE NOWAIT on a row another transaction holds fails immediately
    (SQLSTATE 55P03) instead of waiting."""
    counter_id = await committed_counter(engine, "nowait")
    row = select(Counter.hits).where(Counter.id == counter_id)
    async with asyncio.timeout(BOUND_S):
        async with lock_wait_limit(connection):
            assert await connection.scalar(row.with_for_update()) == 0
            async with lock_wait_limit(other):
                with pytest.raises(DBAPIError) as refused:
                    await other.scalar(row.with_for_update(nowait=True))
                await other.rollback()
            await connection.rollback()
    assert sqlstate(refused.value) == LOCK_NOT_AVAILABLE


async def test_read_only_transaction_refuses_writes(connection: AsyncConnection) -> None:
    """In a transaction set READ ONLY, a write fails with read_only_sql_transaction (25006)."""
    await connection.execute(text("SET TRANSACTION READ ONLY"))
    with pytest.raises(DBAPIError) as refused:
        await add_user(connection, "reader@example.com")
    assert sqlstate(refused.value) == "25006"


async def test_advisory_lock_is_granted_within_the_transaction(connection: AsyncConnection) -> None:
    """``pg_try_advisory_xact_lock(key)`` takes an application lock held until the transaction
    ends (used for 'run this job once' guards)."""
    assert await connection.scalar(text("SELECT pg_try_advisory_xact_lock(4242)")) is True
