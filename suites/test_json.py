"""JSON columns in queries: reading elements, comparing, grouping and building documents, as
PostgreSQL's ``json`` type (what SQLAlchemy's generic ``JSON`` creates there) behaves."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from suites._dialect import sqlstate
from suites.schema import User

GOLD = {"tier": "gold", "age": 41, "vip": True, "score": 9.5, "tags": ["a", "b", "c"], "🚀": "go"}
SILVER = {"tier": "silver", "age": 29, "vip": False, "score": 7.25, "tags": ["x"]}


@pytest.fixture
async def members(session: AsyncSession) -> None:
    await session.execute(
        insert(User),
        [
            {"email": "gold@x.org", "name": "Gold", "profile": GOLD},
            {"email": "silver@x.org", "name": "Silver", "profile": SILVER},
            {"email": "twin@x.org", "name": "Twin", "profile": SILVER},
        ],
    )


async def _first(session: AsyncSession, column: object) -> object:
    return await session.scalar(select(column).where(User.name == "Gold"))


# --- reading elements ---------------------------------------------------------------------------


async def test_number_read_as_text_is_a_string(session: AsyncSession, members: None) -> None:
    """A JSON number read with ``as_string()`` comes back as the string '41'."""
    assert await _first(session, User.profile["age"].as_string()) == "41"


async def test_boolean_read_as_text_is_true_or_false(session: AsyncSession, members: None) -> None:
    """A JSON boolean read with ``as_string()`` comes back as the string 'true'."""
    assert await _first(session, User.profile["vip"].as_string()) == "true"


async def test_float_element_reads_as_float(session: AsyncSession, members: None) -> None:
    """``as_float()`` reads a JSON number as a float."""
    assert await _first(session, User.profile["score"].as_float()) == 9.5


async def test_element_without_cast_is_deserialised(session: AsyncSession, members: None) -> None:
    """An element selected without ``as_*()`` comes back deserialised (a list stays a list)."""
    assert await _first(session, User.profile["tags"]) == ["a", "b", "c"]


async def test_array_element_by_index(session: AsyncSession, members: None) -> None:
    """An array element is read by its zero-based index."""
    assert await _first(session, User.profile[("tags", 1)].as_string()) == "b"


async def test_negative_index_counts_from_the_end(session: AsyncSession, members: None) -> None:
    """Index -1 reads the last element of a JSON array."""
    assert await _first(session, User.profile[("tags", -1)].as_string()) == "c"


async def test_element_with_emoji_key(session: AsyncSession, members: None) -> None:
    """An element whose key is outside the Basic Multilingual Plane ('🚀') can be read."""
    assert await _first(session, User.profile["🚀"].as_string()) == "go"


async def test_array_length(session: AsyncSession, members: None) -> None:
    """json_array_length() counts the elements of an array."""
    assert await _first(session, func.json_array_length(User.profile["tags"])) == 3


async def test_ordering_by_a_numeric_element(session: AsyncSession, members: None) -> None:
    """Ordering by ``as_integer()`` sorts numerically."""
    order = await session.scalars(
        select(User.name).order_by(User.profile["age"].as_integer().desc(), User.name)
    )
    assert order.all() == ["Gold", "Silver", "Twin"]


# --- comparing JSON ------------------------------------------------------------------------------


# --- absent keys and nulls ----------------------------------------------------------------------


async def test_element_of_an_absent_key_is_sql_null(session: AsyncSession, members: None) -> None:
    """``profile["nope"]`` (a JSON element) of a document without that key is SQL NULL, so
    ``.is_(None)`` finds every row."""
    found = await session.scalar(
        select(func.count()).select_from(User).where(User.profile["nope"].is_(None))
    )
    assert found == 3


async def test_absent_nested_path_reads_as_null(session: AsyncSession, members: None) -> None:
    """Reading a path below an absent key gives NULL, not an error; both databases agree."""
    assert await _first(session, User.profile[("nope", "deeper")].as_string()) is None


async def test_index_past_the_end_reads_as_null(session: AsyncSession, members: None) -> None:
    """An array index past the end reads as NULL; both databases agree."""
    assert await _first(session, User.profile[("tags", 10)].as_string()) is None


async def test_element_holding_json_null_reads_as_null(session: AsyncSession) -> None:
    """A key holding JSON null reads as NULL with ``as_string()``; both databases agree."""
    await session.execute(
        insert(User).values(email="n@x.org", name="Gold", profile={"note": None, "a.b": "dot"})
    )
    assert await _first(session, User.profile["note"].as_string()) is None


async def test_key_with_a_dot_is_one_key(session: AsyncSession) -> None:
    """``profile["a.b"]`` reads the key named "a.b", not a path; both databases agree."""
    await session.execute(
        insert(User).values(email="d@x.org", name="Gold", profile={"a.b": "dot", "a": {"b": 0}})
    )
    assert await _first(session, User.profile["a.b"].as_string()) == "dot"


async def test_element_compared_without_cast_is_refused(
    session: AsyncSession, members: None
) -> None:
    """Comparing a JSON element with a value without ``as_string()`` is an error: the json type
    has no equality operator (42883)."""
    with pytest.raises(ProgrammingError) as caught:
        await session.execute(select(User.name).where(User.profile["tier"] == "gold"))
    assert sqlstate(caught.value) == "42883"


async def test_whole_document_equality_is_refused(session: AsyncSession, members: None) -> None:
    """``profile == {...}`` is an error on a json column (no equality operator, 42883)."""
    with pytest.raises(ProgrammingError) as caught:
        await session.execute(select(User.name).where(User.profile == GOLD))
    assert sqlstate(caught.value) == "42883"


async def test_distinct_over_json_column_is_refused(session: AsyncSession, members: None) -> None:
    """SELECT DISTINCT over a json column is an error (it cannot compare json values, 42883)."""
    with pytest.raises(ProgrammingError) as caught:
        await session.execute(select(User.profile).distinct())
    assert sqlstate(caught.value) == "42883"


async def test_group_by_json_column_is_refused(session: AsyncSession, members: None) -> None:
    """GROUP BY a json column is an error (42883)."""
    with pytest.raises(ProgrammingError) as caught:
        await session.execute(select(User.profile, func.count()).group_by(User.profile))
    assert sqlstate(caught.value) == "42883"


async def test_malformed_document_is_refused(session: AsyncSession) -> None:
    """Raw SQL writing text that is not JSON into a json column is refused (22P02)."""
    with pytest.raises(DBAPIError) as caught:
        await session.execute(
            text("INSERT INTO users (email, name, profile) VALUES ('bad@x.org', 'Bad', '{bad')")
        )
    assert sqlstate(caught.value) == "22P02"


# --- building and expanding JSON in SQL ----------------------------------------------------------


async def test_json_agg_builds_an_array(session: AsyncSession, members: None) -> None:
    """json_agg() collects values into a JSON array."""
    names = await session.scalar(text("SELECT json_agg(name ORDER BY name) FROM users"))
    assert names in (["Gold", "Silver", "Twin"], '["Gold", "Silver", "Twin"]')


async def test_json_array_elements_expands_an_array(session: AsyncSession, members: None) -> None:
    """json_array_elements_text() turns an array into one row per element."""
    rows = await session.scalars(
        text(
            "SELECT e FROM users, json_array_elements_text(profile -> 'tags') AS e "
            "WHERE name = 'Gold' ORDER BY e"
        )
    )
    assert rows.all() == ["a", "b", "c"]
