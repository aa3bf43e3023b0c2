"""`dbparity clean` on a real server: the databases of a killed run are listed and, when asked,
dropped; a live run's databases and everything else on the server are never touched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from dbparity.provision.local_cluster import LocalCluster, find_bindir
from tests.conftest import TinySuite, default_signals

BINDIR = find_bindir()
pytestmark = pytest.mark.skipif(BINDIR is None, reason="no PostgreSQL binaries on this machine")

WAITING_SUITE = """
import os, time
from pathlib import Path

async def test_waits(connection):
    Path(os.environ["READY_FILE"]).write_text("ready")
    time.sleep(120)
"""
BACKEND = "--backend=postgres-psycopg"
PYTEST = [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider"]
OTHERS = ["test_users_own", "test_dbparity_notarun_x", "test_dbparity_44444444", "app"]


def _clean(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dbparity.cli", "clean", f"--db-url={url}", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _databases(url: str) -> set[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        return {str(r[0]) for r in conn.execute("SELECT datname FROM pg_database")}


def test_clean_lists_and_drops_only_what_a_killed_run_left(
    tiny_suite: TinySuite, private_tmpdir: Path
) -> None:
    assert BINDIR is not None
    tiny_suite.write_tests("test_waits.py", WAITING_SUITE)
    cluster = LocalCluster(BINDIR)
    cluster.start()
    try:
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            for name in OTHERS:
                conn.execute(f'CREATE DATABASE "{name}"')
        url = cluster.url_for("test_users_own")
        ready = tiny_suite.path / "ready"
        run = subprocess.Popen(
            [
                *PYTEST,
                f"--dbparity-backends={tiny_suite.backends_dir}",
                "--backend=postgres-psycopg",
                f"--db-url={url}",
            ],
            cwd=tiny_suite.path,
            env={**os.environ, "READY_FILE": str(ready)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=default_signals,
        )
        try:
            deadline = time.monotonic() + 60
            while not ready.exists() and run.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert ready.exists(), run.communicate(timeout=30)[0].decode()
            run_dbs = {n for n in _databases(url) if n not in OTHERS and n.startswith("test_dbp")}
            assert run_dbs, "the run made no databases of its own"
            live = _clean(url, "--drop")
            assert live.returncode == 0, live.stderr
            assert "live run, kept" in live.stdout and "dropped" not in live.stdout
            assert run_dbs <= _databases(url)
        finally:
            run.send_signal(signal.SIGKILL)
            run.wait()
        deadline = time.monotonic() + 10
        listed = _clean(url)
        while "run gone" not in listed.stdout and time.monotonic() < deadline:
            time.sleep(0.2)
            listed = _clean(url)
        assert listed.returncode == 0, listed.stderr
        assert "run gone" in listed.stdout and "pass --drop" in listed.stdout
        for name in run_dbs:
            assert name in listed.stdout
        assert run_dbs <= _databases(url), "listing must not drop anything"
        dropped = _clean(url, "--drop")
        assert dropped.returncode == 0, dropped.stderr
        assert f"dropped {len(run_dbs)} databases" in dropped.stdout
        left = _databases(url)
        assert not run_dbs & left
        assert set(OTHERS) <= left
    finally:
        cluster.stop()


def test_clean_refuses_a_production_url_in_one_line() -> None:
    done = _clean("postgresql://u:hunter2@127.0.0.1:9/app", "--drop")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "does not start with 'test'" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout
