"""A small FastAPI application with a request-scoped session, as a user's project has one."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlmodel import Field, SQLModel


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(50))


class Hero(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str


# Production's engine: never connected in the tests (the dependency is overridden).
engine = create_async_engine("postgresql+asyncpg://app@production.invalid/app")
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session)]


app = FastAPI()


@app.post("/notes")
async def create_note(text: str, session: Session) -> dict[str, object]:
    note = Note(text=text)
    session.add(note)
    await session.commit()  # the application commits; the test's rollback still undoes it
    return {"id": note.id, "text": note.text}


@app.get("/notes")
async def list_notes(session: Session) -> list[str]:
    return list((await session.scalars(select(Note.text).order_by(Note.id))).all())
