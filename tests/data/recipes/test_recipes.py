"""One test per recipe of the README."""

from app import Hero, Note
from sqlalchemy import func, select, text


class TestNotesApi:
    async def test_post_then_get(self, client):
        response = await client.post("/notes", params={"text": "hi"})
        assert response.status_code == 200, response.text
        assert (await client.get("/notes")).json() == ["hi"]

    async def test_the_commit_was_rolled_back(self, client):
        assert (await client.get("/notes")).json() == []


async def test_sqlmodel_through_the_db_alias(db):
    db.add(Hero(name="Ada"))
    await db.commit()
    assert [hero.name for hero in (await db.scalars(select(Hero))).all()] == ["Ada"]


async def test_raw_connection_is_inside_the_rollback(dbparity_raw_connection, session):
    await dbparity_raw_connection.execute("INSERT INTO notes (text) VALUES ('raw')")
    assert (await session.scalar(select(func.count()).select_from(Note))) == 1


async def test_nothing_is_left_behind(session):
    assert (await session.scalar(select(func.count()).select_from(Note))) == 0
    assert (await session.scalar(select(func.count()).select_from(Hero))) == 0


async def test_code_that_takes_a_dsn(dbparity_dsn, backend, session):
    if backend.family == "postgresql":
        import asyncpg

        connection = await asyncpg.connect(dbparity_dsn)
        try:
            assert await connection.fetchval("SELECT count(*) FROM notes") == 0
        finally:
            await connection.close()
    else:
        assert dbparity_dsn  # SQLite: the database path (":memory:" is this process's own)
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
