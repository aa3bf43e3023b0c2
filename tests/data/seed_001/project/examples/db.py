from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from examples.settings import get_db_settings

engine = create_async_engine(url=get_db_settings().async_connection_string)

async_session_global = async_sessionmaker(
    bind=engine, class_=AsyncSession, autoflush=False, expire_on_commit=False
)


async def get_async_session() -> AsyncIterator[AsyncSession]:
    async with async_session_global() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
            raise
