import os
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession
from taskboard.models import Project, Task, Worker

# A fresh in-memory SQLite database for every test: fast, and nothing outlives a test.
TEST_DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///:memory:")


@pytest.fixture(scope="function")
async def engine() -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(
        TEST_DATABASE_URL,
        echo=False,
        connect_args={"check_same_thread": False} if TEST_DATABASE_URL.startswith("sqlite") else {},
    )
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)

    yield engine

    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.drop_all)
    await engine.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is rolled back after the test."""
    async with engine.connect() as conn:
        await conn.begin()
        make_session = sessionmaker(bind=conn, class_=AsyncSession, expire_on_commit=False)
        async with make_session() as session:
            yield session
        await conn.rollback()


@pytest.fixture
async def project(session) -> Project:
    project = Project(name="Test Project", status="active")
    session.add(project)
    await session.flush()
    return project


@pytest.fixture
async def worker(session) -> Worker:
    worker = Worker(handle="@tester", type="human", email="test@example.com")
    session.add(worker)
    await session.flush()
    return worker


@pytest.fixture
async def task(session, project, worker) -> Task:
    task = Task(title="Test Task", project_id=project.id, created_by_id=worker.id)
    session.add(task)
    await session.flush()
    return task
