"""Filtering, ordering, paging and grouping: the WHERE / ORDER BY semantics PostgreSQL has."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest
from sqlalchemy import extract, func, insert, select, text, tuple_
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from suites._dialect import CODE_POINT_COLLATIONS, sqlstate, text_collation
from suites.schema import Project, Task, TypedValue, User, Worker

UTC = dt.UTC


@pytest.fixture
async def tasks(session: AsyncSession, project: Project, worker: Worker) -> list[Task]:
    """Six tasks with spread-out priorities, due dates and assignees (some NULL)."""
    helper = Worker(handle="@helper", type="agent")
    session.add(helper)
    await session.flush()
    specs: list[tuple[str, int, dt.date | None, int | None]] = [
        ("Alpha", 1, dt.date(2024, 1, 15), worker.id),
        ("beta", 2, dt.date(2024, 2, 29), None),
        ("Gamma", 3, None, helper.id),
        ("delta", 2, dt.date(2023, 12, 31), worker.id),
        ("Epsilon", 5, dt.date(2024, 3, 1), None),
        ("zeta", 0, None, helper.id),
    ]
    rows = [
        Task(
            title=title,
            priority=priority,
            due=due,
            assignee_id=assignee,
            project_id=project.id,
            created_by_id=worker.id,
        )
        for title, priority, due, assignee in specs
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def _titles(session: AsyncSession, *criteria: Any) -> list[str]:
    return sorted((await session.scalars(select(Task.title).where(*criteria))).all())


# --- equality, IN, ranges ----------------------------------------------------------------------


async def test_equality_matches_exact_value(session: AsyncSession, tasks: list[Task]) -> None:
    """WHERE column = value returns exactly the rows holding that value."""
    assert await _titles(session, Task.priority == 2) == ["beta", "delta"]


async def test_string_equality_is_case_sensitive(session: AsyncSession, tasks: list[Task]) -> None:
    """Text equality respects case: 'alpha' does not find 'Alpha'."""
    assert await _titles(session, Task.title == "alpha") == []
    assert await _titles(session, Task.title == "Alpha") == ["Alpha"]


async def test_in_list_matches_members(session: AsyncSession, tasks: list[Task]) -> None:
    """IN (...) returns the rows whose value is in the list."""
    assert await _titles(session, Task.priority.in_([0, 5, 42])) == ["Epsilon", "zeta"]


async def test_empty_in_list_matches_nothing(session: AsyncSession, tasks: list[Task]) -> None:
    """IN with an empty list matches no row (and is not an error)."""
    assert await _titles(session, Task.priority.in_([])) == []


async def test_between_includes_both_ends(session: AsyncSession, tasks: list[Task]) -> None:
    """BETWEEN low AND high includes rows equal to either bound."""
    assert await _titles(session, Task.priority.between(2, 3)) == ["Gamma", "beta", "delta"]


# --- LIKE / ILIKE --------------------------------------------------------------------------------


async def test_like_is_case_sensitive(session: AsyncSession, tasks: list[Task]) -> None:
    """LIKE matches case exactly: 'a%' does not find 'Alpha'."""
    assert await _titles(session, Task.title.like("a%")) == []
    assert await _titles(session, Task.title.like("A%")) == ["Alpha"]


async def test_ilike_ignores_ascii_case(session: AsyncSession, tasks: list[Task]) -> None:
    """ILIKE matches regardless of ASCII letter case."""
    assert await _titles(session, Task.title.ilike("%ETA")) == ["beta", "zeta"]


async def test_ilike_ignores_non_ascii_case(session: AsyncSession, project: Project) -> None:
    """ILIKE folds case of non-ASCII letters too: 'école%' finds 'ÉCOLE NORMALE'."""
    session.add_all([Project(name="ÉCOLE NORMALE"), Project(name="Über Uns")])
    await session.flush()
    found = await session.scalars(
        select(Project.name).where(Project.name.ilike("école%") | Project.name.ilike("über%"))
    )
    assert sorted(found.all()) == ["ÉCOLE NORMALE", "Über Uns"]


async def test_like_escape_matches_literal_wildcards(session: AsyncSession) -> None:
    """LIKE with an escape character matches a literal '%' and '_' instead of wildcards."""
    session.add_all([Project(name="50% off"), Project(name="500 off"), Project(name="a_b")])
    await session.flush()
    percent = await session.scalars(
        select(Project.name).where(Project.name.contains("0%", autoescape=True))
    )
    underscore = await session.scalars(
        select(Project.name).where(Project.name.like("a!_b", escape="!"))
    )
    assert percent.all() == ["50% off"]
    assert underscore.all() == ["a_b"]


# --- NULL ----------------------------------------------------------------------------------------


async def test_is_null_finds_missing_values(session: AsyncSession, tasks: list[Task]) -> None:
    """IS NULL finds rows with no value; '= NULL' semantics never match."""
    assert await _titles(session, Task.due.is_(None)) == ["Gamma", "zeta"]


async def test_not_equal_and_not_in_skip_nulls(session: AsyncSession, tasks: list[Task]) -> None:
    """'<>' and NOT IN never match NULL (three-valued logic): rows without an assignee drop out."""
    some_worker = tasks[0].assignee_id
    assert await _titles(session, Task.assignee_id != some_worker) == ["Gamma", "zeta"]
    assert await _titles(session, Task.assignee_id.not_in([some_worker])) == ["Gamma", "zeta"]


async def test_nulls_sort_last_in_ascending_order(session: AsyncSession, tasks: list[Task]) -> None:
    """ORDER BY ... ASC puts NULLs after every value (and DESC puts them first)."""
    ascending = (await session.scalars(select(Task.due).order_by(Task.due, Task.title))).all()
    descending = (await session.scalars(select(Task.due).order_by(Task.due.desc()))).all()
    assert ascending[-2:] == [None, None]
    assert descending[:2] == [None, None]


async def test_explicit_nulls_first_is_honoured(session: AsyncSession, tasks: list[Task]) -> None:
    """ORDER BY ... NULLS FIRST puts NULLs first when asked explicitly."""
    dues = (await session.scalars(select(Task.due).order_by(Task.due.asc().nulls_first()))).all()
    assert dues[:2] == [None, None]
    assert dues[2] == dt.date(2023, 12, 31)


# --- text ordering -------------------------------------------------------------------------------


NAMES = ["zebra", "Zebra", "apple", "Apple", "éclair", "Émile", "über", "_under", "10", "9"]


async def _require_code_point_collation(session: AsyncSession) -> None:
    collation = await text_collation(session)
    if collation not in CODE_POINT_COLLATIONS:
        pytest.skip(
            f"the reference order is recorded for a code-point collation; this database "
            f"sorts text by {collation!r}"
        )


async def test_mixed_case_text_orders_by_code_point(session: AsyncSession) -> None:
    """Under the C.UTF-8 collation, ORDER BY puts all upper-case words before lower-case ones."""
    await _require_code_point_collation(session)
    await session.execute(insert(Project), [{"name": n} for n in NAMES if n.isascii()])
    stored = (await session.scalars(select(Project.name).order_by(Project.name))).all()
    assert stored == ["10", "9", "Apple", "Zebra", "_under", "apple", "zebra"]


async def test_non_ascii_text_orders_by_code_point(session: AsyncSession) -> None:
    """Under the C.UTF-8 collation, accented letters sort after all unaccented ASCII letters."""
    await _require_code_point_collation(session)
    await session.execute(insert(Project), [{"name": n} for n in NAMES])
    stored = (await session.scalars(select(Project.name).order_by(Project.name))).all()
    assert stored == sorted(NAMES)
    assert stored[-3:] == ["Émile", "éclair", "über"]


async def test_lower_folds_non_ascii_letters(session: AsyncSession) -> None:
    """lower() folds accented capitals too, so ORDER BY lower(name) groups 'Émile' with 'émile'."""
    await session.execute(insert(Project), [{"name": n} for n in ("Émile", "ÉCLAIR", "Zoë")])
    lowered = (await session.scalars(select(func.lower(Project.name)).order_by(Project.id))).all()
    assert lowered == ["émile", "éclair", "zoë"]


# --- pagination ----------------------------------------------------------------------------------


async def test_pages_are_disjoint_and_complete(session: AsyncSession) -> None:
    """LIMIT/OFFSET pages over a unique order are disjoint and together return every row once."""
    await session.execute(insert(Project), [{"name": f"p{i:02d}"} for i in range(23)])
    pages = []
    for offset in range(0, 30, 5):
        page = await session.scalars(
            select(Project.name).order_by(Project.name).limit(5).offset(offset)
        )
        pages.append(page.all())
    flat = [name for page in pages for name in page]
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3, 0]
    assert flat == [f"p{i:02d}" for i in range(23)]


async def test_ties_broken_by_key_give_stable_pages(
    session: AsyncSession, tasks: list[Task]
) -> None:
    """Ordering by a non-unique column plus the key gives the same pages on every query."""
    query = select(Task.title).order_by(Task.priority, Task.id)
    first = [(await session.scalars(query.limit(2).offset(o))).all() for o in (0, 2, 4)]
    again = [(await session.scalars(query.limit(2).offset(o))).all() for o in (0, 2, 4)]
    assert first == again
    assert first == [["zeta", "Alpha"], ["beta", "delta"], ["Gamma", "Epsilon"]]


# --- counting and grouping -----------------------------------------------------------------------


async def test_group_by_counts_per_value(session: AsyncSession, tasks: list[Task]) -> None:
    """GROUP BY with count(*) and HAVING returns one row per qualifying group."""
    rows = await session.execute(
        select(Task.priority, func.count())
        .group_by(Task.priority)
        .having(func.count() > 1)
        .order_by(Task.priority)
    )
    assert [tuple(r) for r in rows] == [(2, 2)]


async def test_count_column_skips_nulls(session: AsyncSession, tasks: list[Task]) -> None:
    """count(column) counts non-NULL values while count(*) counts rows."""
    rows, with_due = (await session.execute(select(func.count(), func.count(Task.due)))).one()
    assert (rows, with_due) == (6, 4)


async def test_average_of_integers_is_exact_decimal(
    session: AsyncSession, tasks: list[Task]
) -> None:
    """avg() over an integer column returns an exact decimal, not a binary float."""
    average = await session.scalar(select(func.avg(Task.priority)))
    assert isinstance(average, decimal.Decimal)
    assert average.quantize(decimal.Decimal("0.0001")) == decimal.Decimal("2.1667")


async def test_sum_over_no_rows_is_null(session: AsyncSession) -> None:
    """sum() over zero rows is NULL, not 0."""
    assert await session.scalar(select(func.sum(Task.priority))) is None


# --- dates and times -----------------------------------------------------------------------------


async def test_date_range_filter(session: AsyncSession, tasks: list[Task]) -> None:
    """Filtering a date column by a range includes the leap day and excludes other years."""
    in_2024 = await _titles(
        session, Task.due >= dt.date(2024, 1, 1), Task.due < dt.date(2025, 1, 1)
    )
    leap = await _titles(session, Task.due == dt.date(2024, 2, 29))
    assert in_2024 == ["Alpha", "Epsilon", "beta"]
    assert leap == ["beta"]


async def test_extract_year_and_month(session: AsyncSession, tasks: list[Task]) -> None:
    """EXTRACT(year/month FROM date) can be filtered on like any integer."""
    february = await _titles(
        session, extract("year", Task.due) == 2024, extract("month", Task.due) == 2
    )
    assert february == ["beta"]


async def test_timestamps_compare_by_instant_across_offsets(session: AsyncSession) -> None:
    """Aware timestamps written with different UTC offsets filter and sort by the instant."""
    plus_two = dt.timezone(dt.timedelta(hours=2))
    session.add_all(
        [
            TypedValue(text="10:00Z", stamp=dt.datetime(2024, 1, 1, 12, 0, tzinfo=plus_two)),
            TypedValue(text="11:00Z", stamp=dt.datetime(2024, 1, 1, 11, 0, tzinfo=UTC)),
        ]
    )
    await session.flush()
    cutoff = dt.datetime(2024, 1, 1, 10, 30, tzinfo=UTC)
    before = (await session.scalars(select(TypedValue.text).where(TypedValue.stamp < cutoff))).all()
    ordered = (await session.scalars(select(TypedValue.text).order_by(TypedValue.stamp))).all()
    assert before == ["10:00Z"]
    assert ordered == ["10:00Z", "11:00Z"]


# --- JSON ----------------------------------------------------------------------------------------


@pytest.fixture
async def profiles(session: AsyncSession) -> None:
    await session.execute(
        insert(User),
        [
            {
                "email": "gold@x.org",
                "name": "Gold",
                "profile": {"tier": "gold", "age": 41, "vip": True, "address": {"city": "Zürich"}},
            },
            {
                "email": "silver@x.org",
                "name": "Silver",
                "profile": {"tier": "silver", "age": 29, "vip": False, "address": {"city": "Oslo"}},
            },
            {"email": "none@x.org", "name": "None", "profile": {"tier": "silver"}},
        ],
    )


async def _names(session: AsyncSession, *criteria: Any) -> list[str]:
    return sorted((await session.scalars(select(User.name).where(*criteria))).all())


async def test_json_text_field_filter(session: AsyncSession, profiles: None) -> None:
    """A JSON field read as text can be compared with a string."""
    assert await _names(session, User.profile["tier"].as_string() == "silver") == ["None", "Silver"]


async def test_json_number_field_filter(session: AsyncSession, profiles: None) -> None:
    """A JSON field read as an integer compares numerically (41 > 30, 29 is not)."""
    assert await _names(session, User.profile["age"].as_integer() > 30) == ["Gold"]


async def test_json_nested_path_filter(session: AsyncSession, profiles: None) -> None:
    """A nested JSON path (address -> city) can be filtered on, non-ASCII included."""
    city = User.profile[("address", "city")].as_string()
    assert await _names(session, city == "Zürich") == ["Gold"]


async def test_json_boolean_field_filter(session: AsyncSession, profiles: None) -> None:
    """A JSON boolean read as a boolean filters true from false."""
    assert await _names(session, User.profile["vip"].as_boolean().is_(True)) == ["Gold"]


async def test_json_missing_key_is_null(session: AsyncSession, profiles: None) -> None:
    """Reading a key a document does not have gives NULL."""
    assert await _names(session, User.profile["age"].as_integer().is_(None)) == ["None"]


# --- more paging, IN and type strictness ---------------------------------------------------------


async def test_explicit_nulls_last_in_descending_order(
    session: AsyncSession, tasks: list[Task]
) -> None:
    """ORDER BY ... DESC NULLS LAST puts NULLs at the end when asked explicitly."""
    dues = (await session.scalars(select(Task.due).order_by(Task.due.desc().nulls_last()))).all()
    assert dues[-2:] == [None, None]
    assert dues[0] == dt.date(2024, 3, 1)


async def test_offset_without_limit_returns_the_rest(
    session: AsyncSession, tasks: list[Task]
) -> None:
    """OFFSET without LIMIT skips rows and returns all the others."""
    rest = await session.scalars(select(Task.title).order_by(Task.priority, Task.id).offset(4))
    assert rest.all() == ["Gamma", "Epsilon"]


async def test_fetch_first_with_ties_keeps_tied_rows(
    session: AsyncSession, tasks: list[Task]
) -> None:
    """FETCH FIRST 3 ROWS WITH TIES also returns the row tied with the third (priority 2)."""
    rows = await session.scalars(
        select(Task.title).order_by(Task.priority).fetch(3, with_ties=True)
    )
    assert sorted(rows.all()) == ["Alpha", "beta", "delta", "zeta"]


async def test_tuple_in_matches_pairs(session: AsyncSession, tasks: list[Task]) -> None:
    """(priority, title) IN ((2, 'beta'), (3, 'Gamma')) matches whole pairs."""
    pairs = tuple_(Task.priority, Task.title).in_([(2, "beta"), (3, "Gamma"), (2, "Gamma")])
    assert await _titles(session, pairs) == ["Gamma", "beta"]


async def test_like_on_an_integer_column_is_refused(
    session: AsyncSession, tasks: list[Task]
) -> None:
    """LIKE on an integer column is an error (undefined_function 42883): cast it to text first."""
    with pytest.raises(ProgrammingError) as caught:
        await session.execute(text("SELECT title FROM tasks WHERE priority LIKE '1%'"))
    assert sqlstate(caught.value) == "42883"


async def test_sum_of_a_boolean_column_is_refused(session: AsyncSession) -> None:
    """sum() over a boolean column is an error (42883): count rows with a filter instead."""
    await session.execute(
        insert(User), [{"email": "a@x.org", "name": "a"}, {"email": "b@x.org", "name": "b"}]
    )
    with pytest.raises(ProgrammingError) as caught:
        await session.execute(select(func.sum(User.active)))
    assert sqlstate(caught.value) == "42883"


async def test_boolean_compared_with_integer_in_raw_sql_is_refused(session: AsyncSession) -> None:
    """In raw SQL, ``active = 1`` is an error (boolean = integer, 42883): write ``active``."""
    with pytest.raises(ProgrammingError) as caught:
        await session.execute(text("SELECT count(*) FROM users WHERE active = 1"))
    assert sqlstate(caught.value) == "42883"
