"""Schema changes: Alembic migrations, DDL written by hand, reflection and autogenerate, as
PostgreSQL runs them.

Every case changes the schema inside the test's own transaction (rollback isolation): DDL is
transactional on PostgreSQL and on SQLite, so the tables a case creates vanish with it, and the
shared schema is never touched. Alembic runs through ``MigrationContext`` + ``Operations`` on
the test's connection, exactly as ``env.py`` would run a migration's ``upgrade()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection

from suites._dialect import sqlstate
from suites.schema import Base


async def _migrate(connection: AsyncConnection, upgrade: Callable[[Operations], None]) -> None:
    """Run ``upgrade(op)`` as an Alembic migration on the test's connection."""

    def run(sync_conn: sa.Connection) -> None:
        upgrade(Operations(MigrationContext.configure(sync_conn)))

    await connection.run_sync(run)


def _invoices(op: Operations) -> None:
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(20), nullable=False, unique=True),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
        sa.Column("note", sa.String(10)),
        sa.CheckConstraint("amount >= 0", name="ck_invoices_amount"),
    )


@pytest.fixture
async def invoices(connection: AsyncConnection) -> AsyncConnection:
    """The first migration applied: an ``invoices`` table with one row."""
    await _migrate(connection, _invoices)
    await connection.execute(text("INSERT INTO invoices (number, amount) VALUES ('A-1', 10)"))
    return connection


async def _columns(connection: AsyncConnection, table: str) -> dict[str, dict[str, Any]]:
    columns = await connection.run_sync(lambda c: inspect(c).get_columns(table))
    return {c["name"]: c for c in columns}


# --- Alembic migrations ---------------------------------------------------------------------------


async def test_migration_creates_a_table_with_its_constraints(invoices: AsyncConnection) -> None:
    """``op.create_table`` creates the table with its unique and check constraints enforced."""
    with pytest.raises(IntegrityError):
        async with invoices.begin_nested():
            await invoices.execute(text("INSERT INTO invoices (number, amount) VALUES ('A-1', 5)"))
    with pytest.raises(IntegrityError):
        async with invoices.begin_nested():
            await invoices.execute(text("INSERT INTO invoices (number, amount) VALUES ('B', -1)"))


async def test_migration_adds_a_nullable_column(invoices: AsyncConnection) -> None:
    """``op.add_column`` adds a nullable column; existing rows read NULL."""
    await _migrate(invoices, lambda op: op.add_column("invoices", sa.Column("paid", sa.Boolean)))
    assert await invoices.scalar(text("SELECT paid FROM invoices")) is None


async def test_migration_adds_not_null_column_with_default(invoices: AsyncConnection) -> None:
    """A NOT NULL column with a server default fills the existing rows."""
    column = sa.Column("currency", sa.String(3), nullable=False, server_default="EUR")
    await _migrate(invoices, lambda op: op.add_column("invoices", column))
    assert await invoices.scalar(text("SELECT currency FROM invoices")) == "EUR"


async def test_migration_adds_column_with_clock_default(invoices: AsyncConnection) -> None:
    """A column added with ``server_default=now()`` fills existing rows with the clock."""
    column = sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now())
    await _migrate(invoices, lambda op: op.add_column("invoices", column))
    assert await invoices.scalar(text("SELECT created_at FROM invoices")) is not None


async def test_migration_changes_a_column_type(invoices: AsyncConnection) -> None:
    """``op.alter_column(type_=...)`` widens a VARCHAR(10) so longer values fit."""
    await _migrate(
        invoices,
        lambda op: op.alter_column("invoices", "note", type_=sa.String(200)),
    )
    assert (await _columns(invoices, "invoices"))["note"]["type"].length == 200


async def test_migration_makes_a_column_not_null(invoices: AsyncConnection) -> None:
    """``op.alter_column(nullable=False)`` makes later NULLs fail."""
    await invoices.execute(text("UPDATE invoices SET note = 'n'"))
    await _migrate(invoices, lambda op: op.alter_column("invoices", "note", nullable=False))
    assert (await _columns(invoices, "invoices"))["note"]["nullable"] is False


async def test_migration_adds_a_foreign_key(invoices: AsyncConnection) -> None:
    """``op.create_foreign_key`` adds a constraint to an existing table."""

    def upgrade(op: Operations) -> None:
        op.add_column("invoices", sa.Column("user_id", sa.Integer))
        op.create_foreign_key("fk_invoices_user", "invoices", "users", ["user_id"], ["id"])

    await _migrate(invoices, upgrade)
    keys = await invoices.run_sync(lambda c: inspect(c).get_foreign_keys("invoices"))
    assert [k["referred_table"] for k in keys] == ["users"]


async def test_migration_adds_a_unique_constraint(invoices: AsyncConnection) -> None:
    """``op.create_unique_constraint`` adds a constraint to an existing table."""
    await _migrate(
        invoices, lambda op: op.create_unique_constraint("uq_invoices_note", "invoices", ["note"])
    )
    uniques = await invoices.run_sync(lambda c: inspect(c).get_unique_constraints("invoices"))
    assert "uq_invoices_note" in {u["name"] for u in uniques}


async def test_migration_renames_a_column(invoices: AsyncConnection) -> None:
    """``op.alter_column(new_column_name=...)`` renames a column and keeps its data."""
    await _migrate(
        invoices, lambda op: op.alter_column("invoices", "number", new_column_name="code")
    )
    assert await invoices.scalar(text("SELECT code FROM invoices")) == "A-1"


async def test_migration_drops_a_column(invoices: AsyncConnection) -> None:
    """``op.drop_column`` removes a column."""
    await _migrate(invoices, lambda op: op.drop_column("invoices", "note"))
    assert "note" not in await _columns(invoices, "invoices")


async def test_batch_migration_changes_a_column_type(invoices: AsyncConnection) -> None:
    """``op.batch_alter_table`` (Alembic's portable spelling) changes a column type and keeps
    the rows."""

    def upgrade(op: Operations) -> None:
        with op.batch_alter_table("invoices") as batch:
            batch.alter_column("note", type_=sa.String(200))

    await _migrate(invoices, upgrade)
    assert (await _columns(invoices, "invoices"))["note"]["type"].length == 200
    assert await invoices.scalar(text("SELECT number FROM invoices")) == "A-1"


async def test_dropped_table_leaves_its_enum_type_behind(connection: AsyncConnection) -> None:
    """Dropping a table does not drop its native enum type, so creating another table with the
    same enum fails with duplicate_object (42710)."""
    mood = sa.Enum("happy", "sad", name="mood")

    def first(op: Operations) -> None:
        op.create_table(
            "diary", sa.Column("id", sa.Integer, primary_key=True), sa.Column("m", mood)
        )
        op.drop_table("diary")

    def second(op: Operations) -> None:
        op.create_table(
            "journal", sa.Column("id", sa.Integer, primary_key=True), sa.Column("m", mood)
        )

    await _migrate(connection, first)
    with pytest.raises(ProgrammingError) as caught:
        await _migrate(connection, second)
    assert sqlstate(caught.value) == "42710"


# --- reflection and autogenerate ------------------------------------------------------------------


async def test_reflection_reports_declared_column_types(connection: AsyncConnection) -> None:
    """Reflecting the schema gives back what was declared: timestamptz stays time-zone aware,
    UUID stays UUID, NUMERIC keeps its precision."""
    columns = await _columns(connection, "typed_values")
    assert columns["stamp"]["type"].timezone is True
    assert isinstance(columns["key"]["type"], sa.Uuid)
    assert (columns["amount"]["type"].precision, columns["amount"]["type"].scale) == (20, 6)


async def test_autogenerate_finds_no_difference_after_create_all(
    connection: AsyncConnection,
) -> None:
    """Alembic autogenerate, run against the schema ``create_all`` built, proposes no change."""

    def diff(sync_conn: sa.Connection) -> list[Any]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    assert await connection.run_sync(diff) == []


# --- DDL written by hand -------------------------------------------------------------------------


async def _ddl_refused(connection: AsyncConnection, ddl: str) -> DBAPIError:
    with pytest.raises(DBAPIError) as caught:
        async with connection.begin_nested():
            await connection.execute(text(ddl))
    return caught.value


async def test_column_without_a_type_is_refused(connection: AsyncConnection) -> None:
    """CREATE TABLE with a column that has no type is a syntax error (42601)."""
    error = await _ddl_refused(connection, "CREATE TABLE untyped (id INTEGER PRIMARY KEY, v)")
    assert sqlstate(error) == "42601"


async def test_foreign_key_to_a_missing_table_is_refused(connection: AsyncConnection) -> None:
    """A foreign key to a table that does not exist is refused at CREATE TABLE (42P01)."""
    error = await _ddl_refused(
        connection, "CREATE TABLE orphan (id INTEGER PRIMARY KEY, x INTEGER REFERENCES nowhere(id))"
    )
    assert sqlstate(error) == "42P01"


async def test_foreign_key_to_a_non_unique_column_is_refused(connection: AsyncConnection) -> None:
    """A foreign key must reference a unique column; otherwise CREATE TABLE fails (42830)."""
    error = await _ddl_refused(
        connection,
        "CREATE TABLE byname (id INTEGER PRIMARY KEY, u VARCHAR(100) REFERENCES users(name))",
    )
    assert sqlstate(error) == "42830"


async def test_integer_default_on_a_boolean_column_is_refused(connection: AsyncConnection) -> None:
    """``server_default=text('0')`` on a Boolean column is refused: an integer is not a boolean
    (datatype_mismatch, 42804)."""
    table = sa.Table(
        "flags",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("on", sa.Boolean, server_default=text("0")),
    )
    with pytest.raises(ProgrammingError) as caught:
        await connection.run_sync(table.create)
    assert sqlstate(caught.value) == "42804"


async def test_primary_key_refuses_null(connection: AsyncConnection) -> None:
    """A text PRIMARY KEY declared in raw DDL refuses NULL (not_null_violation, 23502)."""
    await connection.execute(text("CREATE TABLE codes (code VARCHAR(10) PRIMARY KEY)"))
    with pytest.raises(IntegrityError) as caught:
        await connection.execute(text("INSERT INTO codes (code) VALUES (NULL)"))
    assert sqlstate(caught.value) == "23502"


async def test_unquoted_keyword_as_column_name_is_refused(connection: AsyncConnection) -> None:
    """Raw DDL naming a column with an unquoted reserved word (``user``) is a syntax error."""
    error = await _ddl_refused(connection, "CREATE TABLE kw (id INTEGER PRIMARY KEY, user TEXT)")
    assert sqlstate(error) == "42601"


async def test_reserved_words_as_names_work_through_sqlalchemy(connection: AsyncConnection) -> None:
    """Tables and columns named ``user``, ``order``, ``group`` work through SQLAlchemy, which
    quotes them."""
    table = sa.Table(
        "user",
        sa.MetaData(),
        sa.Column("order", sa.Integer, primary_key=True),
        sa.Column("group", sa.String(10)),
    )
    await connection.run_sync(table.create)
    await connection.execute(table.insert().values({"order": 1, "group": "g"}))
    assert (await connection.execute(select(table))).one() == (1, "g")


async def test_unquoted_mixed_case_name_folds_to_lower_case(connection: AsyncConnection) -> None:
    """A column created as "displayName" (SQLAlchemy quotes it) is not found by raw SQL that
    writes displayName unquoted: unquoted names fold to lower case (42703)."""
    table = sa.Table(
        "people",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("displayName", sa.String(50)),
    )
    await connection.run_sync(table.create)
    error = await _ddl_refused(connection, "SELECT displayName FROM people")
    assert sqlstate(error) == "42703"


async def test_bigint_primary_key_generates_values(connection: AsyncConnection) -> None:
    """A BigInteger primary key gets its values from the database like an Integer one."""
    table = sa.Table(
        "events",
        sa.MetaData(),
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("kind", sa.String(20)),
    )
    await connection.run_sync(table.create)
    result = await connection.execute(table.insert().values(kind="click").returning(table.c.id))
    assert result.scalar_one() >= 1


async def test_computed_column_is_filled_by_the_database(connection: AsyncConnection) -> None:
    """A ``Computed`` (GENERATED ALWAYS AS ... STORED) column is calculated on every write."""
    table = sa.Table(
        "lines",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("qty", sa.Integer),
        sa.Column("price", sa.Integer),
        sa.Column("total", sa.Integer, sa.Computed("qty * price", persisted=True)),
    )
    await connection.run_sync(table.create)
    await connection.execute(table.insert().values(qty=3, price=7))
    await connection.execute(table.update().values(qty=4))
    assert await connection.scalar(select(table.c.total)) == 28


def _partial_unique(**where: Any) -> sa.Table:
    metadata = sa.MetaData()
    table = sa.Table(
        "accounts",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(50)),
        sa.Column("deleted", sa.Boolean, nullable=False),
    )
    sa.Index("uq_accounts_live_email", table.c.email, unique=True, **where)
    return table


@pytest.mark.parametrize(
    "spelling",
    ["postgresql_where", "both_dialects"],
)
async def test_partial_unique_index_allows_duplicates_outside_its_condition(
    connection: AsyncConnection, spelling: str
) -> None:
    """A unique index WHERE NOT deleted lets a deleted row share its email with a live one."""
    condition = text("NOT deleted")
    where = {"postgresql_where": condition}
    if spelling == "both_dialects":
        where["sqlite_where"] = condition
    table = _partial_unique(**where)
    await connection.run_sync(table.metadata.create_all)
    await connection.execute(
        table.insert(),
        [{"email": "a@x.org", "deleted": True}, {"email": "a@x.org", "deleted": False}],
    )
    assert await connection.scalar(select(sa.func.count()).select_from(table)) == 2


async def test_truncate_empties_a_table(connection: AsyncConnection) -> None:
    """TRUNCATE (as test fixtures often write it) empties a table."""
    await connection.execute(text("INSERT INTO labels (name) VALUES ('x')"))
    await connection.execute(text("TRUNCATE labels CASCADE"))
    assert await connection.scalar(text("SELECT count(*) FROM labels")) == 0


async def test_sequence_hands_out_next_values(connection: AsyncConnection) -> None:
    """A ``Sequence`` created in the schema gives 1, then 2, from ``next_value()``."""
    sequence = sa.Sequence("ticket_numbers", metadata=sa.MetaData())
    await connection.run_sync(sequence.create)
    first = await connection.scalar(select(sequence.next_value()))
    second = await connection.scalar(select(sequence.next_value()))
    assert (first, second) == (1, 2)


async def test_uuid_server_default_is_generated(connection: AsyncConnection) -> None:
    """A ``server_default=text('gen_random_uuid()')`` key is generated by the database."""
    table = sa.Table(
        "tokens",
        sa.MetaData(),
        sa.Column("id", sa.Uuid, primary_key=True, server_default=text("gen_random_uuid()")),
        sa.Column("label", sa.String(20)),
    )
    await connection.run_sync(table.create)
    result = await connection.execute(table.insert().values(label="a").returning(table.c.id))
    assert result.scalar_one().version == 4


async def test_column_comment_is_reflected(connection: AsyncConnection) -> None:
    """A column's ``comment=`` is stored in the schema and comes back through reflection."""
    table = sa.Table(
        "notes",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("body", sa.Text, comment="Markdown, rendered on display"),
    )
    await connection.run_sync(table.create)
    comment = (await _columns(connection, "notes"))["body"].get("comment")
    assert comment == "Markdown, rendered on display"


async def test_sqlite_conflict_clause_does_not_hide_duplicates(connection: AsyncConnection) -> None:
    """A unique constraint declared with ``sqlite_on_conflict='IGNORE'`` still refuses a
    duplicate (the option means nothing outside SQLite)."""
    table = sa.Table(
        "slugs",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(20)),
        sa.UniqueConstraint("slug", sqlite_on_conflict="IGNORE"),
    )
    await connection.run_sync(table.create)
    await connection.execute(table.insert().values(slug="a"))
    with pytest.raises(IntegrityError):
        await connection.execute(table.insert().values(slug="a"))


def _deferred_tree() -> tuple[sa.Table, sa.Table]:
    metadata = sa.MetaData()
    parent = sa.Table("folders", metadata, sa.Column("id", sa.Integer, primary_key=True))
    child = sa.Table(
        "files",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "folder_id",
            sa.ForeignKey("folders.id", deferrable=True, initially="DEFERRED"),
            nullable=False,
        ),
    )
    return parent, child


async def test_deferred_foreign_key_allows_child_before_parent(connection: AsyncConnection) -> None:
    """A DEFERRABLE INITIALLY DEFERRED foreign key lets a transaction insert the child first and
    its parent afterwards."""
    parent, child = _deferred_tree()
    await connection.run_sync(parent.metadata.create_all)
    await connection.execute(child.insert().values(id=1, folder_id=7))
    await connection.execute(parent.insert().values(id=7))
    assert await connection.scalar(select(sa.func.count()).select_from(child)) == 1


async def test_set_constraints_immediate_checks_deferred_keys_now(
    connection: AsyncConnection,
) -> None:
    """SET CONSTRAINTS ALL IMMEDIATE checks a deferred foreign key at once (23503) instead of
    at COMMIT."""
    parent, child = _deferred_tree()
    await connection.run_sync(parent.metadata.create_all)
    await connection.execute(child.insert().values(id=1, folder_id=7))
    with pytest.raises(IntegrityError) as caught:
        await connection.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
    assert sqlstate(caught.value) == "23503"
