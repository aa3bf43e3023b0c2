"""What single operations cost on each backend, through the ORM as application code does them.

Every case runs inside the default rollback fixture (the ``session`` fixture), so the tables
only ever hold the rows a case adds, and nothing survives it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import selectinload

from dbparity.backends import Backend
from dbparity.engines import build_engine
from suites.bench.conftest import LoopRunner
from suites.bench.data import add_project_with_tasks, add_users, unique, user_rows
from suites.schema import Project, User

pytestmark = pytest.mark.benchmark(group="operations")

FAST = 300  # rounds (full mode) for operations of well under a millisecond
SLOW = 40  # rounds for operations of several milliseconds
PAGE_SIZE = 20
PAGES = 100


def test_insert_one_row(benchmark: Any, aio: LoopRunner, session: AsyncSession) -> None:
    """Insert one row (ORM add + flush)"""

    async def body() -> None:
        session.add(User(email=f"one{unique()}@example.com", name="One"))
        await session.flush()

    aio.bench(benchmark, body, rounds=FAST)


def test_bulk_insert(benchmark: Any, aio: LoopRunner, session: AsyncSession) -> None:
    """Bulk insert 1,000 rows (executemany)"""

    async def body() -> None:
        await session.execute(insert(User), user_rows(1000))

    aio.bench(benchmark, body, rounds=SLOW)


def test_primary_key_lookup(benchmark: Any, aio: LoopRunner, session: AsyncSession) -> None:
    """Primary-key lookup"""
    ids = aio.run(lambda: add_users(session, 1000))
    wanted = ids[len(ids) // 2]

    async def body() -> None:
        user = (await session.execute(select(User).where(User.id == wanted))).scalar_one()
        assert user.id == wanted

    aio.bench(benchmark, body, rounds=FAST)


def test_indexed_filter(benchmark: Any, aio: LoopRunner, session: AsyncSession) -> None:
    """Indexed filter (a range of 100 on a unique column)"""
    ids = aio.run(lambda: add_users(session, 2000))
    emails = aio.run(
        lambda: session.scalars(select(User.email).where(User.id.in_([ids[500], ids[600]])))
    )
    low, high = sorted(emails)

    async def body() -> None:
        rows = (
            await session.scalars(select(User).where(User.email >= low, User.email < high))
        ).all()
        assert len(rows) == 100

    aio.bench(benchmark, body, rounds=FAST)


def test_paginated_list(benchmark: Any, aio: LoopRunner, session: AsyncSession) -> None:
    """Paginated list (page 50 of 100, 20 a page)"""
    aio.run(lambda: add_users(session, PAGE_SIZE * PAGES))

    async def body() -> None:
        page = (
            await session.scalars(
                select(User).order_by(User.id).offset(49 * PAGE_SIZE).limit(PAGE_SIZE)
            )
        ).all()
        assert len(page) == PAGE_SIZE

    aio.bench(benchmark, body, rounds=FAST)


def test_parent_with_children(benchmark: Any, aio: LoopRunner, session: AsyncSession) -> None:
    """Load a parent with 100 children (selectinload)"""
    project_id = aio.run(lambda: add_project_with_tasks(session, 100))

    async def body() -> None:
        project = (
            await session.execute(
                select(Project)
                .where(Project.id == project_id)
                .options(selectinload(Project.tasks))
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        assert len(project.tasks) == 100

    aio.bench(benchmark, body, rounds=FAST)


def test_update(benchmark: Any, aio: LoopRunner, session: AsyncSession) -> None:
    """Update one row (ORM attribute + flush)"""
    ids = aio.run(lambda: add_users(session, 1))
    user = aio.run(lambda: session.get(User, ids[0]))
    assert user is not None

    async def body() -> None:
        user.name = f"Renamed {unique()}"
        await session.flush()

    aio.bench(benchmark, body, rounds=FAST)


def test_delete(benchmark: Any, aio: LoopRunner, session: AsyncSession) -> None:
    """Delete one row (ORM delete + flush)"""

    async def setup() -> tuple[User]:
        user = User(email=f"gone{unique()}@example.com", name="Gone")
        session.add(user)
        await session.flush()
        return (user,)

    async def body(user: User) -> None:
        await session.delete(user)
        await session.flush()

    aio.bench(benchmark, body, setup=setup, rounds=FAST)


def test_pool_checkout(benchmark: Any, aio: LoopRunner, engine: AsyncEngine) -> None:
    """Pool checkout and return"""

    async def body() -> None:
        async with engine.connect():
            pass

    aio.bench(benchmark, body, rounds=FAST)


def test_first_connection(
    benchmark: Any, aio: LoopRunner, engine: AsyncEngine, backend: Backend
) -> None:
    """The engine's first connection (new engine, connect)"""
    url = engine.url

    async def setup() -> tuple[AsyncEngine]:
        return (build_engine(backend, url),)

    async def body(fresh: AsyncEngine) -> None:
        async with fresh.connect():
            pass

    async def teardown(fresh: AsyncEngine) -> None:
        await fresh.dispose()

    aio.bench(benchmark, body, setup=setup, teardown=teardown, rounds=SLOW)
