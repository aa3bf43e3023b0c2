"""DDL written by hand or by Alembic that PostgreSQL runs differently: dropping tables others
depend on, table locks, identifier limits and case, type changes that need USING.

Each case changes the schema inside the test's own transaction (rollback isolation), as the
schema suite does: the tables it creates vanish with it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IdentifierError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from suites._dialect import sqlstate


async def _migrate(connection: AsyncConnection, upgrade: Callable[[Operations], None]) -> None:
    """Run ``upgrade(op)`` as an Alembic migration on the test's connection."""

    def run(sync_conn: sa.Connection) -> None:
        upgrade(Operations(MigrationContext.configure(sync_conn)))

    await connection.run_sync(run)


async def _refused(connection: AsyncConnection, sql: str) -> str | None:
    with pytest.raises(DBAPIError) as caught:
        await connection.execute(text(sql))
    return sqlstate(caught.value)


async def _exists(connection: AsyncConnection, name: str) -> bool:
    return await connection.run_sync(lambda c: sa.inspect(c).has_table(name))


@pytest.fixture
async def shelf(connection: AsyncConnection) -> AsyncConnection:
    """A ``shelves`` table with one row and a view reading it."""
    await connection.execute(text("CREATE TABLE shelves (id INTEGER PRIMARY KEY, label TEXT)"))
    await connection.execute(text("INSERT INTO shelves (id, label) VALUES (1, 'a')"))
    await connection.execute(text("CREATE VIEW shelf_labels AS SELECT label FROM shelves"))
    return connection


# --- DROP TABLE ---------------------------------------------------------------------------------


async def test_drop_table_a_view_depends_on_is_refused(shelf: AsyncConnection) -> None:
    """DROP TABLE of a table a view reads is refused (2BP01: other objects depend on it)."""
    assert await _refused(shelf, "DROP TABLE shelves") == "2BP01"


async def test_drop_table_cascade_drops_the_dependent_view(shelf: AsyncConnection) -> None:
    """DROP TABLE ... CASCADE drops the table and the views that read it."""
    await shelf.execute(text("DROP TABLE shelves CASCADE"))
    views = await shelf.run_sync(lambda c: sa.inspect(c).get_view_names())
    assert "shelf_labels" not in views
    assert not await _exists(shelf, "shelves")


async def test_drop_table_referenced_by_a_foreign_key_is_refused(
    connection: AsyncConnection,
) -> None:
    """DROP TABLE of a table another table's foreign key references is refused (2BP01), even
    when no row refers to it."""
    await connection.execute(text("CREATE TABLE racks (id INTEGER PRIMARY KEY)"))
    await connection.execute(
        text("CREATE TABLE slots (id INTEGER PRIMARY KEY, rack_id INTEGER REFERENCES racks(id))")
    )
    assert await _refused(connection, "DROP TABLE racks") == "2BP01"


async def test_drop_several_tables_in_one_statement(connection: AsyncConnection) -> None:
    """``DROP TABLE a, b`` drops both tables."""
    await connection.execute(text("CREATE TABLE bins_a (id INTEGER PRIMARY KEY)"))
    await connection.execute(text("CREATE TABLE bins_b (id INTEGER PRIMARY KEY)"))
    await connection.execute(text("DROP TABLE bins_a, bins_b"))
    assert not await _exists(connection, "bins_a")
    assert not await _exists(connection, "bins_b")


# --- locks --------------------------------------------------------------------------------------


async def test_lock_table_takes_an_exclusive_lock(connection: AsyncConnection) -> None:
    """``LOCK TABLE labels IN ACCESS EXCLUSIVE MODE`` holds that lock until the transaction
    ends."""
    await connection.execute(text("LOCK TABLE labels IN ACCESS EXCLUSIVE MODE"))
    mode = await connection.scalar(
        text(
            "SELECT mode FROM pg_locks WHERE relation = 'labels'::regclass "
            "AND pid = pg_backend_pid()"
        )
    )
    assert mode == "AccessExclusiveLock"


# --- identifiers --------------------------------------------------------------------------------


async def test_index_name_longer_than_63_characters_is_refused(
    connection: AsyncConnection,
) -> None:
    """An index named with more than 63 characters is refused (SQLAlchemy's IdentifierError:
    PostgreSQL's identifiers are at most 63 bytes)."""
    table = sa.Table(
        "gadgets",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50)),
        sa.Index("ix_gadgets_" + "name_" * 12, "name"),
    )
    with pytest.raises(IdentifierError):
        await connection.run_sync(table.create)


async def test_table_names_equal_in_their_first_63_characters_collide(
    connection: AsyncConnection,
) -> None:
    """Two table names that differ only after 63 characters name one table: the second
    CREATE TABLE fails (42P07: relation already exists)."""
    stem = "t" * 63
    await connection.execute(text(f"CREATE TABLE {stem}_first (id INTEGER)"))
    assert await _refused(connection, f"CREATE TABLE {stem}_second (id INTEGER)") == "42P07"


async def test_quoted_names_differing_in_case_are_distinct_columns(
    connection: AsyncConnection,
) -> None:
    """Quoted "Name" and "name" are two columns of one table."""
    table = sa.Table(
        "contacts",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("Name", sa.String(50)),
        sa.Column("name", sa.String(50)),
    )
    await connection.run_sync(table.create)
    await connection.execute(table.insert().values(id=1, Name="Upper", name="lower"))
    row = (await connection.execute(sa.select(table.c.Name, table.c.name))).one()
    assert tuple(row) == ("Upper", "lower")


# --- changing columns ---------------------------------------------------------------------------


def _flags(op: Operations) -> None:
    op.create_table(
        "flags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("enabled", sa.Integer, nullable=False),
    )


@pytest.fixture
async def flags(connection: AsyncConnection) -> AsyncConnection:
    """A ``flags`` table whose integer column holds 0 and 1."""
    await _migrate(connection, _flags)
    await connection.execute(text("INSERT INTO flags (id, enabled) VALUES (1, 0), (2, 1)"))
    return connection


async def test_integer_column_to_boolean_needs_using(flags: AsyncConnection) -> None:
    """Alembic's ``alter_column(type_=Boolean)`` on an integer column is refused (42804: the
    column cannot be cast automatically), even in batch mode: it needs postgresql_using."""

    def upgrade(op: Operations) -> None:
        with op.batch_alter_table("flags") as batch:
            batch.alter_column("enabled", existing_type=sa.Integer, type_=sa.Boolean)

    with pytest.raises(DBAPIError) as caught:
        await _migrate(flags, upgrade)
    assert sqlstate(caught.value) == "42804"


async def test_integer_column_to_boolean_with_using_converts(flags: AsyncConnection) -> None:
    """With ``postgresql_using='enabled <> 0'`` the same change converts 0 and 1 to false and
    true (the portable spelling: SQLite's batch copy ignores the option)."""

    def upgrade(op: Operations) -> None:
        with op.batch_alter_table("flags") as batch:
            batch.alter_column(
                "enabled",
                existing_type=sa.Integer,
                type_=sa.Boolean,
                postgresql_using="enabled <> 0",
            )

    await _migrate(flags, upgrade)
    table = sa.table("flags", sa.column("id"), sa.column("enabled", sa.Boolean))
    rows = await flags.execute(sa.select(table.c.enabled).order_by(table.c.id))
    assert rows.scalars().all() == [False, True]


async def test_add_column_if_not_exists_is_idempotent(connection: AsyncConnection) -> None:
    """``ALTER TABLE ... ADD COLUMN IF NOT EXISTS`` adds the column once and then does
    nothing."""
    await connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
    for _ in range(2):
        await connection.execute(text("ALTER TABLE notes ADD COLUMN IF NOT EXISTS body TEXT"))
    columns = await connection.run_sync(lambda c: sa.inspect(c).get_columns("notes"))
    assert [c["name"] for c in columns] == ["id", "body"]


async def test_check_constraint_is_enforced(connection: AsyncConnection) -> None:
    """A CHECK constraint refuses a row that breaks it; both databases enforce it."""
    await connection.execute(
        text("CREATE TABLE stock (id INTEGER PRIMARY KEY, qty INTEGER CHECK (qty >= 0))")
    )
    with pytest.raises(IntegrityError):
        await connection.execute(text("INSERT INTO stock (id, qty) VALUES (1, -1)"))
