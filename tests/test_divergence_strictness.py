"""A divergence declaration can never silently lie: a wrong one fails the run, and a failure
that is not the declared one is never recorded as ``diverges``.

Each test runs a tiny suite through the real plugin on sqlite-memory, with a temporary copy of the
backend files that declares divergences, and reads the exit code and the results file.
"""

from __future__ import annotations

import pytest

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


def declare(case_id: str, fails: str = "assertion") -> str:
    return (
        f'\n[diverges."{case_id}"]\nreason = "declared by the strictness test"\nfails = "{fails}"\n'
    )


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


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["one-process", "xdist"])
def test_declaration_matching_no_test_is_a_one_line_error(
    tiny_suite: TinySuite, xdist: tuple[str, ...]
) -> None:
    """A divergence id that names no test of a collected suite stops the run with one line
    naming the TOML file and the key, also under xdist (where the workers collect)."""
    tiny_suite.write_tests("test_items.py", SUITE)
    tiny_suite.use_backends_with({BACKEND: declare("items.no_such_case")})
    result = tiny_suite.run(BACKEND, *xdist)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    toml_file = str(tiny_suite.backends_dir / f"{BACKEND}.toml")
    lines = [
        line
        for line in result.stderr.lines + result.stdout.lines
        if 'diverges."items.no_such_case"' in line
    ]
    assert len(lines) == 1, result.stderr.str() + result.stdout.str()
    assert toml_file in lines[0]
    assert "matches no test" in lines[0]


# Each case fails on SQLite in a different way: an assert, pytest.raises seeing no exception, an
# exception from SQLAlchemy, and a fixture that breaks before the test body runs.
FAILING_SUITE = (
    SUITE
    + '''

import pytest
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError


async def test_long_name_is_refused(engine):
    """A name longer than VARCHAR(50) is refused."""
    async with engine.begin() as conn:
        with pytest.raises(DBAPIError):
            await conn.execute(insert(items).values(name="x" * 51))
        await conn.rollback()


async def test_upsert_names_its_constraint(engine):
    """An upsert can name the constraint it targets."""
    async with engine.begin() as conn:
        await conn.execute(
            sqlite_insert(items).values(name="a").on_conflict_do_nothing(constraint="items_pkey")
        )
        await conn.rollback()


@pytest.fixture
def broken_fixture():
    raise RuntimeError("the fixture broke before the test body ran")


async def test_with_broken_fixture(engine, broken_fixture):
    """A case whose fixture breaks."""
'''
)

# case -> how it really fails on SQLite
REAL_FAILURES = {
    "items.like_is_case_sensitive": "assertion",
    "items.long_name_is_refused": "no-raise",
    "items.upsert_names_its_constraint": "TypeError",
}
# case -> a declaration naming another failure, the outcome the run must record, what it says
WRONG = {
    "items.like_is_case_sensitive": ("no-raise", "unexpected-failure", "raised AssertionError"),
    "items.long_name_is_refused": ("assertion", "unexpected-failure", "raised Failed"),
    "items.upsert_names_its_constraint": ("IntegrityError", "unexpected-failure", "TypeError"),
    "items.with_broken_fixture": ("RuntimeError", "error", "setup"),
}


def test_each_failure_declared_as_it_happens_diverges(tiny_suite: TinySuite) -> None:
    """Control: every kind of declared failure, declared as it really happens, is 'diverges',
    and the results file carries the declaration."""
    tiny_suite.write_tests("test_items.py", FAILING_SUITE)
    toml = "".join(declare(case_id, fails) for case_id, fails in REAL_FAILURES.items())
    tiny_suite.use_backends_with({BACKEND: toml})
    result = tiny_suite.run(BACKEND, "-k", "not broken_fixture")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    cases = {c["id"]: c for c in tiny_suite.results(BACKEND)["cases"]}
    for case_id, fails in REAL_FAILURES.items():
        assert cases[case_id]["outcome"] == "diverges", cases[case_id]
        assert cases[case_id]["declared"] == {
            "reason": "declared by the strictness test",
            "fails": fails,
            "consequence": None,
            "remedy": None,
        }
    assert cases["items.insert_is_counted"]["declared"] is None


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["one-process", "xdist"])
def test_failure_other_than_declared_is_never_diverges(
    tiny_suite: TinySuite, xdist: tuple[str, ...]
) -> None:
    """A declared case that fails otherwise than declared (another exception, an assert where
    no-raise was declared, no exception where an assert was, a fixture that breaks) is an
    unexpected failure or an error, and the run fails; the same when workers run the cases."""
    tiny_suite.write_tests("test_items.py", FAILING_SUITE)
    toml = "".join(declare(case_id, fails) for case_id, (fails, _, _) in WRONG.items())
    tiny_suite.use_backends_with({BACKEND: toml})
    result = tiny_suite.run(BACKEND, *xdist)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    cases = {c["id"]: c for c in tiny_suite.results(BACKEND)["cases"]}
    for case_id, (fails, outcome, said) in WRONG.items():
        case = cases[case_id]
        assert (case["outcome"], case["declared"]["fails"]) == (outcome, fails), case
        assert said in case["reason"], case
    assert cases["items.insert_is_counted"]["outcome"] == "conforms"


@pytest.mark.parametrize(
    ("toml", "key", "says"),
    [
        (declare("items.like_is_case_sensitive", "IntegrityErorr"), ".fails", "is not"),
        (declare("itmes.like_is_case_sensitive"), "", "names suite 'itmes'"),
    ],
    ids=["unknown-exception", "unknown-suite"],
)
def test_bad_declaration_is_one_line_naming_file_and_key(
    tiny_suite: TinySuite, toml: str, key: str, says: str
) -> None:
    """An unknown exception name, or a suite name that matches no suite (a typo), stops the
    run with one line naming the backend file and the key."""
    tiny_suite.write_tests("test_items.py", SUITE)
    tiny_suite.use_backends_with({BACKEND: toml})
    result = tiny_suite.run(BACKEND)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    case_id = toml.split('"')[1]
    wanted = f'diverges."{case_id}"{key}'
    lines = [line for line in result.errlines + result.outlines if wanted in line]
    assert len(lines) == 1, result.stderr.str() + result.stdout.str()
    assert str(tiny_suite.backends_dir / f"{BACKEND}.toml") in lines[0]
    assert says in lines[0]
    assert "Traceback" not in result.stderr.str()
