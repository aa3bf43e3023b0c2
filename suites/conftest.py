"""Data fixtures for the conformance suites, chained on the plugin's ``session`` fixture.

Each fixture flushes (never commits) so ids exist and the rollback fixture still discards all.
"""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession

from suites.schema import Base, Project, Task, User, Worker


@pytest.fixture(scope="session")
def dbparity_metadata() -> MetaData:
    return Base.metadata


@pytest.fixture
async def project(session: AsyncSession) -> Project:
    project = Project(name="Apollo")
    session.add(project)
    await session.flush()
    return project


@pytest.fixture
async def worker(session: AsyncSession) -> Worker:
    worker = Worker(handle="@tester", type="human", email="tester@example.com")
    session.add(worker)
    await session.flush()
    return worker


@pytest.fixture
async def task(session: AsyncSession, project: Project, worker: Worker) -> Task:
    task = Task(title="Write the plan", project_id=project.id, created_by_id=worker.id)
    session.add(task)
    await session.flush()
    return task


@pytest.fixture
async def user(session: AsyncSession) -> User:
    user = User(email="ada@example.com", name="Ada")
    session.add(user)
    await session.flush()
    return user
