"""Isolation on every backend: what a test commits is gone for the next test."""

from __future__ import annotations

import pytest

from tests.conftest import ALL_BACKENDS, STAND_INS, TinySuite

# Tests run in file order (randomly is off): the first commits, the later ones look from a
# fresh connection of their own and must see nothing.
SUITE = """
import pytest
from sqlalchemy import func, select
from conftest import items


async def test_a_commits_a_row(session):
    await session.execute(items.insert().values(name="leaked?"))
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(items)) == 1


async def test_b_fresh_connection_sees_no_rows(engine):
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(items)) == 0


@pytest.mark.isolation("truncate")
async def test_c_truncate_commits_are_visible_to_other_connections(session, engine):
    await session.execute(items.insert().values(name="shared"))
    await session.commit()
    async with engine.connect() as other:
        assert await other.scalar(select(func.count()).select_from(items)) == 1


async def test_d_truncate_left_nothing(engine):
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(items)) == 0


async def test_e_nested_savepoint_commit_then_outer_rollback(session):
    async with session.begin_nested():
        await session.execute(items.insert().values(name="nested"))
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(items)) == 1


async def test_f_fresh_connection_sees_no_rows_again(engine):
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(items)) == 0


@pytest.mark.isolation("bogus")
async def test_g_unknown_strategy_is_an_error(session):
    pass
"""


@pytest.mark.parametrize("backend", ALL_BACKENDS + STAND_INS)
def test_commits_never_leak_between_tests(tiny_suite: TinySuite, backend: str) -> None:
    tiny_suite.write_tests("test_leaks.py", SUITE)
    result = tiny_suite.run(backend)
    outcomes = tiny_suite.outcomes(backend)
    expected = {
        "leaks.a_commits_a_row": "conforms",
        "leaks.b_fresh_connection_sees_no_rows": "conforms",
        "leaks.c_truncate_commits_are_visible_to_other_connections": "conforms",
        "leaks.d_truncate_left_nothing": "conforms",
        "leaks.e_nested_savepoint_commit_then_outer_rollback": "conforms",
        "leaks.f_fresh_connection_sees_no_rows_again": "conforms",
        "leaks.g_unknown_strategy_is_an_error": "error",
    }
    assert outcomes == expected, result.stdout.str()
    assert "isolation('bogus') is not a strategy" in result.stdout.str()
