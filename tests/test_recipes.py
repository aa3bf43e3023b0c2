"""The README's recipes for a user's suite, each run for real: pyproject configuration with
the ``dbparity_backend`` default, FastAPI with its session dependency overridden and httpx's
ASGI transport, SQLModel, several bases, an aliased ``db`` fixture, a raw DSN and the raw driver
connection inside the rollback, ``--opt=value`` options and class-based case ids."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

RECIPES = Path(__file__).parent / "data" / "recipes"
CASES = {
    "recipes.TestNotesApi.post_then_get",
    "recipes.TestNotesApi.the_commit_was_rolled_back",
    "recipes.sqlmodel_through_the_db_alias",
    "recipes.raw_connection_is_inside_the_rollback",
    "recipes.nothing_is_left_behind",
    "recipes.code_that_takes_a_dsn",
}


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite-memory", "postgres-asyncpg"])
def test_every_recipe_runs(pytester: pytest.Pytester, backend: str) -> None:
    pytest.importorskip("fastapi", reason="the recipes need the test group's fastapi")
    for source in RECIPES.iterdir():
        shutil.copy(source, pytester.path / source.name)
    results = pytester.path / "results" / f"{backend}.json"
    # sqlite-memory comes from the pyproject's dbparity_backend; PostgreSQL from --backend=.
    chosen = [] if backend == "sqlite-memory" else [f"--backend={backend}"]
    result = pytester.runpytest_subprocess(
        *chosen, f"--dbparity-results={results}", "-p", "no:randomly", timeout=300
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str() + result.stderr.str()
    import json

    data = json.loads(results.read_text("utf-8"))
    assert data["backend"]["id"] == backend
    outcomes = {case["id"]: case["outcome"] for case in data["cases"]}
    assert outcomes == dict.fromkeys(CASES, "conforms")
    assert all(case["used_database"] for case in data["cases"])
