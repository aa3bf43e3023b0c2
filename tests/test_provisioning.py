"""Provisioning with real servers: the local cluster, SQLite temp dirs, and what is left after."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from dbparity.backends import load_backends
from dbparity.provision import NotProvisioned, ProvisionOptions, provision
from dbparity.provision.local_cluster import LocalCluster, find_bindir
from tests.conftest import BACKENDS_DIR, TinySuite, default_signals

BINDIR = find_bindir()
needs_postgres = pytest.mark.skipif(BINDIR is None, reason="no PostgreSQL binaries on this machine")


def postgres_pids_under(directory: Path) -> list[int]:
    """PIDs of postgres processes whose command line mentions ``directory``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "postgres" in cmdline and str(directory) in cmdline:
            pids.append(int(entry.name))
    return pids


@needs_postgres
def test_local_cluster_starts_answers_and_leaves_nothing(private_tmpdir: Path) -> None:
    assert BINDIR is not None
    cluster = LocalCluster(BINDIR)
    cluster.start()
    try:
        assert cluster.directory.parent == private_tmpdir
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            row = conn.execute("SELECT current_setting('fsync'), version()").fetchone()
        assert row is not None
        assert row[0] == "off"
        assert str(row[1]).startswith("PostgreSQL")
        assert postgres_pids_under(cluster.directory)
    finally:
        cluster.stop()
    assert postgres_pids_under(private_tmpdir) == []
    assert list(private_tmpdir.iterdir()) == []
    cluster.stop()  # stopping twice is harmless


@needs_postgres
def test_provision_drops_only_its_own_databases(private_tmpdir: Path) -> None:
    assert BINDIR is not None
    backend = load_backends(BACKENDS_DIR)["postgres-asyncpg"]
    with _cluster() as cluster:
        user_url = cluster.url_for("test_users_own")
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE test_users_own")
        with provision(backend, ProvisionOptions(db_url=user_url)) as target:
            assert target.provisioner == "url"
            assert target.server_version.startswith("PostgreSQL ")
            with psycopg.connect(cluster.url, autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE test_dbparity_{target.run_id}_main")
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            names = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
        assert "test_users_own" in names
        assert not [n for n in names if n.startswith("test_dbparity_")]


class _cluster:
    """A LocalCluster as a context manager, for tests."""

    def __enter__(self) -> LocalCluster:
        assert BINDIR is not None
        self.cluster = LocalCluster(BINDIR)
        self.cluster.start()
        return self.cluster

    def __exit__(self, *exc: object) -> None:
        self.cluster.stop()


def test_unreachable_url_means_not_provisioned() -> None:
    backend = load_backends(BACKENDS_DIR)["postgres-psycopg"]
    options = ProvisionOptions(db_url="postgresql://nobody@127.0.0.1:9/test_x")
    with pytest.raises(NotProvisioned, match="did not answer"), provision(backend, options):
        pass


def test_sqlite_file_directory_is_removed(private_tmpdir: Path) -> None:
    backend = load_backends(BACKENDS_DIR)["sqlite-file"]
    with provision(backend, ProvisionOptions()) as target:
        assert Path(target.location).parent == private_tmpdir
        assert target.server_version.startswith("SQLite ")
    assert list(private_tmpdir.iterdir()) == []


SLOW_SUITE = """
import asyncio, os
from pathlib import Path

async def test_waits(session):
    Path(os.environ["READY_FILE"]).write_text("ready")
    await asyncio.sleep(60)
"""


@needs_postgres
@pytest.mark.parametrize("backend", ["postgres-asyncpg", "sqlite-file"])
@pytest.mark.parametrize(
    "how", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name
)
def test_interrupted_run_leaves_no_process_or_directory(
    tiny_suite: TinySuite,
    private_tmpdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    how: signal.Signals,
) -> None:
    """Ctrl-C is cleaned up by pytest itself; SIGTERM and SIGKILL by the reaper."""
    tiny_suite.write_tests("test_slow.py", SLOW_SUITE)
    ready = tiny_suite.path / "ready"
    monkeypatch.setenv("READY_FILE", str(ready))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            f"--backend={backend}",
            "-p",
            "no:randomly",
            f"--dbparity-backends={tiny_suite.backends_dir}",
            "-p",
            "no:cacheprovider",
        ],
        cwd=tiny_suite.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=default_signals,  # SIGINT may be inherited ignored (background jobs)
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert ready.exists(), proc.communicate(timeout=30)[0].decode()
        assert list(private_tmpdir.iterdir()), "the run should have made its temp dir"
        proc.send_signal(how)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    if how == signal.SIGINT:
        assert proc.returncode == pytest.ExitCode.INTERRUPTED, output.decode()
        assert postgres_pids_under(private_tmpdir) == []
        assert list(private_tmpdir.iterdir()) == []
    else:  # the reaper works in the background: give it a bounded time
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
            postgres_pids_under(private_tmpdir) or list(private_tmpdir.iterdir())
        ):
            time.sleep(0.1)
        assert postgres_pids_under(private_tmpdir) == []
        assert list(private_tmpdir.iterdir()) == []
