import asyncio
import json

import asyncpg
import pytest


async def test_create_user(db_conn):
    await db_conn.execute(
        "INSERT INTO users (email, name) VALUES ($1, $2)", "test@example.com", "Test User"
    )
    row = await db_conn.fetchrow("SELECT * FROM users WHERE email = $1", "test@example.com")
    assert (row["name"], row["email"]) == ("Test User", "test@example.com")
    assert row["id"] is not None and row["created_at"] is not None


async def test_fetch_multiple_rows(db_conn):
    for i in range(5):
        await db_conn.execute(
            "INSERT INTO users (email, name) VALUES ($1, $2)", f"user{i}@example.com", "User"
        )
    rows = await db_conn.fetch("SELECT email FROM users ORDER BY email")
    assert [r["email"] for r in rows] == [f"user{i}@example.com" for i in range(5)]


async def test_pool_serves_concurrent_requests(db_pool):
    async def one() -> int:
        async with db_pool.acquire() as conn:
            return await conn.fetchval("SELECT 1")

    assert await asyncio.gather(*(one() for _ in range(20))) == [1] * 20


async def test_pool_takes_back_a_connection_after_an_error(db_pool):
    idle = db_pool.get_idle_size()
    with pytest.raises(asyncpg.UndefinedTableError):
        async with db_pool.acquire() as conn:
            await conn.fetch("SELECT * FROM nonexistent_table")
    assert db_pool.get_idle_size() >= idle


async def test_failed_transaction_rolls_back(db_conn):
    await db_conn.execute("INSERT INTO users (email, name) VALUES ($1, $2)", "tx@test.com", "Tx")
    user_id = await db_conn.fetchval("SELECT id FROM users WHERE email = $1", "tx@test.com")
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        async with db_conn.transaction():
            await db_conn.execute(
                "INSERT INTO orders (user_id, total) VALUES ($1, $2)", user_id, 100
            )
            await db_conn.execute("INSERT INTO orders (user_id, total) VALUES ($1, $2)", 99999, 5)
    assert await db_conn.fetchval("SELECT count(*) FROM orders WHERE user_id = $1", user_id) == 0


async def test_jsonb_codec(db_pool):
    async with db_pool.acquire() as conn:
        await conn.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
        await conn.execute("CREATE TEMP TABLE json_test (data JSONB)")
        await conn.execute("INSERT INTO json_test VALUES ($1)", {"key": "value"})
        assert await conn.fetchval("SELECT data FROM json_test") == {"key": "value"}


@pytest.mark.parametrize(
    ("email", "name"),
    [("alice@test.com", "Alice"), ("BOB@TEST.COM", "Bob"), ("charlie+tag@test.com", "Charlie")],
)
async def test_user_creation_variants(db_conn, email, name):
    await db_conn.execute("INSERT INTO users (email, name) VALUES ($1, $2)", email, name)
    assert await db_conn.fetchval("SELECT name FROM users WHERE email = $1", email) == name
