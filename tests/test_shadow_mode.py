"""Shadow mode (--dbparity-shadow) on real servers: a user's suite on SQLite in memory, every
statement also run on a throwaway PostgreSQL, in fixture mode and in URL mode, sync and async."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.userproject import UserProject

SHADOW = "--dbparity-shadow=postgres-asyncpg"

FIXTURE_MODE_TESTS = """
from sqlalchemy import func, select, text
from conftest import items


async def test_like_matches_more_on_sqlite(connection):
    await connection.execute(items.insert(), [{"name": "Apple"}, {"name": "apple"}])
    found = (await connection.execute(select(items.c.name).where(items.c.name.like("a%")))).all()
    assert found  # asserts too little to notice


async def test_too_long_then_more(connection):
    await connection.execute(items.insert().values(name="abcdefgh"))
    # after PostgreSQL refused the insert, this differs only as a consequence
    await connection.execute(select(items.c.name).where(items.c.name.like("a%")))


async def test_next_test_starts_in_sync(session):
    result = await session.execute(items.insert().values(name="x"))
    assert result.inserted_primary_key[0] == 1
    assert await session.scalar(select(func.count()).select_from(items)) == 1


async def test_secret_parameters_are_masked(connection):
    await connection.execute(
        text("INSERT INTO items (name) VALUES (:password)"), {"password": "hunter2-too-long"}
    )
"""


def _statements(project: UserProject) -> dict[str, dict[str, Any]]:
    return {c["id"]: c["statements"] for c in project.results("sqlite-memory")["cases"]}


def test_fixture_mode_finds_the_statements_that_differ(pytester: pytest.Pytester) -> None:
    project = UserProject(pytester)
    project.write("test_app.py", FIXTURE_MODE_TESTS)
    result = project.run_on("sqlite-memory", SHADOW)
    result.assert_outcomes(passed=4)  # every outcome agrees: the drift is only in statements
    result.stdout.fnmatch_lines(["shadow postgres-asyncpg: * statements compared; 3 tests differ*"])
    found = _statements(project)
    assert project.results("sqlite-memory")["run"]["shadow"]["backend"] == "postgres-asyncpg"

    like = found["app.like_matches_more_on_sqlite"]["differences"]
    assert [(d["what"], d["consequence"], d["location"]) for d in like] == [
        ("rows", "silent-drift", "test_app.py:8")
    ]
    assert like[0]["stand_in"]["row_count"] == 2 and like[0]["shadow"]["row_count"] == 1
    assert "LIKE" in like[0]["statement"] and like[0]["parameters"] == "('a%',)"

    desync = found["app.too_long_then_more"]
    assert [(d["what"], d["consequence"]) for d in desync["differences"]] == [
        ("error", "false-confidence")
    ]
    assert desync["differences"][0]["shadow"]["error"]["sqlstate"] == "22001"
    assert desync["desynchronised_at"] == 1  # the SELECT after it was not compared

    in_sync = found["app.next_test_starts_in_sync"]
    assert in_sync["differences"] == [] and in_sync["desynchronised_at"] is None
    assert in_sync["compared"] >= 2

    text = project.results_path("sqlite-memory").read_text("utf-8")
    assert "hunter2" not in text
    masked = found["app.secret_parameters_are_masked"]["differences"][0]
    assert masked["parameters"] == "('***',)"  # the driver's positional form, by name


def test_the_report_shows_each_differing_statement(pytester: pytest.Pytester) -> None:
    project = UserProject(pytester)
    project.write("test_app.py", FIXTURE_MODE_TESTS)
    project.run_on("sqlite-memory", SHADOW)
    out = project.path / "report"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "dbparity.cli",
            "report",
            str(project.results_path("sqlite-memory")),
            "-o",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    markdown = (out / "compatibility.md").read_text("utf-8")
    section = markdown.split("## Statements that differ on PostgreSQL", 1)[1].split("\n## ", 1)[0]
    assert "1 test agrees at the statement level" in section
    assert "3 have statements that differ" in section
    assert "`app.like_matches_more_on_sqlite`" in section
    assert (
        "**Silent drift: PostgreSQL returns something else** (the rows differ) at `test_app.py:8`"
        in section
    )
    assert "stand-in: 2 rows" in section and "PostgreSQL: 1 row" in section
    assert "**False confidence: PostgreSQL raises where the stand-in did not**" in section
    assert "[22001]" in section and "desynchronises the test" in section
    assert "hunter2" not in markdown
    page = (out / "index.html").read_text("utf-8")
    assert "Statements that differ on PostgreSQL" in page and "hunter2" not in page
    merged = json.loads((out / "results.json").read_text("utf-8"))
    cells = [c for case in merged["cases"] for c in case["cells"].values() if "statements" in c]
    assert len(cells) == 4


URL_MODE_CONFTEST = """
import os

import pytest
import pytest_asyncio
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine
from sqlalchemy.ext.asyncio import create_async_engine

metadata = MetaData()
people = Table(
    "people", metadata, Column("id", Integer, primary_key=True), Column("name", String(20))
)
SYNC = create_engine(os.environ["SYNC_URL"])


@pytest.fixture(scope="session", autouse=True)
def schema():
    metadata.create_all(SYNC)  # the user's DDL: mirrored to the shadow
    yield
    metadata.drop_all(SYNC)


@pytest.fixture
def sync_conn():
    with SYNC.connect() as conn:
        with conn.begin() as outer:
            yield conn
            outer.rollback()


@pytest_asyncio.fixture(loop_scope="session")
async def async_conn():
    engine = create_async_engine(os.environ["ASYNC_URL"])
    async with engine.connect() as conn:
        await conn.begin()
        yield conn
        await conn.rollback()
    await engine.dispose()
"""

URL_MODE_TESTS = """
from sqlalchemy import select, func
from conftest import people


def test_sync_lower_of_non_ascii(sync_conn):
    sync_conn.execute(people.insert().values(name="ÉMILE"))
    assert sync_conn.scalar(select(func.lower(people.c.name)))


async def test_async_nulls_sort_first_on_sqlite(async_conn):
    await async_conn.execute(people.insert(), [{"name": "b"}, {"name": None}])
    rows = (await async_conn.execute(select(people.c.name).order_by(people.c.name))).all()
    assert len(rows) == 2


def test_sync_agrees(sync_conn):
    sync_conn.execute(people.insert().values(name="x"))
    assert sync_conn.scalar(select(func.count()).select_from(people)) == 1
"""


def test_url_mode_sync_and_async_engines(pytester: pytest.Pytester) -> None:
    project = UserProject(pytester)
    (project.path / "conftest.py").write_text(URL_MODE_CONFTEST, "utf-8")
    project.write("test_people.py", URL_MODE_TESTS)
    result = project.run_on(
        "sqlite-memory", SHADOW, "--dbparity-env=SYNC_URL=sync", "--dbparity-env=ASYNC_URL=async"
    )
    result.assert_outcomes(passed=3)
    found = _statements(project)
    lower = found["people.sync_lower_of_non_ascii"]["differences"]
    assert [(d["what"], d["location"]) for d in lower] == [("rows", "test_people.py:8")]
    # SQLite's lower() leaves non-ASCII letters alone
    assert (lower[0]["stand_in"]["rows"], lower[0]["shadow"]["rows"]) == (
        [["'Émile'"]],
        [["'émile'"]],
    )
    nulls = found["people.async_nulls_sort_first_on_sqlite"]["differences"]
    assert [(d["what"], d["location"]) for d in nulls] == [("order", "test_people.py:13")]
    agrees = found["people.sync_agrees"]
    assert agrees["differences"] == [] and agrees["compared"] >= 2


def test_a_shadow_that_is_not_postgresql_is_refused_in_one_line(
    pytester: pytest.Pytester,
) -> None:
    project = UserProject(pytester)
    project.write("test_app.py", "def test_nothing():\n    pass\n")
    result = project.run_on("sqlite-memory", "--dbparity-shadow=sqlite-file")
    result.stderr.fnmatch_lines(
        ["*--dbparity-shadow 'sqlite-file': the shadow must be a PostgreSQL*"]
    )
    assert "Traceback" not in result.stderr.str()


def test_dbparity_run_shadow_shadows_each_stand_in(pytester: pytest.Pytester) -> None:
    project = UserProject(pytester)
    project.write("test_app.py", FIXTURE_MODE_TESTS)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dbparity.cli",
            "run",
            "--shadow",
            "--backends",
            "sqlite-memory",
            "-o",
            "out",
            "--",
            "-p",
            "no:randomly",
        ],
        cwd=project.path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    results = json.loads((project.path / "out" / "sqlite-memory.json").read_text("utf-8"))
    assert results["run"]["shadow"]["backend"] == "postgres-asyncpg", done.stdout + done.stderr
    found = {c["id"]: c["statements"] for c in results["cases"]}
    assert found["app.like_matches_more_on_sqlite"]["differences"][0]["what"] == "rows"
    report = (project.path / "out" / "report" / "compatibility.md").read_text("utf-8")
    assert "Statements that differ on PostgreSQL" in report
    assert "like_matches_more_on_sqlite" in report.split("Statements that differ on PostgreSQL")[1]


ENUM_TESTS = """
import enum
import os

from sqlalchemy import Column, Enum, Integer, MetaData, Table, create_engine, select


class Brand(enum.Enum):
    ACME = "acme"
    OTHER = "other"


metadata = MetaData()
things = Table(
    "things", metadata, Column("id", Integer, primary_key=True), Column("brand", Enum(Brand))
)
engine = create_engine(os.environ["SYNC_URL"])


def test_a_table_with_an_enum_is_created_on_both_sides():
    metadata.create_all(engine)
    try:
        with engine.begin() as conn:
            conn.execute(things.insert().values(brand=Brand.ACME))
            assert conn.scalar(select(things.c.brand)) is Brand.ACME
    finally:
        metadata.drop_all(engine)
"""


def test_the_users_create_table_brings_its_enum_type_to_the_shadow(
    pytester: pytest.Pytester,
) -> None:
    """Found in starlette-admin's suite: the stand-in's CREATE TABLE, mirrored alone, lacked
    the ENUM type that the user's create_all would emit on PostgreSQL: a false 'PostgreSQL
    raises' on every test that created its tables."""
    project = UserProject(pytester)
    project.write("test_enums.py", ENUM_TESTS)
    result = project.run_on("sqlite-memory", SHADOW, "--dbparity-env=SYNC_URL=sync")
    result.assert_outcomes(passed=1)
    found = _statements(project)["enums.a_table_with_an_enum_is_created_on_both_sides"]
    assert found["differences"] == [], found
    assert found["compared"] >= 3  # CREATE TABLE, INSERT, SELECT at least


SALTED_TESTS = """
import os
import secrets

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, select
from sqlalchemy.types import TypeDecorator


class Salted(TypeDecorator):
    '''Stores a value with a fresh salt, as a password hash does.'''

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else f"{secrets.token_hex(8)}${value}"


class Plain(TypeDecorator):
    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else value.strip()


metadata = MetaData()
accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("secret", Salted),
    Column("name", Plain),
)
engine = create_engine(os.environ["SYNC_URL"])


def test_a_salted_column_is_each_sides_own():
    metadata.create_all(engine)
    try:
        with engine.begin() as conn:
            conn.execute(accounts.insert().values(id=1, secret="hunter2", name="Émile"))
            assert conn.execute(select(accounts.c.secret, accounts.c.id)).one().id == 1
            # the other column still counts: SQLite's lower() leaves É alone
            assert conn.execute(
                select(accounts.c.id).where(accounts.c.name.ilike("émile"))
            ).all() is not None
    finally:
        metadata.drop_all(engine)
"""


def test_a_column_whose_type_salts_each_write_is_left_out_of_the_comparison(
    pytester: pytest.Pytester,
) -> None:
    """Found in starlette-admin's suite: a PasswordType column read back 'differed' because the
    shadow hashed the password again with its own salt. Rule unstable-bind: such a column is
    each side's own; the rest of the row, and other statements, are still compared."""
    project = UserProject(pytester)
    project.write("test_salted.py", SALTED_TESTS)
    result = project.run_on("sqlite-memory", SHADOW, "--dbparity-env=SYNC_URL=sync")
    result.assert_outcomes(passed=1)
    found = _statements(project)["salted.a_salted_column_is_each_sides_own"]
    texts = [d["statement"] for d in found["differences"]]
    assert not any("accounts.secret" in text for text in texts), found
    # the ILIKE on a non-ASCII name still differs (SQLite folds ASCII only)
    assert any("lower(accounts.name)" in text for text in texts), found
