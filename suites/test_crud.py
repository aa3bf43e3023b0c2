"""Create, read, update and delete through the ORM, as PostgreSQL does them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from suites.schema import Project, Task, TaskStatus, User, Worker


async def test_insert_assigns_primary_key(session: AsyncSession) -> None:
    """Inserting a row assigns it an integer primary key on flush."""
    project = Project(name="Hermes")
    session.add(project)
    await session.flush()
    assert isinstance(project.id, int)
    assert project.id > 0


async def test_read_by_primary_key(session: AsyncSession, task: Task) -> None:
    """A row can be read back by primary key with the values it was written with."""
    session.expunge_all()
    found = await session.get(Task, task.id)
    assert found is not None
    assert (found.title, found.project_id) == ("Write the plan", task.project_id)


async def test_read_missing_row_returns_none(session: AsyncSession) -> None:
    """Looking up a primary key that does not exist returns None, not an error."""
    assert await session.get(Task, 999_999) is None


async def test_update_changes_stored_value(session: AsyncSession, task: Task) -> None:
    """Updating an attribute and flushing changes what a fresh query reads."""
    task.title = "Rewrite the plan"
    await session.flush()
    stored = await session.scalar(select(Task.title).where(Task.id == task.id))
    assert stored == "Rewrite the plan"


async def test_delete_removes_row(session: AsyncSession, task: Task) -> None:
    """A deleted row is gone for later queries in the same transaction."""
    task_id = task.id
    await session.delete(task)
    await session.flush()
    assert await session.scalar(select(func.count()).where(Task.id == task_id)) == 0


async def test_python_side_default_applies(
    session: AsyncSession, project: Project, worker: Worker
) -> None:
    """A column default set in Python (task status) is applied when the value is omitted."""
    task = Task(title="Defaults", project_id=project.id, created_by_id=worker.id)
    session.add(task)
    await session.flush()
    assert task.status is TaskStatus.pending


async def test_server_default_is_fetched(
    session: AsyncSession, worker: Worker, project: Project
) -> None:
    """A server-side default (priority 0) is visible after a refresh."""
    task = Task(title="Server default", project_id=project.id, created_by_id=worker.id)
    session.add(task)
    await session.flush()
    await session.refresh(task)
    assert task.priority == 0


async def test_server_timestamp_default_is_timezone_aware(
    session: AsyncSession, project: Project
) -> None:
    """A `now()` server default on a timestamptz column comes back as an aware datetime."""
    await session.refresh(project)
    assert isinstance(project.created_at, dt.datetime)
    assert project.created_at.tzinfo is not None


async def test_bulk_insert_many_rows(session: AsyncSession) -> None:
    """An executemany insert of 500 rows stores all of them."""
    rows = [{"email": f"user{i}@example.com", "name": f"User {i}"} for i in range(500)]
    await session.execute(insert(User), rows)
    assert await session.scalar(select(func.count()).select_from(User)) == 500


async def test_bulk_update_by_criteria(
    session: AsyncSession, project: Project, worker: Worker
) -> None:
    """An UPDATE ... WHERE changes exactly the matching rows and reports their count."""
    session.add_all(
        Task(title=f"t{i}", project_id=project.id, created_by_id=worker.id, priority=i % 3)
        for i in range(9)
    )
    await session.flush()
    result = await session.execute(
        update(Task)
        .where(Task.priority == 2)
        .values(priority=10)
        .execution_options(synchronize_session=False)
    )
    assert result.rowcount == 3  # type: ignore[attr-defined]
    assert await session.scalar(select(func.count()).where(Task.priority == 10)) == 3


async def test_bulk_delete_by_criteria(session: AsyncSession) -> None:
    """A DELETE ... WHERE removes exactly the matching rows and reports their count."""
    await session.execute(insert(User), [{"email": f"d{i}@x.org", "name": "d"} for i in range(10)])
    result = await session.execute(
        delete(User).where(User.email.like("d1%")).execution_options(synchronize_session=False)
    )
    assert result.rowcount == 1  # type: ignore[attr-defined]
    assert await session.scalar(select(func.count()).select_from(User)) == 9


async def test_fixture_chain_links_task_to_project_and_worker(
    task: Task, project: Project, worker: Worker
) -> None:
    """Chained fixtures (project, worker, then task) produce rows that reference each other."""
    assert task.project_id == project.id
    assert task.created_by_id == worker.id


async def test_commit_inside_test_is_visible_in_same_session(session: AsyncSession) -> None:
    """After code under test commits, its rows stay visible to the same session."""
    session.add(User(email="commit@example.com", name="Committed"))
    await session.commit()
    assert (
        await session.scalar(select(User.name).where(User.email == "commit@example.com"))
        == "Committed"
    )


async def test_onupdate_sets_updated_at(session: AsyncSession, task: Task) -> None:
    """An `onupdate=now()` column is filled in when the row is updated."""
    assert task.updated_at is None
    task.title = "Touched"
    await session.flush()
    await session.refresh(task)
    assert task.updated_at is not None
