"""A small pytest plugin (as a project would pip-install one): database fixtures built on a
``database_url`` fixture and an ``init_database`` fixture that the project defines.

- ``database``: the URL of the run's database, created (dropped first if it exists) and
  initialized once; dropped at the end.
- ``db_session``: an ``AsyncSession`` inside a transaction that is rolled back after the test.

``--database-url`` overrides the project's URL.
"""

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--database-url", default="", help="use this database URL instead")


@pytest.fixture(scope="session")
def _database_url(database_url: str, request: pytest.FixtureRequest) -> URL:
    return make_url(request.config.getoption("database_url") or database_url)


async def _recreate(url: URL) -> None:
    """An empty database of that name: PostgreSQL's dropped (if there) and created; a SQLite
    file removed (SQLite creates it on first connect; an in-memory one starts empty)."""
    if url.get_backend_name() == "sqlite":
        name = url.database or ""
        if name and name != ":memory:" and not name.startswith("file:"):
            Path(name).unlink(missing_ok=True)
        return
    await _drop(url)
    server = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with server.connect() as conn:
        await conn.execute(text(f"CREATE DATABASE \"{url.database}\" ENCODING 'utf8'"))
    await server.dispose()


async def _drop(url: URL) -> None:
    if url.get_backend_name() == "sqlite":
        return
    server = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with server.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    await server.dispose()


@pytest.fixture(scope="session")
async def _engine(
    _database_url: URL, init_database: Callable[..., Any]
) -> AsyncIterator[AsyncEngine]:
    await _recreate(_database_url)
    engine = create_async_engine(_database_url)
    async with engine.begin() as conn:
        await conn.run_sync(init_database)
    yield engine
    await engine.dispose()
    await _drop(_database_url)


@pytest.fixture(scope="session")
def database(_engine: AsyncEngine) -> str:
    return _engine.url.render_as_string(hide_password=False)


@pytest.fixture
async def db_session(_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with _engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(bind=connection, expire_on_commit=False)
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()
