"""SQL expressions: arithmetic, casts, comparisons, grouping, joins and set operations as
PostgreSQL evaluates them, written the way applications write them (Core, and ``text()``)."""

from __future__ import annotations

import decimal

import pytest
from sqlalchemy import (
    Integer,
    Numeric,
    any_,
    case,
    cast,
    delete,
    except_all,
    func,
    insert,
    intersect,
    literal,
    select,
    text,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from suites._dialect import sqlstate
from suites.schema import Label, Project, Task, TypedValue, Worker

D = decimal.Decimal
INT64_MAX = 2**63 - 1


@pytest.fixture
async def board(session: AsyncSession, project: Project, worker: Worker) -> list[Task]:
    """Two projects with tasks of spread-out priorities (Apollo: 1, 3, 3; Gemini: 2)."""
    gemini = Project(name="Gemini")
    session.add(gemini)
    await session.flush()
    rows = [
        Task(title="a1", priority=1, project_id=project.id, created_by_id=worker.id),
        Task(title="a3", priority=3, project_id=project.id, created_by_id=worker.id),
        Task(title="a3bis", priority=3, project_id=project.id, created_by_id=worker.id),
        Task(title="g2", priority=2, project_id=gemini.id, created_by_id=worker.id),
    ]
    session.add_all(rows)
    await session.flush()
    return rows


# --- arithmetic --------------------------------------------------------------------------------


async def test_integer_division_truncates(session: AsyncSession) -> None:
    """Dividing two integers in SQL gives an integer, truncated toward zero (7 / 2 is 3)."""
    assert (await session.execute(text("SELECT 7 / 2, -7 / 2"))).one() == (3, -3)


async def test_core_true_division_of_integers_keeps_the_fraction(session: AsyncSession) -> None:
    """SQLAlchemy's ``/`` on two integer expressions is true division: 7 / 2 gives 3.5."""
    result = await session.scalar(select(literal(7, Integer) / literal(2, Integer)))
    assert result == D("3.5")


async def test_division_by_zero_is_an_error(session: AsyncSession) -> None:
    """Dividing by zero raises division_by_zero (22012) instead of returning NULL."""
    with pytest.raises(DBAPIError) as caught:
        await session.execute(text("SELECT 10 / :d"), {"d": 0})
    assert sqlstate(caught.value) == "22012"


async def test_integer_overflow_is_an_error(session: AsyncSession) -> None:
    """BIGINT arithmetic past 2**63 - 1 raises numeric_value_out_of_range (22003)."""
    with pytest.raises(DBAPIError) as caught:
        await session.execute(text("SELECT CAST(:n AS BIGINT) + 1"), {"n": INT64_MAX})
    assert sqlstate(caught.value) == "22003"


async def test_sum_beyond_64_bits_is_exact(session: AsyncSession) -> None:
    """sum() over BIGINT values returns an exact numeric even past the 64-bit range."""
    session.add_all([TypedValue(big=INT64_MAX), TypedValue(big=INT64_MAX)])
    await session.flush()
    assert await session.scalar(select(func.sum(TypedValue.big))) == 2 * INT64_MAX


async def test_modulo_of_a_fraction_keeps_the_fraction(session: AsyncSession) -> None:
    """``5.5 % 2`` is 1.5: the remainder of a decimal keeps its fractional part."""
    assert await session.scalar(text("SELECT 5.5 % 2")) == D("1.5")


async def test_round_of_decimal_goes_half_away_from_zero(session: AsyncSession) -> None:
    """round() of the decimals 2.5 and -2.5 gives 3 and -3."""
    row = (
        await session.execute(
            select(func.round(literal(D("2.5"), Numeric)), func.round(literal(D("-2.5"), Numeric)))
        )
    ).one()
    assert (row[0], row[1]) == (3, -3)


async def test_round_of_a_float_to_places_is_refused(session: AsyncSession) -> None:
    """round(double precision, 2) does not exist (42883): only numeric rounds to places."""
    session.add(TypedValue(ratio=2.345))
    await session.flush()
    with pytest.raises(ProgrammingError) as caught:
        await session.execute(select(func.round(TypedValue.ratio, 2)))
    assert sqlstate(caught.value) == "42883"


async def test_random_is_a_fraction_between_zero_and_one(session: AsyncSession) -> None:
    """random() returns a float in [0, 1), so ``random() < 0.1`` samples about a tenth."""
    value = await session.scalar(select(func.random()))
    assert isinstance(value, float)
    assert 0 <= value < 1


# --- casts and comparisons -----------------------------------------------------------------------


async def test_cast_of_malformed_text_to_integer_is_an_error(session: AsyncSession) -> None:
    """CAST('12abc' AS INTEGER) raises invalid_text_representation (22P02), never 12."""
    with pytest.raises(DBAPIError) as caught:
        await session.scalar(select(cast(literal("12abc"), Integer)))
    assert sqlstate(caught.value) == "22P02"


async def test_cast_of_fraction_to_integer_rounds(session: AsyncSession) -> None:
    """CAST(3.7 AS INTEGER) rounds to 4 rather than truncating to 3."""
    assert await session.scalar(select(cast(literal(D("3.7"), Numeric), Integer))) == 4


async def test_integer_equals_text_literal(session: AsyncSession) -> None:
    """In raw SQL, ``1 = '1'`` is true: the quoted literal is read as a number."""
    assert await session.scalar(text("SELECT 1 = '1'")) is True


async def test_comparison_in_raw_sql_returns_a_boolean(session: AsyncSession) -> None:
    """A comparison selected through text() comes back as Python True, not the integer 1."""
    assert await session.scalar(text("SELECT 2 > 1")) is True


async def test_text_column_compared_with_integer_is_refused(
    session: AsyncSession, project: Project
) -> None:
    """Comparing a text column with an integer in raw SQL is an error (undefined_function 42883)."""
    with pytest.raises(ProgrammingError) as caught:
        await session.execute(text("SELECT count(*) FROM projects WHERE name = 5"))
    assert sqlstate(caught.value) == "42883"


async def test_concatenation_with_null_is_null(session: AsyncSession) -> None:
    """``'a' || NULL`` is NULL, so a missing part blanks the whole string."""
    assert (
        await session.scalar(select(literal("a") + literal(None, type_=Project.name.type))) is None
    )


async def test_concat_function_skips_nulls(session: AsyncSession) -> None:
    """concat('a', NULL, 'b') skips the NULL and gives 'ab'."""
    assert await session.scalar(text("SELECT concat('a', NULL, 'b')")) == "ab"


async def test_coalesce_of_mixed_types_is_refused(session: AsyncSession, board: list[Task]) -> None:
    """coalesce(integer column, 'none') is an error: its arguments must share a type (42804)."""
    with pytest.raises(ProgrammingError) as caught:
        await session.execute(select(func.coalesce(Task.priority, "none")))
    assert sqlstate(caught.value) == "42804"


async def test_greatest_ignores_nulls(session: AsyncSession) -> None:
    """greatest(1, NULL, 3) is 3: NULL arguments are ignored."""
    assert await session.scalar(select(func.greatest(1, None, 3))) == 3


async def test_is_distinct_from_treats_nulls_as_equal(session: AsyncSession) -> None:
    """IS DISTINCT FROM compares NULLs as values: NULL is not distinct from NULL."""
    value = literal(None, type_=Integer)
    row = (
        await session.execute(select(value.is_distinct_from(None), value.is_distinct_from(1)))
    ).one()
    assert tuple(row) == (False, True)


async def test_boolean_literal_is_a_boolean(session: AsyncSession) -> None:
    """Selecting true() gives Python True."""
    assert await session.scalar(select(true())) is True


async def test_row_value_comparison_pages_by_keyset(
    session: AsyncSession, board: list[Task]
) -> None:
    """A row-value comparison (priority, id) > (3, x) pages through rows after a key."""
    first_three = board[1]
    rows = await session.scalars(
        select(Task.title)
        .where(tuple_(Task.priority, Task.id) > tuple_(first_three.priority, first_three.id))
        .order_by(Task.priority, Task.id)
    )
    assert rows.all() == ["a3bis"]


async def test_case_expression_picks_first_true_branch(
    session: AsyncSession, board: list[Task]
) -> None:
    """CASE WHEN evaluates branches in order and falls back to ELSE."""
    label = case((Task.priority >= 3, "high"), (Task.priority >= 2, "mid"), else_="low")
    rows = await session.execute(select(Task.title, label).order_by(Task.title))
    assert [tuple(r) for r in rows] == [
        ("a1", "low"),
        ("a3", "high"),
        ("a3bis", "high"),
        ("g2", "mid"),
    ]


# --- functions that exist on one database only -------------------------------------------------


@pytest.mark.parametrize(
    "function",
    ["group_concat", "ifnull", "instr", "strftime"],
)
async def test_sqlite_only_function_is_unknown(
    session: AsyncSession, project: Project, function: str
) -> None:
    """A function that exists only in SQLite (``func.group_concat`` and friends) is an
    undefined_function error (42883)."""
    args = {
        "group_concat": (Project.name,),
        "ifnull": (Project.name, "none"),
        "instr": (Project.name, "o"),
        "strftime": ("%Y", Project.created_at),
    }[function]
    with pytest.raises(ProgrammingError) as caught:
        await session.execute(select(getattr(func, function)(*args)))
    assert sqlstate(caught.value) == "42883"


async def test_aggregate_strings_joins_values(session: AsyncSession, board: list[Task]) -> None:
    """``func.aggregate_strings`` (string_agg / group_concat underneath) joins every value."""
    joined = await session.scalar(select(func.aggregate_strings(Task.title, ",")))
    assert sorted(joined.split(",")) == ["a1", "a3", "a3bis", "g2"]


async def test_string_agg_orders_within_the_group(session: AsyncSession, board: list[Task]) -> None:
    """string_agg(title, ',' ORDER BY title) joins the values in the order asked for."""
    joined = await session.scalar(text("SELECT string_agg(title, ',' ORDER BY title) FROM tasks"))
    assert joined == "a1,a3,a3bis,g2"


async def test_percentile_cont_gives_the_median(session: AsyncSession, board: list[Task]) -> None:
    """percentile_cont(0.5) WITHIN GROUP (ORDER BY priority) gives the median, 2.5."""
    median = await session.scalar(select(func.percentile_cont(0.5).within_group(Task.priority)))
    assert median == 2.5


# --- grouping -----------------------------------------------------------------------------------


async def test_comparison_with_any_of_a_subquery(session: AsyncSession, board: list[Task]) -> None:
    """``x = ANY (subquery)`` matches rows equal to any value the subquery returns."""
    gemini = select(Task.priority).join(Project).where(Project.name == "Gemini").scalar_subquery()
    titles = await session.scalars(
        select(Task.title).where(Task.priority == any_(gemini)).order_by(Task.title)
    )
    assert titles.all() == ["g2"]


async def test_generate_series_produces_rows(session: AsyncSession) -> None:
    """generate_series(1, 3) is a set-returning function giving one row per value."""
    value = func.generate_series(1, 3).column_valued("value")
    assert (await session.scalars(select(value))).all() == [1, 2, 3]


async def test_bare_column_in_aggregate_query_is_refused(
    session: AsyncSession, board: list[Task]
) -> None:
    """Selecting a column that is neither grouped nor aggregated is a grouping_error (42803)."""
    with pytest.raises(ProgrammingError) as caught:
        await session.execute(select(func.max(Task.priority), Task.title))
    assert sqlstate(caught.value) == "42803"


async def test_distinct_on_keeps_the_first_row_per_group(
    session: AsyncSession, board: list[Task]
) -> None:
    """DISTINCT ON (project) keeps the first row of each project in the ORDER BY."""
    rows = await session.scalars(
        select(Task.title)
        .distinct(Task.project_id)
        .order_by(Task.project_id, Task.priority.desc(), Task.title)
    )
    assert rows.all() == ["a3", "g2"]


async def test_window_function_ranks_within_each_partition(
    session: AsyncSession, board: list[Task]
) -> None:
    """row_number() OVER (PARTITION BY project ORDER BY priority) numbers rows per project."""
    number = func.row_number().over(partition_by=Task.project_id, order_by=(Task.priority, Task.id))
    rows = await session.execute(select(Task.title, number).order_by(Task.id))
    assert [tuple(r) for r in rows] == [("a1", 1), ("a3", 2), ("a3bis", 3), ("g2", 1)]


async def test_recursive_cte_walks_a_tree(session: AsyncSession, task: Task) -> None:
    """WITH RECURSIVE collects a task and every descendant."""
    child = Task(title="child", project_id=task.project_id, created_by_id=task.created_by_id)
    child.parent_task_id = task.id
    session.add(child)
    await session.flush()
    grandchild = Task(
        title="grandchild",
        project_id=task.project_id,
        created_by_id=task.created_by_id,
        parent_task_id=child.id,
    )
    session.add(grandchild)
    await session.flush()
    tree = select(Task.id, Task.title).where(Task.id == task.id).cte("tree", recursive=True)
    tree = tree.union_all(select(Task.id, Task.title).where(Task.parent_task_id == tree.c.id))
    titles = (await session.scalars(select(tree.c.title).order_by(tree.c.id))).all()
    assert titles == ["Write the plan", "child", "grandchild"]


# --- joins and set operations ---------------------------------------------------------------------


async def test_full_outer_join_keeps_unmatched_rows_of_both_sides(
    session: AsyncSession, board: list[Task]
) -> None:
    """A FULL OUTER JOIN returns rows without a partner from either side."""
    session.add(Project(name="Empty"))
    await session.flush()
    rows = await session.execute(
        select(Project.name, func.count(Task.id))
        .select_from(Project)
        .join(Task, Task.project_id == Project.id, full=True)
        .group_by(Project.name)
        .order_by(Project.name)
    )
    assert [tuple(r) for r in rows] == [("Apollo", 3), ("Empty", 0), ("Gemini", 1)]


async def test_comma_join_binds_looser_than_right_join(
    session: AsyncSession, worker: Worker
) -> None:
    """In ``FROM a, b RIGHT JOIN c`` the RIGHT JOIN binds first, so an empty ``a`` empties all."""
    count = await session.scalar(
        text("SELECT count(*) FROM labels, projects RIGHT JOIN workers ON projects.id = workers.id")
    )
    assert count == 0


async def test_lateral_join_picks_top_row_per_group(
    session: AsyncSession, board: list[Task]
) -> None:
    """A LATERAL subquery picks each project's highest-priority task."""
    top = (
        select(Task.title)
        .where(Task.project_id == Project.id)
        .order_by(Task.priority.desc(), Task.title)
        .limit(1)
        .lateral("top")
    )
    rows = await session.execute(
        select(Project.name, top.c.title).join(top, true()).order_by(Project.name)
    )
    assert [tuple(r) for r in rows] == [("Apollo", "a3"), ("Gemini", "g2")]


async def test_except_all_keeps_duplicates(session: AsyncSession, board: list[Task]) -> None:
    """EXCEPT ALL subtracts row by row, keeping duplicates that are left over."""
    stmt = except_all(select(Task.priority), select(literal(1)))
    assert sorted((await session.scalars(stmt)).all()) == [2, 3, 3]


async def test_intersect_removes_duplicates(session: AsyncSession, board: list[Task]) -> None:
    """INTERSECT returns each common value once."""
    stmt = intersect(select(Task.priority), select(literal(3)))
    assert (await session.scalars(stmt)).all() == [3]


async def test_union_all_of_limited_selects(session: AsyncSession, board: list[Task]) -> None:
    """A UNION ALL of two selects that each have ORDER BY and LIMIT keeps each one's top row."""
    lowest = select(Task.title).order_by(Task.priority, Task.title).limit(1)
    highest = select(Task.title).order_by(Task.priority.desc(), Task.title).limit(1)
    assert sorted((await session.scalars(union_all(lowest, highest))).all()) == ["a1", "a3"]


async def test_data_modifying_cte_moves_rows(session: AsyncSession) -> None:
    """A DELETE ... RETURNING inside WITH can feed an INSERT in the same statement."""
    session.add_all([Label(name="old-1"), Label(name="old-2")])
    await session.flush()
    moved = delete(Label).where(Label.name.like("old-%")).returning(Label.name).cte("moved")
    await session.execute(
        insert(Label).from_select(["name"], select(moved.c.name + literal("-moved")))
    )
    names = sorted((await session.scalars(select(Label.name))).all())
    assert names == ["old-1-moved", "old-2-moved"]
