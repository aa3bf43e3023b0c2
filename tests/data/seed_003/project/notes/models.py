from sqlalchemy import ForeignKey, MetaData, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = MetaData()


class Base(DeclarativeBase):
    metadata = metadata


class Author(Base):
    __tablename__ = "author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


class Note(Base):
    __tablename__ = "note"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id"))


async def titles_starting_with(session: AsyncSession, prefix: str) -> list[str]:
    """Titles with exactly this prefix (case matters: "Hello" is not "hello")."""
    query = select(Note.title).where(Note.title.like(f"{prefix}%")).order_by(Note.title)
    return list((await session.scalars(query)).all())
