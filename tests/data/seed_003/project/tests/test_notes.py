import pytest
from notes.models import Author, Note, titles_starting_with
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine


@pytest.fixture
async def author(db_session):
    author = Author(name="ada")
    db_session.add(author)
    await db_session.flush()
    return author


async def test_add_a_note(db_session, author):
    db_session.add(Note(title="first", author_id=author.id))
    await db_session.commit()
    assert await db_session.scalar(select(func.count()).select_from(Note)) == 1


async def test_the_last_test_left_nothing(db_session):
    assert await db_session.scalar(select(func.count()).select_from(Note)) == 0


async def test_author_names_are_unique(db_session, author):
    db_session.add(Author(name="ada"))
    with pytest.raises(IntegrityError):
        await db_session.flush()


async def test_prefix_search_is_case_sensitive(db_session, author):
    db_session.add_all(
        [Note(title=t, author_id=author.id) for t in ("Hello world", "hello there", "Bye")]
    )
    await db_session.flush()
    assert await titles_starting_with(db_session, "Hello") == ["Hello world"]


async def test_code_that_takes_the_url(database):
    """Code that builds its own engine from the URL sees the initialized schema."""
    engine = create_async_engine(database)
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(Author)) == 0
    await engine.dispose()
