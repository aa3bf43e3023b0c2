"""The four setups the project grew from (``../shared/seeds``), each a small project of its own
under ``tests/data/seed_NNN/``, run through ``dbparity run`` in URL mode on real servers.

Each folder holds ``project/`` (what is run) and ``original/`` (the files as the project has them
before dbparity; only those that differ). A recipe is worth something only if it costs the
user at most three lines, so that is checked here, and so is every count the report gives.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"
#: The backends a recipe runs on unless it says otherwise (PGlite needs Node.js: seed 000 only).
EVERYWHERE = ("postgres-asyncpg", "postgres-psycopg", "sqlite-memory", "sqlite-file")
needs_node = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="PGlite needs Node.js and npm",
)


def changed_lines(seed: str) -> dict[str, int]:
    """Per file of ``original/``, how many lines differ in ``project/``: a replaced block counts
    its longer side, an inserted or deleted line counts one (blank lines too)."""
    root = DATA / seed
    counts = {}
    for before in sorted((root / "original").rglob("*")):
        if not before.is_file():
            continue
        name = before.relative_to(root / "original").as_posix()
        old = before.read_text("utf-8").splitlines()
        new = (root / "project" / name).read_text("utf-8").splitlines()
        matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
        counts[name] = sum(
            max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
        )
    return counts


@dataclass
class SeedRun:
    returncode: int
    console: str
    out: Path

    def outcomes(self, backend: str) -> dict[str, str]:
        return {c["id"]: c["outcome"] for c in self.results(backend)["cases"]}

    def results(self, backend: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.out / f"{backend}.json").read_text("utf-8"))
        return data

    def line(self, backend: str) -> str:
        """The progress line saying how the backend's run ended."""
        done = [
            line
            for line in self.console.splitlines()
            if f"] {backend}: " in line and "running pytest" not in line
        ]
        assert len(done) == 1, self.console
        return done[0]

    def line_of_verdict(self, backend: str) -> str:
        """The closing line giving the backend's verdict against PostgreSQL."""
        found = [line for line in self.console.splitlines() if line.startswith(f"{backend}@")]
        assert len(found) == 1, self.console
        return found[0]

    @property
    def report(self) -> str:
        return (self.out / "report" / "compatibility.md").read_text("utf-8")

    @property
    def differing(self) -> dict[str, list[str]]:
        """Per test that behaves differently, the stand-in columns where it does."""
        merged = json.loads((self.out / "report" / "results.json").read_text("utf-8"))
        found: dict[str, list[str]] = {}
        for case in merged["cases"]:
            for column, cell in case["cells"].items():
                if cell["agrees"] is False:
                    found.setdefault(case["id"], []).append(column.split("@")[0])
        return found


#: ``dbparity`` as a user's shell runs it, from this interpreter's installation.
DBPARITY = [sys.executable, "-c", "import sys; from dbparity.cli import main; sys.exit(main())"]
PYTEST_ARGS = ("-p", "no:randomly", "-p", "no:cacheprovider")


def dbparity(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The ``dbparity`` command in the project's folder, as a user's shell runs it, with no
    ``DATABASE_URL`` of this process's environment (only what dbparity exports)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PYTEST_"))}
    argv = [*DBPARITY, *args]
    return subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, timeout=600)


def run_seed(seed: str, where: Path, *args: str) -> SeedRun:
    """``dbparity run`` in a copy of the seed's project."""
    project = where / seed
    shutil.copytree(DATA / seed / "project", project)
    done = dbparity(project, "run", *args, "--", *PYTEST_ARGS)
    return SeedRun(done.returncode, done.stdout + done.stderr, project / "dbparity-results")


def test_seed_000_costs_three_lines() -> None:
    assert changed_lines("seed_000") == {"tests/conftest.py": 3}


@pytest.mark.slow
@needs_node
def test_seed_000_measures_the_projects_own_sqlite(tmp_path: Path) -> None:
    """A function-scoped engine, create_all/drop_all per test, SQLModel's AsyncSession with
    ``.exec()`` and chained data fixtures, all the project's own. Its SQLite has foreign keys
    off (SQLite's default); in URL mode dbparity sets no PRAGMA, so the orphan task that
    PostgreSQL refuses is accepted there, and the report must say so."""
    backends = (*EVERYWHERE, "pglite")
    ran = run_seed("seed_000", tmp_path, "--env", "DATABASE_URL=async", "--backends", *backends)
    assert ran.returncode == 1, ran.console  # a test failed on SQLite
    orphan = "tasks.task_with_unknown_project"
    for backend in ("postgres-asyncpg", "postgres-psycopg", "pglite"):
        assert f"{backend}: all 13 tests passed" in ran.line(backend)
        assert set(ran.outcomes(backend).values()) == {"conforms"}
    for backend in ("sqlite-memory", "sqlite-file"):
        assert f"{backend}: 1 of 13 tests failed" in ran.line(backend)
        outcomes = ran.outcomes(backend)
        assert outcomes.pop(orphan) == "unexpected-failure"
        assert set(outcomes.values()) == {"conforms"} and len(outcomes) == 12
        case = next(c for c in ran.results(backend)["cases"] if c["id"] == orphan)
        assert "DID NOT RAISE" in case["reason"]
    assert all(c["used_database"] for c in ran.results("sqlite-memory")["cases"])
    assert ran.differing == {orphan: ["sqlite-file", "sqlite-memory"]}
    assert "1 tests behave differently on a stand-in" in ran.console
    assert "agrees with PostgreSQL on 12 of 13 behaviours" in ran.line_of_verdict("sqlite-memory")
    assert "### Fails here only (false alarm): 1 test" in ran.report
    assert f"| `{orphan}` |" in ran.report


def test_seed_001_costs_two_lines() -> None:
    assert changed_lines("seed_001") == {"tests/conftest.py": 2}


@pytest.mark.slow
def test_seed_001_fastapi_with_truncate(tmp_path: Path) -> None:
    """The app's own engine and the tests' own engine, both built at import time from the URL
    dbparity exports; real commits, emptied with TRUNCATE after each test. SQLite has no
    TRUNCATE: every test errors in its teardown there, so nothing can be compared, and the
    report must say that rather than 'agrees'."""
    ran = run_seed("seed_001", tmp_path, "--env", "DATABASE_URL=async", "--backends", *EVERYWHERE)
    assert ran.returncode == 1, ran.console
    tests = {
        "examples.create_example",
        "examples.each_test_starts_empty",
        "examples.get_example",
        "examples.missing_example_is_404",
        "examples.update_example",
    }
    for backend in ("postgres-asyncpg", "postgres-psycopg"):
        assert f"{backend}: all 5 tests passed" in ran.line(backend)
        assert ran.outcomes(backend) == dict.fromkeys(tests, "conforms")
    for backend in ("sqlite-memory", "sqlite-file"):
        assert f"{backend}: 5 of 5 tests failed" in ran.line(backend)
        assert ran.outcomes(backend) == dict.fromkeys(tests, "error")
        cases = ran.results(backend)["cases"]
        assert all('near "TRUNCATE": syntax error' in c["reason"] for c in cases)
        assert "no behaviour checked" in ran.line_of_verdict(backend)
    assert ran.differing == {}  # errors are no verdict, on either side
    assert "0 tests behave differently on a stand-in" in ran.console
    assert "**10 items need attention**" in ran.report
    assert "### Skipped or errored on one side only: 5 tests" in ran.report


def test_seed_002_costs_three_lines() -> None:
    assert changed_lines("seed_002") == {"tests/conftest.py": 3}


@pytest.mark.slow
def test_seed_002_raw_asyncpg_on_postgresql_and_a_version_of_the_axis(tmp_path: Path) -> None:
    """No SQLAlchemy: an asyncpg pool of the project's own, with the driver's DSN in place of
    its testcontainers server, on the reference and on PostgreSQL 16, merged into one report.
    Every test must count as using the database (seen through asyncpg itself)."""
    dsn = ("--env", "DATABASE_URL=dsn")
    ran = run_seed("seed_002", tmp_path, *dsn, "--backends", "postgres-asyncpg,postgres-psycopg")
    assert ran.returncode == 0, ran.console
    project = tmp_path / "seed_002"
    at_16 = ("--backends", "postgres-asyncpg", "-o", "pg16", "--", *PYTEST_ARGS)
    versions = ("--postgres-version", "16", "--postgres-source", "embedded")
    pg16 = dbparity(project, "run", *dsn, *at_16, *versions)
    assert pg16.returncode == 0, pg16.stdout + pg16.stderr
    inputs = [f"dbparity-results/{b}.json" for b in ("postgres-asyncpg", "postgres-psycopg")]
    merged = dbparity(project, "report", *inputs, "pg16/postgres-asyncpg.json", "-o", "merged")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    verdicts = [line for line in merged.stdout.splitlines() if "@PostgreSQL " in line]
    assert len(verdicts) == 3 and "reference: 9 of 9 tests pass" in verdicts[0]
    assert any(v.startswith("postgres-asyncpg@PostgreSQL 16.") for v in verdicts)
    assert all("agrees with PostgreSQL on 9 of 9 behaviours" in v for v in verdicts[1:])
    files = [project / name for name in (*inputs, "pg16/postgres-asyncpg.json")]
    for file in files:
        cases = json.loads(file.read_text("utf-8"))["cases"]
        assert len(cases) == 9
        assert all(c["outcome"] == "conforms" and c["used_database"] for c in cases)
    report = json.loads((project / "merged" / "results.json").read_text("utf-8"))
    assert len(report["columns"]) == 3
    assert not [
        c for c in report["cases"] for cell in c["cells"].values() if cell["agrees"] is False
    ]


def test_seed_003_costs_two_lines() -> None:
    assert changed_lines("seed_003") == {"tests/conftest.py": 2}


@pytest.mark.slow
def test_seed_003_a_plugin_builds_on_database_url(tmp_path: Path) -> None:
    """The project's ``database_url`` fixture reads the URL dbparity exports; a plugin
    recreates that database, initializes it and hands out rolled-back sessions. The one
    difference is SQLite's case-insensitive LIKE."""
    ran = run_seed("seed_003", tmp_path, "--env", "DATABASE_URL=async", "--backends", *EVERYWHERE)
    assert ran.returncode == 1, ran.console
    search = "notes.prefix_search_is_case_sensitive"
    for backend in ("postgres-asyncpg", "postgres-psycopg"):
        assert f"{backend}: all 5 tests passed" in ran.line(backend)
        assert set(ran.outcomes(backend).values()) == {"conforms"}
    for backend in ("sqlite-memory", "sqlite-file"):
        assert f"{backend}: 1 of 5 tests failed" in ran.line(backend)
        outcomes = ran.outcomes(backend)
        assert outcomes.pop(search) == "unexpected-failure"
        assert set(outcomes.values()) == {"conforms"} and len(outcomes) == 4
        case = next(c for c in ran.results(backend)["cases"] if c["id"] == search)
        assert "'hello there'" in case["reason"]
        assert "agrees with PostgreSQL on 4 of 5 behaviours" in ran.line_of_verdict(backend)
    for backend in EVERYWHERE:  # the plugin's recreated database is still the one observed
        assert all(c["used_database"] for c in ran.results(backend)["cases"])
    assert ran.differing == {search: ["sqlite-file", "sqlite-memory"]}
    assert "1 tests behave differently on a stand-in" in ran.console


@pytest.mark.slow
def test_a_sync_session_may_close_on_another_thread_on_sqlite_memory(
    pytester: pytest.Pytester,
) -> None:
    """Found by the starlette-admin trial: its admin middleware runs a sync session on a
    worker thread (Starlette's threadpool) and closes it on the event loop's thread. On a file
    SQLAlchemy turns pysqlite's same-thread check off; the shared in-memory database's sync URL
    must too, or 60 of 92 tests failed on sqlite-memory only, for dbparity's URL's sake."""
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_threads="""
        import os
        import threading

        from sqlalchemy import create_engine, text
        from sqlalchemy.orm import Session

        engine = create_engine(os.environ["DB_SYNC"])


        def test_session_closed_on_another_thread():
            session = Session(engine)
            worker = threading.Thread(target=lambda: session.execute(text("SELECT 1")))
            worker.start()
            worker.join()
            session.close()
        """
    )
    results = pytester.path / "sqlite-memory.json"
    ran = pytester.runpytest_subprocess(
        "--backend=sqlite-memory",
        "--dbparity-env=DB_SYNC=sync",
        f"--dbparity-results={results}",
        "-p",
        "no:randomly",
        timeout=300,
    )
    assert ran.ret == pytest.ExitCode.OK, ran.stdout.str()
    cases = json.loads(results.read_text("utf-8"))["cases"]
    assert [(c["outcome"], c["used_database"]) for c in cases] == [("conforms", True)]


@pytest.mark.slow
def test_a_failure_on_psycopg_from_another_loop_is_the_tests_own(
    pytester: pytest.Pytester,
) -> None:
    """Found by the fastcrud trial: its endpoint tests drive the async session from a sync
    TestClient's loop. psycopg carries on there; a test that then fails on a foreign key that
    PostgreSQL enforces failed for that reason. The run must go on and record it, not stop
    blaming the loop (which is right on asyncpg only, where the loop itself is the failure)."""
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    pytester.makepyfile(
        test_portal="""
        import os

        from anyio.from_thread import start_blocking_portal
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(os.environ["DB"])


        async def test_fails_for_a_reason_of_its_own():
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                with start_blocking_portal() as portal:  # the app's loop, as in TestClient
                    assert portal.call(conn.scalar, text("SELECT 2")) == 2
                assert False, "a reason of its own"


        async def test_the_run_goes_on():
            async with engine.connect() as conn:
                assert await conn.scalar(text("SELECT 3")) == 3
        """
    )
    results = pytester.path / "postgres-psycopg.json"
    ran = pytester.runpytest_subprocess(
        "--backend=postgres-psycopg",
        "--dbparity-env=DB=async",
        f"--dbparity-results={results}",
        "-p",
        "no:randomly",
        timeout=300,
    )
    assert ran.ret == pytest.ExitCode.TESTS_FAILED, ran.stdout.str()
    cases = {c["id"]: c for c in json.loads(results.read_text("utf-8"))["cases"]}
    assert cases["portal.fails_for_a_reason_of_its_own"]["outcome"] == "unexpected-failure"
    assert "a reason of its own" in cases["portal.fails_for_a_reason_of_its_own"]["reason"]
    assert cases["portal.the_run_goes_on"]["outcome"] == "conforms"
