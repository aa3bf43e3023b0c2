"""INSERT, UPDATE and upsert details both databases are expected to share: copying rows with
INSERT ... SELECT, RETURNING of no rows, what an upsert returns, and what rowcount counts."""

from __future__ import annotations

from sqlalchemy import insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from suites._dialect import upsert_insert
from suites.schema import Counter, Label, User


async def test_insert_from_select_copies_rows(session: AsyncSession) -> None:
    """``insert(...).from_select(...)`` copies every selected row in one statement."""
    await session.execute(
        insert(User), [{"email": f"u{i}@x.org", "name": f"user {i}"} for i in range(3)]
    )
    await session.execute(insert(Label).from_select(["name"], select(User.name)))
    names = (await session.scalars(select(Label.name).order_by(Label.name))).all()
    assert names == ["user 0", "user 1", "user 2"]


async def test_update_matching_no_row_returns_nothing(session: AsyncSession) -> None:
    """``update(...).returning(...)`` that matches no row returns an empty result, not None."""
    statement = update(User).where(User.email == "nobody@x.org").values(name="x")
    assert (await session.scalars(statement.returning(User.id))).all() == []


async def test_upsert_do_nothing_returning_gives_only_new_rows(session: AsyncSession) -> None:
    """ON CONFLICT DO NOTHING ... RETURNING returns the inserted rows, not the skipped ones."""
    await session.execute(insert(Counter).values(name="old"))
    statement = (
        upsert_insert(session, Counter)
        .values([{"name": "old"}, {"name": "new"}])
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(Counter.name)
    )
    assert (await session.scalars(statement)).all() == ["new"]


async def test_update_rowcount_counts_matched_rows(session: AsyncSession) -> None:
    """An UPDATE's rowcount counts the rows it matched, also those it left unchanged."""
    await session.execute(
        insert(User), [{"email": f"r{i}@x.org", "name": "same"} for i in range(3)]
    )
    result = await session.execute(
        update(User).where(User.name == literal("same")).values(name="same"),
        execution_options={"synchronize_session": False},
    )
    assert result.rowcount == 3  # type: ignore[attr-defined]
