from collections.abc import AsyncIterator

import pytest
from examples.main import Example, app
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import SQLModel

engine = create_async_engine(
    url="postgresql+asyncpg://examples:examples@localhost:5432/test_examples",
    echo=True,
)


@pytest.fixture(scope="session")
async def async_db_engine() -> AsyncIterator[AsyncEngine]:
    """The tables, once for the run; dropped at its end."""
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)

    yield engine

    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.drop_all)


@pytest.fixture
async def async_db(async_db_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session for the test; the app commits on its own connections, so every table is
    truncated after each test."""
    make_session = sessionmaker(
        expire_on_commit=False,
        autoflush=False,
        bind=async_db_engine,
        class_=AsyncSession,
    )
    async with make_session() as session:
        await session.begin()

        yield session

        await session.rollback()
        for table in reversed(SQLModel.metadata.sorted_tables):
            await session.execute(text(f"TRUNCATE {table.name} CASCADE;"))
            await session.commit()


@pytest.fixture(scope="session")
async def async_client() -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


@pytest.fixture
async def async_example_orm(async_db: AsyncSession) -> Example:
    example = Example(name="test", age=18, nick_name="my_nick")
    async_db.add(example)
    await async_db.commit()
    await async_db.refresh(example)
    return example
