"""Results are never stale nor shared, and no password reaches any artefact."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from dbparity import results as results_format
from dbparity.provision.local_cluster import LocalCluster, find_bindir
from tests.conftest import BACKENDS_DIR, TinySuite, default_signals

ROOT = Path(__file__).resolve().parent.parent
BINDIR = find_bindir()

WAITING_SUITE = """
import os, time
from pathlib import Path

async def test_waits(connection):  # on the database: a run that never touches it fails
    Path(os.environ["READY_FILE"]).write_text("ready")
    deadline = time.monotonic() + 60
    while not Path(os.environ["GO_FILE"]).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
"""


PYTEST = [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider"]


def _pytest(suite: TinySuite, results: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *PYTEST,
            f"--dbparity-backends={suite.backends_dir}",
            "--backend=sqlite-memory",
            f"--dbparity-results={results}",
            *args,
        ],
        cwd=suite.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=default_signals,
    )


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.exists(), proc.communicate(timeout=30)[0]


def _report(out: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "dbparity.cli", "--backends-dir", str(BACKENDS_DIR), "report"]
    return subprocess.run(
        [*argv, *map(str, files), "-o", str(out)], capture_output=True, text=True, check=False
    )


def test_killed_run_never_leaves_the_previous_results(
    tiny_suite: TinySuite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A complete run, then a run killed with SIGTERM into the same path: the file is the
    killed run's placeholder, and the report flags it as cut short."""
    tiny_suite.write_tests("test_waits.py", WAITING_SUITE)
    results = tiny_suite.path / "results" / "sqlite-memory.json"
    monkeypatch.setenv("READY_FILE", str(tiny_suite.path / "ready"))
    monkeypatch.setenv("GO_FILE", str(tiny_suite.path / "go"))
    (tiny_suite.path / "go").write_text("go")
    first = _pytest(tiny_suite, results)
    assert first.wait(timeout=120) == 0, first.communicate()[0]
    assert results_format.load(results).counts()["conforms"] == 1
    (tiny_suite.path / "go").unlink()
    (tiny_suite.path / "ready").unlink()

    second = _pytest(tiny_suite, results)
    _wait_for(tiny_suite.path / "ready", second)
    second.send_signal(signal.SIGTERM)
    second.wait(timeout=60)

    loaded = results_format.load(results)
    assert loaded.run.exit_status == results_format.UNFINISHED
    assert loaded.cases == []
    report = _report(tiny_suite.path / "reports", results)
    assert report.returncode == 0, report.stderr
    markdown = (tiny_suite.path / "reports" / "compatibility.md").read_text("utf-8")
    assert "killed before it wrote its results" in markdown
    assert [p.name for p in results.parent.iterdir()] == ["sqlite-memory.json"]


def test_second_run_into_the_same_path_is_refused_in_one_line(
    tiny_suite: TinySuite, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny_suite.write_tests("test_waits.py", WAITING_SUITE)
    results = tiny_suite.path / "sqlite-memory.json"
    monkeypatch.setenv("READY_FILE", str(tiny_suite.path / "ready"))
    monkeypatch.setenv("GO_FILE", str(tiny_suite.path / "go"))
    first = _pytest(tiny_suite, results)
    try:
        _wait_for(tiny_suite.path / "ready", first)
        second = _pytest(tiny_suite, results)
        output = second.communicate(timeout=120)[0]
        assert second.returncode == pytest.ExitCode.USAGE_ERROR, output
        errors = [line for line in output.splitlines() if line.strip()]
        assert len(errors) == 1, output
        assert "another run" in errors[0] and str(results) in errors[0]
    finally:
        (tiny_suite.path / "go").write_text("go")
        first.wait(timeout=60)
    assert first.returncode == 0
    assert results_format.load(results).counts()["conforms"] == 1
    beside = [p.name for p in tiny_suite.path.iterdir() if "sqlite-memory.json" in p.name]
    assert beside == ["sqlite-memory.json"]


PASSING_SUITE = """
async def test_answers(connection):
    from sqlalchemy import text
    assert (await connection.execute(text("SELECT 1"))).scalar() == 1
"""


@pytest.mark.skipif(BINDIR is None, reason="no PostgreSQL binaries on this machine")
def test_no_password_reaches_any_artefact(tiny_suite: TinySuite, private_tmpdir: Path) -> None:
    """Passwords in every form a URL or DSN can carry them, through a run that works, a run
    whose server does not answer and a refused DSN: none of them in the output, the results
    files or any report file."""
    assert BINDIR is not None
    tiny_suite.write_tests("test_answers.py", PASSING_SUITE)
    cluster = LocalCluster(BINDIR)
    cluster.start()
    try:
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE test_secret")
        socket = f"host={cluster.directory}&port={cluster.port}"
        runs = {
            "userinfo": (
                "postgres-asyncpg",
                f"postgresql://{cluster.user}:Userinfo-Secret-1@/test_secret?{socket}",
            ),
            "query": (
                "postgres-psycopg",
                f"postgresql://{cluster.user}@/test_secret?{socket}&password=Query-Secret-2",
            ),
            "unreachable": (
                "postgres-asyncpg",
                "postgresql://u:Down-Secret-3@127.0.0.1:9/test_x?password=Down-Secret-4",
            ),
            "dsn": (
                "postgres-psycopg",
                f"host={cluster.directory} dbname=test_secret password='Dsn Secret-5'",
            ),
        }
        secrets = ["Userinfo-Secret-1", "Query-Secret-2", "Down-Secret-3", "Down-Secret-4"]
        secrets += ["Dsn Secret-5", "Secret-5", "Dsn%20Secret-5"]
        outputs = []
        files = []
        for name, (backend, url) in runs.items():
            results = tiny_suite.path / "results" / f"{name}.json"
            # In-process (cheap): pytest's whole output is captured all the same.
            done = tiny_suite.pytester.runpytest_inprocess(
                f"--dbparity-backends={tiny_suite.backends_dir}",
                f"--backend={backend}",
                f"--db-url={url}",
                f"--dbparity-results={results}",
                "-p",
                "no:randomly",
                "-p",
                "no:cacheprovider",
            )
            outputs.append(f"{name}: {done.ret}\n{done.stdout.str()}\n{done.stderr.str()}")
            if results.exists():
                files.append(results)
        assert (
            results_format.load(tiny_suite.path / "results" / "userinfo.json").counts()["conforms"]
            == 1
        ), outputs[0]
        assert "--db-url" in outputs[3] and "expected a postgresql:// URL" in outputs[3]
    finally:
        cluster.stop()
    report = _report(tiny_suite.path / "reports", *files)
    outputs.append(report.stdout + report.stderr)
    artefacts = {f"output {i}": text for i, text in enumerate(outputs)}
    for path in [*files, *(tiny_suite.path / "reports").rglob("*")]:
        if path.is_file():
            artefacts[str(path)] = path.read_text("utf-8", errors="replace")
    assert len(artefacts) >= 8
    leaks = [(where, s) for where, text in artefacts.items() for s in secrets if s in text]
    assert leaks == [], json.dumps(artefacts, indent=1)[:4000]
