"""A divergence declaration can never silently lie: a wrong one fails the run.

Each test runs a tiny suite through the real plugin on sqlite-memory, with a temporary copy of the
backend files that declares one divergence, and reads the exit code and the results file.
"""

from __future__ import annotations

from tests.conftest import TinySuite

BACKEND = "sqlite-memory"

# One case that conforms everywhere, one that fails on SQLite only (SQLite's LIKE ignores case).
SUITE = '''
from sqlalchemy import column, func, insert, select, table

items = table("items", column("id"), column("name"))


async def test_insert_is_counted(engine):
    """An inserted row is counted."""
    async with engine.begin() as conn:
        await conn.execute(insert(items).values(name="one"))
        assert await conn.scalar(select(func.count()).select_from(items)) == 1
        await conn.rollback()


async def test_like_is_case_sensitive(engine):
    """LIKE distinguishes upper from lower case."""
    async with engine.begin() as conn:
        await conn.execute(insert(items).values(name="Apple"))
        found = await conn.scalar(select(func.count()).where(items.c.name.like("apple")))
        await conn.rollback()
    assert found == 0
'''


def declare(case_id: str) -> str:
    return f'\n[diverges."{case_id}"]\nreason = "declared by the strictness test"\n'


def test_true_declaration_is_recorded_as_diverges(tiny_suite: TinySuite) -> None:
    """Control: a declaration for a case that really differs passes the run as 'diverges'."""
    tiny_suite.write_tests("test_items.py", SUITE)
    tiny_suite.use_backends_with({BACKEND: declare("items.like_is_case_sensitive")})
    result = tiny_suite.run(BACKEND)
    assert result.ret == 0, result.stdout.str()
    assert tiny_suite.outcomes(BACKEND) == {
        "items.insert_is_counted": "conforms",
        "items.like_is_case_sensitive": "diverges",
    }


def test_declaration_for_conforming_case_is_stale_and_fails_run(tiny_suite: TinySuite) -> None:
    """A divergence declared for a case that conforms is a stale expectation and fails the run."""
    tiny_suite.write_tests("test_items.py", SUITE)
    tiny_suite.use_backends_with(
        {BACKEND: declare("items.insert_is_counted") + declare("items.like_is_case_sensitive")}
    )
    result = tiny_suite.run(BACKEND)
    assert result.ret != 0
    outcomes = tiny_suite.outcomes(BACKEND)
    assert outcomes["items.insert_is_counted"] == "stale-expectation"
    assert outcomes["items.like_is_case_sensitive"] == "diverges"
    stale = next(c for c in tiny_suite.results(BACKEND)["cases"] if c["id"].endswith("counted"))
    assert "remove the divergence" in stale["reason"]


def test_declaration_matching_no_test_is_a_one_line_error(tiny_suite: TinySuite) -> None:
    """A divergence id that names no test of a collected suite stops the run with one line
    naming the TOML file and the key."""
    tiny_suite.write_tests("test_items.py", SUITE)
    tiny_suite.use_backends_with({BACKEND: declare("items.no_such_case")})
    result = tiny_suite.run(BACKEND)
    assert result.ret != 0
    toml_file = str(tiny_suite.backends_dir / f"{BACKEND}.toml")
    lines = [
        line
        for line in result.stderr.lines + result.stdout.lines
        if 'diverges."items.no_such_case"' in line
    ]
    assert len(lines) == 1, result.stderr.str() + result.stdout.str()
    assert toml_file in lines[0]
    assert "matches no test" in lines[0]
