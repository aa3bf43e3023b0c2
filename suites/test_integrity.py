"""Constraints: which violations raise what, what the error tells you, and how to recover."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from suites._dialect import constraint_name, sqlstate
from suites.schema import Project, Task, Worker

Violation = Callable[[AsyncSession, Project, Worker], Awaitable[object]]


async def _duplicate_name(session: AsyncSession, project: Project, worker: Worker) -> object:
    return await session.execute(insert(Project).values(name=project.name))


async def _missing_handle(session: AsyncSession, project: Project, worker: Worker) -> object:
    return await session.execute(insert(Worker).values(handle=None, type="human"))


async def _dangling_project(session: AsyncSession, project: Project, worker: Worker) -> object:
    return await session.execute(
        insert(Task).values(title="t", project_id=project.id + 10_000, created_by_id=worker.id)
    )


async def _bad_worker_type(session: AsyncSession, project: Project, worker: Worker) -> object:
    return await session.execute(insert(Worker).values(handle="@robot", type="robot"))


# kind -> (statement that violates it, SQLSTATE PostgreSQL reports, constraint it names)
VIOLATIONS: dict[str, tuple[Violation, str, str | None]] = {
    "unique": (_duplicate_name, "23505", "uq_projects_name"),
    "not_null": (_missing_handle, "23502", None),
    "foreign_key": (_dangling_project, "23503", "fk_tasks_project_id_projects"),
    "check": (_bad_worker_type, "23514", "ck_workers_type"),
}
NAMED = [kind for kind, (_, _, name) in VIOLATIONS.items() if name]


async def _violate(
    session: AsyncSession, project: Project, worker: Worker, kind: str
) -> IntegrityError:
    statement = VIOLATIONS[kind][0]
    with pytest.raises(IntegrityError) as caught:
        await statement(session, project, worker)
    return caught.value


@pytest.mark.parametrize("kind", list(VIOLATIONS))
async def test_violation_raises_integrity_error(
    session: AsyncSession, project: Project, worker: Worker, kind: str
) -> None:
    """A unique / not-null / foreign-key / check violation raises IntegrityError.

    Underneath it sits the driver's own DB-API IntegrityError (``exc.orig``).
    """
    error = await _violate(session, project, worker, kind)
    dbapi = session.get_bind().dialect.dbapi
    assert dbapi is not None
    assert isinstance(error.orig, dbapi.IntegrityError)


@pytest.mark.parametrize("kind", list(VIOLATIONS))
async def test_violation_carries_sqlstate(
    session: AsyncSession, project: Project, worker: Worker, kind: str
) -> None:
    """The error carries the standard SQLSTATE of its kind (23505, 23502, 23503, 23514)."""
    error = await _violate(session, project, worker, kind)
    assert sqlstate(error) == VIOLATIONS[kind][1]


@pytest.mark.parametrize("kind", NAMED)
async def test_violation_names_the_constraint(
    session: AsyncSession, project: Project, worker: Worker, kind: str
) -> None:
    """The driver reports which named constraint was violated, without parsing the message."""
    error = await _violate(session, project, worker, kind)
    assert constraint_name(error) == VIOLATIONS[kind][2]


async def test_session_is_usable_after_rollback(session: AsyncSession, project: Project) -> None:
    """After a failed flush and rollback(), the same session writes and reads normally."""
    session.add(Project(name=project.name))
    with pytest.raises(IntegrityError):
        await session.flush()
    await session.rollback()
    session.add(Project(name="After the rollback"))
    await session.flush()
    names = (await session.scalars(select(Project.name))).all()
    assert names == ["After the rollback"]


async def test_error_aborts_the_rest_of_the_transaction(connection: AsyncConnection) -> None:
    """After a failed statement, later statements in the transaction are refused until rollback.

    Only rolling back the transaction (or a savepoint around the failure) recovers.
    """
    await connection.execute(insert(Project).values(name="taken"))
    with pytest.raises(IntegrityError):
        await connection.execute(insert(Project).values(name="taken"))
    with pytest.raises(DBAPIError) as caught:
        await connection.execute(text("SELECT 1"))
    assert sqlstate(caught.value) == "25P02"  # in_failed_sql_transaction


async def test_failed_multi_row_insert_stores_nothing(
    session: AsyncSession, project: Project
) -> None:
    """A multi-row INSERT with one duplicate fails as a whole: none of its rows are stored."""
    rows = [{"name": "new-1"}, {"name": project.name}, {"name": "new-2"}]
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await session.execute(insert(Project).values(rows))
    names = (await session.scalars(select(Project.name))).all()
    assert names == [project.name]


async def test_string_longer_than_its_limit_is_refused(session: AsyncSession) -> None:
    """Writing 41 characters into a VARCHAR(40) column is refused (SQLSTATE 22001)."""
    with pytest.raises(DBAPIError) as caught:
        await session.execute(insert(Worker).values(handle="@" + "x" * 40, type="human"))
    assert sqlstate(caught.value) == "22001"  # string_data_right_truncation


async def test_value_too_long_raises_data_error(session: AsyncSession) -> None:
    """A value too long for its column raises DataError, the DB-API class for bad data.

    So a handler can tell bad input from other failures by exception type alone.
    """
    with pytest.raises(DataError):
        await session.execute(insert(Worker).values(handle="@" + "x" * 40, type="human"))


async def test_string_limit_counts_characters_not_bytes(session: AsyncSession) -> None:
    """VARCHAR(40) holds 40 four-byte emoji: the limit counts characters, not bytes."""
    handle = "🦄" * 40
    await session.execute(insert(Worker).values(handle=handle, type="agent"))
    stored = await session.scalar(select(Worker.handle))
    assert stored == handle
    assert await session.scalar(select(func.length(Worker.handle))) == 40


async def test_unique_column_allows_many_nulls(session: AsyncSession) -> None:
    """A UNIQUE column accepts any number of NULLs: NULLs never collide."""
    await session.execute(
        insert(Worker), [{"handle": f"@n{i}", "type": "human", "badge": None} for i in range(3)]
    )
    assert await session.scalar(select(func.count()).where(Worker.badge.is_(None))) == 3


async def test_unique_constraint_is_case_sensitive(session: AsyncSession, project: Project) -> None:
    """A UNIQUE text column treats 'Apollo' and 'apollo' as different values."""
    session.add(Project(name=project.name.lower()))
    await session.flush()
    assert await session.scalar(select(func.count()).select_from(Project)) == 2


async def test_duplicate_primary_key_is_refused(session: AsyncSession, project: Project) -> None:
    """Inserting a row with an existing primary key raises IntegrityError."""
    with pytest.raises(IntegrityError):
        await session.execute(insert(Project).values(id=project.id, name="Other"))
