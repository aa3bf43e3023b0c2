"""Row builders for the benchmarks: one realistic test's fixture data, and bulk tables."""

from __future__ import annotations

import decimal
import itertools

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from suites.schema import Label, Order, Project, Task, User, Worker

_unique = itertools.count()


def unique() -> int:
    """A number never used before in this process: unique keys across rounds."""
    return next(_unique)


async def add_fixture_data(session: AsyncSession) -> None:
    """What a typical test's fixture chain adds: a project, three workers, ten tasks (two of
    them subtasks) with labels, and a user with three orders. About 25 rows, four flushes."""
    n = unique()
    project = Project(name=f"Apollo {n}")
    workers = [
        Worker(handle=f"@w{n}-{i}", type="human" if i else "agent", email=f"w{i}@example.com")
        for i in range(3)
    ]
    labels = [Label(name=f"label {n}-{i}") for i in range(3)]
    session.add_all([project, *workers, *labels])
    await session.flush()
    tasks = [
        Task(
            title=f"Task {i}",
            project_id=project.id,
            created_by_id=workers[i % 3].id,
            assignee_id=workers[(i + 1) % 3].id,
            priority=i % 3,
            labels=[labels[i % 3]],
        )
        for i in range(8)
    ]
    session.add_all(tasks)
    await session.flush()
    session.add_all(
        Task(
            title=f"Subtask {i}",
            project_id=project.id,
            created_by_id=workers[0].id,
            parent_task_id=tasks[i].id,
        )
        for i in range(2)
    )
    user = User(email=f"user{n}@example.com", name="Ada")
    session.add(user)
    await session.flush()
    session.add_all(Order(user_id=user.id, total=decimal.Decimal("9.99") * i) for i in range(3))
    await session.flush()


def user_rows(count: int) -> list[dict[str, object]]:
    """``count`` users with unique, zero-padded emails (so a range of them is a prefix range)."""
    n = unique()
    return [{"email": f"u{n:05d}-{i:05d}@example.com", "name": f"User {i}"} for i in range(count)]


async def add_users(session: AsyncSession, count: int) -> list[int]:
    """Insert ``count`` users; return their ids in insertion order."""
    rows = user_rows(count)
    await session.execute(insert(User), rows)
    emails = [r["email"] for r in rows]
    ids = await session.scalars(select(User.id).where(User.email.in_(emails)).order_by(User.email))
    return list(ids)


async def add_project_with_tasks(session: AsyncSession, children: int) -> int:
    """A project with ``children`` tasks; returns the project's id."""
    n = unique()
    project = Project(name=f"Parent {n}")
    worker = Worker(handle=f"@parent{n}", type="human")
    session.add_all([project, worker])
    await session.flush()
    await session.execute(
        insert(Task),
        [
            {"title": f"Child {i}", "project_id": project.id, "created_by_id": worker.id}
            for i in range(children)
        ],
    )
    return project.id
