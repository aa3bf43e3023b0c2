"""Every bad input gets one clear line (what, where, what to do): never a traceback, never a
silent pass, never a stray file. Runs in-process to stay cheap; the URLs that need a server to
be judged go to a real throwaway cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dbparity.cli import main
from dbparity.provision.local_cluster import LocalCluster, find_bindir
from tests.conftest import BACKENDS_DIR, TinySuite

BINDIR = find_bindir()
QUIET = ("-p", "no:randomly", "-p", "no:cacheprovider")
SUITE = """
async def test_one(connection):
    pass
"""


def _one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text and "INTERNALERROR" not in text, text
    return lines[0]


def _usage_error(tiny_suite: TinySuite, *args: str) -> str:
    tiny_suite.write_tests("test_one.py", SUITE)
    result = tiny_suite.pytester.runpytest_inprocess(
        f"--dbparity-backends={tiny_suite.backends_dir}", *QUIET, *args
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    return _one_line(result.stderr.str())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--backend=nope"], "--backend 'nope': unknown backend; valid ids:"),
        (
            ["--backend=postgres-asyncpg", "--db-url=postgresql://[::1/test_x"],
            "--db-url 'postgresql://[::1/test_x' is not a valid URL",
        ),
        (
            ["--backend=postgres-asyncpg", "--db-url=postgresql://u@h:port/test_x"],
            "is not a valid URL",
        ),
        (
            ["--backend=postgres-psycopg", "--db-url=host=/tmp dbname=test_x password=pw"],
            "expected a postgresql:// URL, got no scheme",
        ),
        (
            ["--backend=postgres-asyncpg", "--db-url=mysql://u@h/test_x"],
            "expected a postgresql:// URL, got scheme 'mysql'",
        ),
        (
            ["--backend=postgres-asyncpg", "--db-url=postgresql://u@h/prod"],
            "--db-url names database 'prod', whose name does not start with 'test'",
        ),
    ],
    ids=["backend", "ipv6", "port", "key-value", "scheme", "guard"],
)
def test_bad_options_are_one_line(tiny_suite: TinySuite, args: list[str], expected: str) -> None:
    assert expected in _usage_error(tiny_suite, *args)
    assert not list(tiny_suite.path.glob("*.json*")), "a refused run must leave no file"


def test_guard_names_the_environment_variable(
    tiny_suite: TinySuite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBPARITY_POSTGRES_URL", "postgresql://u:hunter2@h/prod")
    line = _usage_error(tiny_suite, "--backend=postgres-asyncpg")
    assert line.startswith("ERROR: DBPARITY_POSTGRES_URL names database 'prod'")
    assert "hunter2" not in line


@pytest.mark.parametrize("where", ["directory", "under-a-file"])
def test_results_path_that_cannot_be_a_file(tiny_suite: TinySuite, where: str) -> None:
    (tiny_suite.path / "results").mkdir()
    (tiny_suite.path / "afile").write_text("mine")
    path = tiny_suite.path / ("results" if where == "directory" else "afile/x.json")
    line = _usage_error(tiny_suite, "--backend=sqlite-memory", f"--dbparity-results={path}")
    assert str(path) in line
    assert ("is a directory" if where == "directory" else "is a file, not a directory") in line
    assert list((tiny_suite.path / "results").iterdir()) == []
    assert (tiny_suite.path / "afile").read_text() == "mine"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["clean"], "no server given: pass --db-url URL or set DBPARITY_POSTGRES_URL"),
        (["clean", "--db-url=postgresql://u:pw@h/prod"], "does not start with 'test'"),
        (["clean", "--db-url=postgresql://u:pw@127.0.0.1:9/test_x"], "Connection refused"),
        (["doctor", "--db-url=postgresql://u:pw@127.0.0.1:9/test_x"], "does not answer"),
        (["doctor", "--db-url=postgresql://[::1/test_x"], "is not a valid URL"),
        (["report", "nothere.json"], "nothere.json: no such results file"),
        (["--backends-dir=/nonexistent", "backends"], "/nonexistent: no backend files"),
    ],
)
def test_cli_errors_are_one_line(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    if argv[0] == "report":
        argv = [*argv, "-o", str(tmp_path / "out")]
    code = main(argv)
    captured = capsys.readouterr()
    assert code != 0
    line = _one_line(captured.err)
    assert expected in line and ":pw@" not in line


def test_report_into_a_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "afile"
    target.write_text("mine")
    data = Path(__file__).parent / "data" / "report" / "pg.json"
    assert main(["--backends-dir", str(BACKENDS_DIR), "report", str(data), "-o", str(target)]) == 2
    assert "is a file, not a directory" in _one_line(capsys.readouterr().err)
    assert target.read_text() == "mine"


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    if BINDIR is None:
        pytest.skip("no PostgreSQL binaries on this machine")
    server = LocalCluster(BINDIR)
    server.start()
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE test_x")
        conn.execute("CREATE ROLE nocreate LOGIN")
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("user", "database", "expected"),
    [
        ("postgres", "test_nope", "refused the connection: connection failed: "),
        ("ghost", "test_x", 'role "ghost" does not exist'),
        ("nocreate", "test_x", "this user may not create databases"),
    ],
)
def test_servers_that_refuse_mean_not_run_in_one_line(
    tiny_suite: TinySuite, cluster: LocalCluster, user: str, database: str, expected: str
) -> None:
    tiny_suite.write_tests("test_one.py", SUITE)
    url = cluster.url_for(database).replace(f"{cluster.user}@", f"{user}@", 1)
    result = tiny_suite.pytester.runpytest_inprocess(
        f"--dbparity-backends={tiny_suite.backends_dir}",
        *QUIET,
        "--backend=postgres-asyncpg",
        f"--db-url={url}",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    lines = [line for line in result.stdout.lines if line.startswith("NOT RUN: ")]
    assert len(lines) == 1 and expected in lines[0], result.stdout.str()


def test_doctor_checks_a_url_without_starting_a_run(
    cluster: LocalCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor", f"--db-url={cluster.url_for('test_x')}"]) == 0
    out = capsys.readouterr().out
    assert "answers: PostgreSQL " in out
    nocreate = cluster.url_for("test_x").replace(f"{cluster.user}@", "nocreate@", 1)
    assert main(["doctor", f"--db-url={nocreate}"]) == 1
    assert "may not create databases" in _one_line(capsys.readouterr().err)
    with psycopg.connect(cluster.url) as conn:
        names = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
    assert not [n for n in names if n.startswith("test_dbparity_")]
