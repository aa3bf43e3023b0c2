"""pytest-xdist: ``-n 2`` gives the same outcome for every case as a serial run, the controller
writes one results file with every case, and each worker works in a database of its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, TinySuite

SUBSET = "suites/test_crud.py"
# Each case here starts two or three pytest processes: one SQLite and one PostgreSQL backend
# per test keeps this file to about a minute on a busy two-core machine. The other backends go
# through the same code paths (per-process memory database; the same template copy).
OUTCOME_BACKENDS = ("sqlite-file", "postgres-asyncpg")
DATABASE_BACKENDS = ("sqlite-file", "postgres-psycopg")


def run_suite(backend: str, results: Path, *extra: str) -> dict[str, Any]:
    """The real conformance suite in a fresh pytest process, as the nox session runs it."""
    argv = [
        sys.executable,
        "-m",
        "pytest",
        SUBSET,
        f"--backend={backend}",
        f"--dbparity-results={results}",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "-q",
        *extra,
    ]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert results.exists(), f"no results file; pytest said:\n{done.stdout}\n{done.stderr}"
    data: dict[str, Any] = json.loads(results.read_text("utf-8"))
    return data


@pytest.mark.slow
@pytest.mark.parametrize("backend", OUTCOME_BACKENDS)
def test_two_workers_give_the_serial_outcomes(backend: str, tmp_path: Path) -> None:
    serial = run_suite(backend, tmp_path / "serial.json")
    parallel = run_suite(backend, tmp_path / "parallel.json", "-n", "2")

    assert serial["run"]["status"] == parallel["run"]["status"] == "run"
    assert (serial["run"]["workers"], parallel["run"]["workers"]) == (1, 2)
    outcomes = {c["id"]: c["outcome"] for c in serial["cases"]}
    assert len(outcomes) == len(serial["cases"]) >= 10
    assert {c["id"]: c["outcome"] for c in parallel["cases"]} == outcomes
    assert len(parallel["cases"]) == len(serial["cases"])


WHERE_SUITE = '''
import os
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from conftest import items


@pytest.mark.parametrize("n", range(8))
async def test_where(engine, session, n):
    """Say which process ran this case, on which database, and that it saw no other rows."""
    await session.execute(insert(items).values(name=f"row {n}"))
    assert await session.scalar(select(func.count()).select_from(items)) == 1
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    database = engine.url.database or ":memory:"
    with open(Path(os.environ["WHERE_DIR"]) / f"{worker}-{os.getpid()}.txt", "a") as out:
        out.write(f"{database}\\n")
'''


@pytest.mark.slow
@pytest.mark.parametrize("backend", DATABASE_BACKENDS)
def test_each_worker_has_a_database_of_its_own(
    backend: str, tiny_suite: TinySuite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = tmp_path / "where"
    where.mkdir()
    monkeypatch.setenv("WHERE_DIR", str(where))
    tiny_suite.write_tests("test_where", WHERE_SUITE)

    # --maxprocesses caps -n: two workers run, and the results file must say two, not three.
    result = tiny_suite.run(backend, "-n", "3", "--maxprocesses", "2")

    result.assert_outcomes(passed=8)
    assert tiny_suite.results(backend)["run"]["workers"] == 2
    assert sorted(tiny_suite.outcomes(backend).values()) == ["conforms"] * 8
    seen = {f.name.split("-")[0]: set(f.read_text().split()) for f in where.iterdir()}
    assert set(seen) == {"gw0", "gw1"}, "both workers should have run cases"
    assert all(len(names) == 1 for names in seen.values()), seen
    databases = [names.pop() for names in seen.values()]
    assert len(set(databases)) == 2, databases
    assert all(worker in db for worker, db in zip(seen, databases, strict=True)), databases
