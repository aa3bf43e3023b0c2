"""SELECT statements PostgreSQL refuses or reads differently: negative LIMIT/OFFSET, aliases in
WHERE, DISTINCT with ORDER BY, HAVING, operators and spellings from other dialects."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Date, cast, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from suites._dialect import sqlstate
from suites.schema import Project, Task, Worker


@pytest.fixture
async def tasks(session: AsyncSession, project: Project, worker: Worker) -> list[Task]:
    """Four tasks: two share a priority, one has no due date."""
    rows = [
        Task(
            title=title, priority=priority, due=due, project_id=project.id, created_by_id=worker.id
        )
        for title, priority, due in [
            ("Alpha", 1, dt.date(2024, 1, 15)),
            ("beta", 2, dt.date(2024, 2, 29)),
            ("Gamma", 2, None),
            ("delta", 3, dt.date(2023, 12, 31)),
        ]
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def _refused(session: AsyncSession, statement: object) -> str | None:
    """Run a statement PostgreSQL refuses; the SQLSTATE of its error."""
    with pytest.raises(DBAPIError) as caught:
        await session.execute(statement)  # type: ignore[call-overload]
    return sqlstate(caught.value)


# --- LIMIT and OFFSET ---------------------------------------------------------------------------


async def test_negative_limit_is_refused(session: AsyncSession, tasks: list[Task]) -> None:
    """``.limit(-1)`` is an error (2201W: LIMIT must not be negative), not "no limit"."""
    assert await _refused(session, select(Task.title).limit(-1)) == "2201W"


async def test_negative_offset_is_refused(session: AsyncSession, tasks: list[Task]) -> None:
    """``.offset(-1)`` is an error (2201X: OFFSET must not be negative), not "from the start"."""
    statement = select(Task.title).order_by(Task.id).limit(2).offset(-1)
    assert await _refused(session, statement) == "2201X"


# --- what a query may name ----------------------------------------------------------------------


async def test_select_alias_in_where_is_refused(session: AsyncSession, tasks: list[Task]) -> None:
    """An output alias cannot be used in WHERE (42703: the column does not exist)."""
    statement = text("SELECT lower(title) AS low FROM tasks WHERE low = 'alpha'")
    assert await _refused(session, statement) == "42703"


async def test_distinct_ordered_by_a_column_outside_the_select_list_is_refused(
    session: AsyncSession, tasks: list[Task]
) -> None:
    """``select(a).distinct().order_by(b)`` is an error (42P10: for SELECT DISTINCT, ORDER BY
    expressions must appear in the select list)."""
    statement = select(Task.title).distinct().order_by(Task.priority)
    assert await _refused(session, statement) == "42P10"


async def test_having_on_an_ungrouped_column_is_refused(
    session: AsyncSession, tasks: list[Task]
) -> None:
    """HAVING may only name grouped columns or aggregates (42803)."""
    statement = (
        select(Task.priority, func.count()).group_by(Task.priority).having(Task.title == "beta")
    )
    assert await _refused(session, statement) == "42803"


async def test_group_by_an_output_alias_groups_by_it(
    session: AsyncSession, tasks: list[Task]
) -> None:
    """GROUP BY may name an output column's alias (both databases allow it)."""
    rows = await session.execute(
        text("SELECT priority * 10 AS tens, count(*) AS n FROM tasks GROUP BY tens ORDER BY tens")
    )
    assert [tuple(r) for r in rows] == [(10, 1), (20, 2), (30, 1)]


async def test_quoted_table_name_is_case_sensitive(
    session: AsyncSession, tasks: list[Task]
) -> None:
    """A quoted "Tasks" is another name than tasks (42P01: relation does not exist)."""
    assert await _refused(session, text('SELECT count(*) FROM "Tasks"')) == "42P01"


# --- ordering -----------------------------------------------------------------------------------


async def test_nulls_sort_first_in_descending_order(
    session: AsyncSession, tasks: list[Task]
) -> None:
    """``order_by(col.desc())`` puts NULLs first: NULL sorts as larger than every value."""
    titles = (await session.scalars(select(Task.title).order_by(Task.due.desc()))).all()
    assert titles == ["Gamma", "beta", "Alpha", "delta"]


async def test_date_compared_with_a_date_string_compares_dates(
    session: AsyncSession, tasks: list[Task]
) -> None:
    """``due > '2024-1-31'`` reads the string as a date (January 31st), so February 29th is
    later, although the string '2024-02-29' sorts before '2024-1-31'."""
    rows = await session.scalars(
        text("SELECT title FROM tasks WHERE due > '2024-1-31' ORDER BY title")
    )
    assert rows.all() == ["beta"]


# --- operators and spellings of other dialects --------------------------------------------------


async def test_double_equals_operator_is_refused(session: AsyncSession) -> None:
    """``==`` is not an operator (42883: operator does not exist: integer == integer)."""
    assert await _refused(session, text("SELECT 1 WHERE 1 == 1")) == "42883"


async def test_ilike_operator_in_raw_sql_ignores_case(session: AsyncSession) -> None:
    """Raw SQL may use ILIKE: 'Ab' ILIKE 'ab' is true."""
    assert await session.scalar(text("SELECT 'Ab' ILIKE 'ab'")) is True


async def test_double_colon_cast_in_raw_sql(session: AsyncSession) -> None:
    """Raw SQL may cast with ``::``: '42'::integer is 42."""
    assert await session.scalar(text("SELECT '42'::integer + 1")) == 43


async def test_union_of_an_integer_and_text_is_refused(session: AsyncSession) -> None:
    """UNION of an integer and a non-numeric string is an error (22P02: the string is read
    as an integer), not a column of mixed values."""
    assert await _refused(session, text("SELECT 1 UNION SELECT 'one'")) == "22P02"


async def test_union_removes_duplicate_rows(session: AsyncSession) -> None:
    """UNION (without ALL) removes duplicate rows; both databases agree."""
    rows = await session.scalars(text("SELECT 1 UNION SELECT 1 UNION SELECT 2 ORDER BY 1"))
    assert rows.all() == [1, 2]


async def test_boolean_column_compared_with_the_string_true(session: AsyncSession) -> None:
    """In raw SQL ``active = 'true'`` reads the string as a boolean and matches active rows."""
    await session.execute(
        text("INSERT INTO users (email, name, active) VALUES ('a@x.org', 'a', true)")
    )
    found = await session.scalar(text("SELECT count(*) FROM users WHERE active = 'true'"))
    assert found == 1


async def test_cast_of_a_timestamp_to_date_is_a_date(
    session: AsyncSession, tasks: list[Task]
) -> None:
    """``cast(created_at, Date)`` gives the day as a ``datetime.date`` (for grouping by day)."""
    days = (await session.scalars(select(cast(Task.created_at, Date)).distinct())).all()
    assert len(days) >= 1
    assert all(type(day) is dt.date for day in days)


# --- aggregates and comparisons across types ----------------------------------------------------


@pytest.mark.parametrize("aggregate", ["sum", "avg"])
async def test_aggregate_of_a_text_column_is_refused(
    session: AsyncSession, tasks: list[Task], aggregate: str
) -> None:
    """sum() and avg() of a text column are errors (42883: no such function for text), not 0."""
    statement = select(getattr(func, aggregate)(Task.title))
    assert await _refused(session, statement) == "42883"


async def test_max_of_a_boolean_column_is_refused(session: AsyncSession) -> None:
    """max() of a boolean column is an error (42883): use bool_or()."""
    await session.execute(
        text("INSERT INTO users (email, name, active) VALUES ('m@x.org', 'm', true)")
    )
    assert await _refused(session, text("SELECT max(active) FROM users")) == "42883"


async def test_integer_column_compared_with_a_decimal_string_is_refused(
    session: AsyncSession, tasks: list[Task]
) -> None:
    """``priority = '2.0'`` reads the string as an integer and fails (22P02), where a number
    conversion would have matched 2."""
    statement = text("SELECT count(*) FROM tasks WHERE priority = '2.0'")
    assert await _refused(session, statement) == "22P02"


# --- NULL in lists, DISTINCT over several columns -----------------------------------------------


async def test_not_in_a_list_holding_null_matches_nothing(
    session: AsyncSession, tasks: list[Task]
) -> None:
    """``x NOT IN (1, NULL)`` is never true (it is NULL or false), so no row matches; both
    databases follow the standard here."""
    found = await session.scalar(text("SELECT count(*) FROM tasks WHERE priority NOT IN (1, NULL)"))
    assert found == 0


async def test_not_in_a_subquery_returning_null_matches_nothing(
    session: AsyncSession, tasks: list[Task]
) -> None:
    """``due NOT IN (SELECT due FROM tasks)`` with a NULL among the due dates matches no row
    (use NOT EXISTS); both databases agree."""
    statement = select(func.count()).where(Task.due.not_in(select(Task.due).scalar_subquery()))
    assert await session.scalar(statement) == 0


async def test_count_distinct_over_two_columns(session: AsyncSession, tasks: list[Task]) -> None:
    """``count(DISTINCT (a, b))`` counts distinct pairs: four tasks, four pairs."""
    found = await session.scalar(text("SELECT count(DISTINCT (priority, title)) FROM tasks"))
    assert found == 4


async def test_explicit_null_into_a_not_null_column_with_a_default_is_refused(
    session: AsyncSession, tasks: list[Task]
) -> None:
    """An explicit NULL does not fall back to the column's server default: the NOT NULL
    column refuses it; both databases agree."""
    with pytest.raises(IntegrityError):
        await session.execute(text("UPDATE tasks SET priority = NULL WHERE title = 'Alpha'"))
