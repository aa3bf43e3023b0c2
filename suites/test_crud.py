"""Create, read, update and delete through the ORM, as PostgreSQL does them."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from suites._dialect import sqlstate, upsert_insert
from suites.schema import Counter, Project, Task, TaskStatus, User, Worker


async def test_insert_assigns_primary_key(session: AsyncSession) -> None:
    """Inserting a row assigns it an integer primary key on flush."""
    project = Project(name="Hermes")
    session.add(project)
    await session.flush()
    assert isinstance(project.id, int)
    assert project.id > 0


async def test_read_by_primary_key(session: AsyncSession, task: Task) -> None:
    """A row can be read back by primary key with the values it was written with."""
    session.expunge_all()
    found = await session.get(Task, task.id)
    assert found is not None
    assert (found.title, found.project_id) == ("Write the plan", task.project_id)


async def test_read_missing_row_returns_none(session: AsyncSession) -> None:
    """Looking up a primary key that does not exist returns None, not an error."""
    assert await session.get(Task, 999_999) is None


async def test_update_changes_stored_value(session: AsyncSession, task: Task) -> None:
    """Updating an attribute and flushing changes what a fresh query reads."""
    task.title = "Rewrite the plan"
    await session.flush()
    stored = await session.scalar(select(Task.title).where(Task.id == task.id))
    assert stored == "Rewrite the plan"


async def test_delete_removes_row(session: AsyncSession, task: Task) -> None:
    """A deleted row is gone for later queries in the same transaction."""
    task_id = task.id
    await session.delete(task)
    await session.flush()
    assert await session.scalar(select(func.count()).where(Task.id == task_id)) == 0


async def test_python_side_default_applies(
    session: AsyncSession, project: Project, worker: Worker
) -> None:
    """A column default set in Python (task status) is applied when the value is omitted."""
    task = Task(title="Defaults", project_id=project.id, created_by_id=worker.id)
    session.add(task)
    await session.flush()
    assert task.status is TaskStatus.pending


async def test_server_default_is_fetched(
    session: AsyncSession, worker: Worker, project: Project
) -> None:
    """A server-side default (priority 0) is visible after a refresh."""
    task = Task(title="Server default", project_id=project.id, created_by_id=worker.id)
    session.add(task)
    await session.flush()
    await session.refresh(task)
    assert task.priority == 0


async def test_server_timestamp_default_is_timezone_aware(
    session: AsyncSession, project: Project
) -> None:
    """A `now()` server default on a timestamptz column comes back as an aware datetime."""
    await session.refresh(project)
    assert isinstance(project.created_at, dt.datetime)
    assert project.created_at.tzinfo is not None


async def test_bulk_insert_many_rows(session: AsyncSession) -> None:
    """An executemany insert of 500 rows stores all of them."""
    rows = [{"email": f"user{i}@example.com", "name": f"User {i}"} for i in range(500)]
    await session.execute(insert(User), rows)
    assert await session.scalar(select(func.count()).select_from(User)) == 500


async def test_bulk_update_by_criteria(
    session: AsyncSession, project: Project, worker: Worker
) -> None:
    """An UPDATE ... WHERE changes exactly the matching rows and reports their count."""
    session.add_all(
        Task(title=f"t{i}", project_id=project.id, created_by_id=worker.id, priority=i % 3)
        for i in range(9)
    )
    await session.flush()
    result = await session.execute(
        update(Task)
        .where(Task.priority == 2)
        .values(priority=10)
        .execution_options(synchronize_session=False)
    )
    assert result.rowcount == 3  # type: ignore[attr-defined]
    assert await session.scalar(select(func.count()).where(Task.priority == 10)) == 3


async def test_bulk_delete_by_criteria(session: AsyncSession) -> None:
    """A DELETE ... WHERE removes exactly the matching rows and reports their count."""
    await session.execute(insert(User), [{"email": f"d{i}@x.org", "name": "d"} for i in range(10)])
    result = await session.execute(
        delete(User).where(User.email.like("d1%")).execution_options(synchronize_session=False)
    )
    assert result.rowcount == 1  # type: ignore[attr-defined]
    assert await session.scalar(select(func.count()).select_from(User)) == 9


async def test_fixture_chain_links_task_to_project_and_worker(
    task: Task, project: Project, worker: Worker
) -> None:
    """Chained fixtures (project, worker, then task) produce rows that reference each other."""
    assert task.project_id == project.id
    assert task.created_by_id == worker.id


async def test_commit_inside_test_is_visible_in_same_session(session: AsyncSession) -> None:
    """After code under test commits, its rows stay visible to the same session."""
    session.add(User(email="commit@example.com", name="Committed"))
    await session.commit()
    assert (
        await session.scalar(select(User.name).where(User.email == "commit@example.com"))
        == "Committed"
    )


async def test_onupdate_sets_updated_at(session: AsyncSession, task: Task) -> None:
    """An `onupdate=now()` column is filled in when the row is updated."""
    assert task.updated_at is None
    task.title = "Touched"
    await session.flush()
    await session.refresh(task)
    assert task.updated_at is not None


# --- RETURNING ---------------------------------------------------------------------------------


async def test_insert_returning_gives_server_generated_values(session: AsyncSession) -> None:
    """INSERT ... RETURNING hands back the generated key and server-side defaults in one trip."""
    row = (
        await session.execute(
            insert(Project).values(name="Returning").returning(Project.id, Project.created_at)
        )
    ).one()
    assert isinstance(row.id, int)
    assert row.created_at is not None


async def test_update_returning_gives_new_values(
    session: AsyncSession, project: Project, worker: Worker
) -> None:
    """UPDATE ... RETURNING returns every changed row with its values after the update."""
    session.add_all(
        Task(title=f"r{i}", project_id=project.id, created_by_id=worker.id, priority=i)
        for i in range(4)
    )
    await session.flush()
    rows = (
        await session.execute(
            update(Task)
            .where(Task.priority >= 2)
            .values(priority=Task.priority + 10)
            .returning(Task.title, Task.priority)
            .execution_options(synchronize_session=False)
        )
    ).all()
    assert sorted((r.title, r.priority) for r in rows) == [("r2", 12), ("r3", 13)]


async def test_delete_returning_gives_removed_rows(session: AsyncSession) -> None:
    """DELETE ... RETURNING returns the rows it removed."""
    await session.execute(
        insert(User), [{"email": f"gone{i}@x.org", "name": "g"} for i in range(3)]
    )
    emails = (
        await session.scalars(
            delete(User)
            .where(User.email != "gone1@x.org")
            .returning(User.email)
            .execution_options(synchronize_session=False)
        )
    ).all()
    assert sorted(emails) == ["gone0@x.org", "gone2@x.org"]


async def test_insert_many_returning_keeps_parameter_order(session: AsyncSession) -> None:
    """A multi-row INSERT ... RETURNING can return the keys in the order the rows were given."""
    names = [f"ordered-{i:03d}" for i in reversed(range(50))]
    ids = (
        await session.scalars(
            insert(Project).returning(Project.id, sort_by_parameter_order=True),
            [{"name": n} for n in names],
        )
    ).all()
    stored = dict((await session.execute(select(Project.id, Project.name))).all())
    assert [stored[i] for i in ids] == names


# --- bulk ----------------------------------------------------------------------------------------


async def test_bulk_orm_insert_assigns_every_primary_key(session: AsyncSession) -> None:
    """Adding 200 objects and flushing gives each its own primary key."""
    projects = [Project(name=f"bulk-{i}") for i in range(200)]
    session.add_all(projects)
    await session.flush()
    ids = {p.id for p in projects}
    assert None not in ids
    assert len(ids) == 200


async def test_bulk_update_by_primary_key(session: AsyncSession) -> None:
    """An ORM bulk UPDATE from a list of dicts keyed by primary key changes each named row."""
    await session.execute(insert(User), [{"email": f"b{i}@x.org", "name": "old"} for i in range(6)])
    ids = (await session.scalars(select(User.id).order_by(User.id))).all()
    await session.execute(update(User), [{"id": i, "name": f"new-{i}"} for i in ids[:3]])
    names = (await session.scalars(select(User.name).order_by(User.id))).all()
    assert names == [f"new-{i}" for i in ids[:3]] + ["old"] * 3


async def test_bulk_insert_fills_server_defaults(session: AsyncSession) -> None:
    """An executemany INSERT fills a server-side default (created_at) on every row."""
    await session.execute(insert(Project), [{"name": f"sd{i}"} for i in range(20)])
    total, missing = (
        await session.execute(
            select(func.count(), func.count().filter(Project.created_at.is_(None))).select_from(
                Project
            )
        )
    ).one()
    assert (total, missing) == (20, 0)


# --- upsert (INSERT ... ON CONFLICT) -------------------------------------------------------------


async def _counter(session: AsyncSession, name: str, hits: int = 1) -> int:
    counter = Counter(name=name, hits=hits)
    session.add(counter)
    await session.flush()
    return counter.id


async def test_upsert_do_nothing_keeps_existing_row(session: AsyncSession) -> None:
    """ON CONFLICT DO NOTHING skips a conflicting row, returns nothing and keeps the original."""
    await _counter(session, "visits", hits=7)
    stmt = upsert_insert(session, Counter).values(name="visits", hits=1)
    returned = (
        await session.scalars(
            stmt.on_conflict_do_nothing(index_elements=["name"]).returning(Counter.id)
        )
    ).all()
    assert returned == []
    rows = (await session.execute(select(Counter.name, Counter.hits))).all()
    assert rows == [("visits", 7)]


async def test_upsert_do_nothing_inserts_new_row(session: AsyncSession) -> None:
    """ON CONFLICT DO NOTHING inserts a row that conflicts with nothing."""
    await _counter(session, "visits")
    stmt = upsert_insert(session, Counter).values(name="clicks", hits=3)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
    names = (await session.scalars(select(Counter.name).order_by(Counter.name))).all()
    assert names == ["clicks", "visits"]


async def test_upsert_do_update_merges_with_excluded(session: AsyncSession) -> None:
    """ON CONFLICT DO UPDATE can combine the stored value with the proposed one (EXCLUDED)."""
    first_id = await _counter(session, "visits", hits=5)
    stmt = upsert_insert(session, Counter).values(name="visits", hits=2)
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"], set_={"hits": Counter.hits + stmt.excluded.hits}
    ).returning(Counter.id, Counter.hits)
    row = (await session.execute(stmt)).one()
    assert (row.id, row.hits) == (first_id, 7)


async def test_upsert_do_update_where_false_changes_nothing(session: AsyncSession) -> None:
    """ON CONFLICT DO UPDATE ... WHERE leaves the row alone when the condition is false."""
    await _counter(session, "visits", hits=5)
    stmt = upsert_insert(session, Counter).values(name="visits", hits=99)
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"], set_={"hits": stmt.excluded.hits}, where=Counter.hits > 10
    ).returning(Counter.id)
    assert (await session.scalars(stmt)).all() == []
    assert await session.scalar(select(Counter.hits)) == 5


async def test_upsert_many_rows_mixes_inserts_and_updates(session: AsyncSession) -> None:
    """A multi-row upsert inserts the new keys and updates the existing ones in one statement."""
    await _counter(session, "a", hits=1)
    await _counter(session, "b", hits=1)
    stmt = upsert_insert(session, Counter).values(
        [{"name": "b", "hits": 10}, {"name": "c", "hits": 10}]
    )
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["name"], set_={"hits": stmt.excluded.hits})
    )
    rows = (await session.execute(select(Counter.name, Counter.hits).order_by(Counter.name))).all()
    assert [tuple(r) for r in rows] == [("a", 1), ("b", 10), ("c", 10)]


async def test_upsert_same_key_twice_in_one_statement_is_refused(session: AsyncSession) -> None:
    """An upsert whose rows hit the same key twice fails (it cannot affect a row a second time)."""
    stmt = upsert_insert(session, Counter).values(
        [{"name": "dup", "hits": 1}, {"name": "dup", "hits": 2}]
    )
    with pytest.raises(DBAPIError) as caught:
        await session.execute(
            stmt.on_conflict_do_update(index_elements=["name"], set_={"hits": stmt.excluded.hits})
        )
    assert sqlstate(caught.value) == "21000"  # cardinality_violation


async def test_upsert_can_target_constraint_by_name(session: AsyncSession) -> None:
    """ON CONFLICT can name the unique constraint to arbitrate on (ON CONSTRAINT name)."""
    await _counter(session, "visits", hits=5)
    stmt = upsert_insert(session, Counter).values(name="visits", hits=1)
    await session.execute(stmt.on_conflict_do_nothing(constraint="uq_counters_name"))
    assert await session.scalar(select(Counter.hits)) == 5


async def test_upsert_without_matching_unique_index_is_an_error(session: AsyncSession) -> None:
    """ON CONFLICT on columns that have no unique index or constraint is rejected."""
    stmt = upsert_insert(session, Counter).values(name="visits", hits=1)
    with pytest.raises(DBAPIError):
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["hits"]))


# --- identity, sequences and server clocks -------------------------------------------------------


async def test_identity_column_uses_declared_start_and_increment(session: AsyncSession) -> None:
    """An IDENTITY (START 100 INCREMENT 5) column hands out 100, 105, ... not 1, 2, ..."""
    first = await _counter(session, "first")
    second = await _counter(session, "second")
    assert first >= 100
    assert first % 5 == 0
    assert second - first == 5


async def test_key_rolled_back_is_not_reused(session: AsyncSession) -> None:
    """A key handed out inside a rolled-back savepoint is never handed out again."""
    async with session.begin_nested() as nested:
        discarded = Project(name="discarded")
        session.add(discarded)
        await session.flush()
        discarded_id = discarded.id
        await nested.rollback()
    kept = Project(name="kept")
    session.add(kept)
    await session.flush()
    assert kept.id > discarded_id


async def test_explicit_key_does_not_advance_the_sequence(session: AsyncSession) -> None:
    """Inserting an explicit id leaves the sequence alone: the next generated id is not id + 1."""
    explicit = Project(id=1_000_000, name="explicit")
    session.add(explicit)
    await session.flush()
    generated = Project(name="generated")
    session.add(generated)
    await session.flush()
    assert generated.id < 1_000_000


async def test_now_is_frozen_for_the_whole_transaction(session: AsyncSession, task: Task) -> None:
    """now() is fixed at transaction start: a later update in it stamps the same time.

    Under rollback isolation a whole test is one transaction, so this is what tests see.
    """
    await asyncio.sleep(1.1)  # not a timing assertion: moves past a one-second clock resolution
    task.title = "Touched later"
    await session.flush()
    await session.refresh(task)
    assert task.updated_at == task.created_at


async def test_deleted_highest_key_is_not_reused(session: AsyncSession) -> None:
    """After the row with the highest key is deleted, the next row gets a new key, not its key."""
    first = Project(name="first")
    last = Project(name="last")
    session.add_all([first, last])
    await session.flush()
    deleted_id = last.id
    await session.delete(last)
    await session.flush()
    after = Project(name="after")
    session.add(after)
    await session.flush()
    assert after.id > deleted_id


# --- statements users write against several tables -----------------------------------------------


async def test_stream_yields_every_row(session: AsyncSession) -> None:
    """``session.stream_scalars`` (a server-side cursor where the driver has one) yields every
    row of a large result in order."""
    await session.execute(
        insert(User), [{"email": f"s{i:03d}@x.org", "name": "s"} for i in range(300)]
    )
    streamed = [
        email
        async for email in await session.stream_scalars(
            select(User.email).order_by(User.email).execution_options(yield_per=50)
        )
    ]
    assert streamed == [f"s{i:03d}@x.org" for i in range(300)]


async def test_update_with_condition_on_another_table(
    session: AsyncSession, task: Task, project: Project
) -> None:
    """An UPDATE whose WHERE names another table (UPDATE ... FROM) changes the matching rows."""
    result = await session.execute(
        update(Task)
        .where(Task.project_id == Project.id, Project.name == project.name)
        .values(priority=9)
        .execution_options(synchronize_session=False)
    )
    assert result.rowcount == 1  # type: ignore[attr-defined]
    assert await session.scalar(select(Task.priority).where(Task.id == task.id)) == 9


async def test_delete_with_condition_on_another_table(
    session: AsyncSession, task: Task, project: Project
) -> None:
    """A DELETE whose WHERE names another table (DELETE ... USING) removes the matching rows."""
    await session.execute(
        delete(Task)
        .where(Task.project_id == Project.id, Project.name == project.name)
        .execution_options(synchronize_session=False)
    )
    assert await session.scalar(select(func.count()).select_from(Task)) == 0


@pytest.mark.parametrize("prefix", ["OR IGNORE", "OR REPLACE"])
async def test_insert_or_ignore_syntax_is_refused(
    session: AsyncSession, project: Project, prefix: str
) -> None:
    """``insert().prefix_with('OR IGNORE')`` (SQLite's conflict syntax) is a syntax error
    (42601): the portable spelling is ON CONFLICT."""
    with pytest.raises(ProgrammingError) as caught:
        await session.execute(insert(Project).prefix_with(prefix).values(name=project.name))
    assert sqlstate(caught.value) == "42601"
