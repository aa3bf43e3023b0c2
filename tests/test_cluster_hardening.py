"""The local cluster against other local users and against kills during its start-up."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dbparity.provision.local_cluster import LocalCluster, find_bindir
from tests.conftest import default_signals, processes_mentioning

BINDIR = find_bindir()
needs_postgres = pytest.mark.skipif(BINDIR is None, reason="no PostgreSQL binaries on this machine")


def _account(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _psql_as(user: str, conninfo: str) -> subprocess.CompletedProcess[str]:
    assert BINDIR is not None
    as_user = ["setpriv", f"--reuid={user}", f"--regid={pwd.getpwnam(user).pw_gid}"]
    psql = [str(BINDIR / "psql"), "-X", "-At", "-c", "SELECT current_user"]
    return subprocess.run(
        [*as_user, "--clear-groups", *psql, "-d", conninfo],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PGCONNECT_TIMEOUT": "5"},
        cwd="/",
        check=False,
    )


@needs_postgres
@pytest.mark.skipif(
    os.geteuid() != 0 or not _account("nobody"), reason="needs root to act as another account"
)
def test_another_local_account_cannot_connect(private_tmpdir: Path) -> None:
    """While a run is live, `nobody` reaches the cluster neither over TCP nor over its socket;
    the cluster's own account (the positive control) does."""
    assert BINDIR is not None
    cluster = LocalCluster(BINDIR)
    cluster.start()
    try:
        assert cluster.user != "nobody"
        socket = f"host={cluster.directory} port={cluster.port} user={cluster.user} dbname=postgres"
        own = _psql_as(cluster.user, socket)
        assert own.returncode == 0 and own.stdout.strip() == cluster.user, own.stderr
        for conninfo in (
            socket,
            f"host=127.0.0.1 port={cluster.port} user={cluster.user} dbname=postgres",
            f"host=::1 port={cluster.port} user={cluster.user} dbname=postgres",
        ):
            other = _psql_as("nobody", conninfo)
            assert other.returncode != 0, f"nobody got in through {conninfo}: {other.stdout}"
    finally:
        cluster.stop()


CHILD = """
import sys, time
from pathlib import Path
from dbparity.provision.local_cluster import LocalCluster
cluster = LocalCluster(Path(sys.argv[1]))
print("go", flush=True)
cluster.start()
print("ready", flush=True)
time.sleep(120)
"""
KILLS = 20


def _start_child(tmpdir: Path) -> subprocess.Popen[bytes]:
    assert BINDIR is not None
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(BINDIR)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        # initdb every time (no cache): the longest start-up, and the one that leaked.
        env={**os.environ, "TMPDIR": str(tmpdir), "DBPARITY_INITDB_CACHE": "0"},
        preexec_fn=default_signals,
    )


@needs_postgres
def test_kills_during_startup_leave_nothing(private_tmpdir: Path) -> None:
    """SIGKILL and SIGTERM at instants spread evenly over the whole start-up (the reaper's
    start, initdb, the server's spawn, up to its first ready answer) leave no process and no
    directory once the reaper is done."""
    child = _start_child(private_tmpdir)
    assert child.stdout is not None
    assert child.stdout.readline() == b"go\n"
    started = time.monotonic()
    assert child.stdout.readline() == b"ready\n", "the cluster did not start"
    window = time.monotonic() - started
    child.send_signal(signal.SIGTERM)
    child.wait()
    instants = []
    for i in range(KILLS):
        how = signal.SIGKILL if i % 2 == 0 else signal.SIGTERM
        at = window * i / (KILLS - 1)
        child = _start_child(private_tmpdir)
        assert child.stdout is not None
        child.stdout.readline()  # "go": start() is about to be called
        time.sleep(at)
        child.send_signal(how)
        child.wait()
        instants.append(f"{how.name}@{at:.2f}s")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (
        list(private_tmpdir.iterdir()) or processes_mentioning(private_tmpdir)
    ):
        time.sleep(0.1)
    print("kill instants:", instants)
    left = [p.name for p in private_tmpdir.iterdir()]
    assert (left, processes_mentioning(private_tmpdir)) == ([], []), f"after {instants}"


def _shared_memory() -> set[str]:
    return {p.name for p in Path("/dev/shm").glob("PostgreSQL.*")}


@needs_postgres
@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="no /dev/shm on this machine")
def test_a_killed_server_leaves_no_shared_memory_behind() -> None:
    """A postmaster killed outright (the reaper's last resort, a kill test, an OOM kill) cannot
    remove its POSIX dynamic shared memory, so segments in /dev/shm would outlive every such
    run. The cluster keeps them as files in its data directory, which goes with the run."""
    assert BINDIR is not None
    before = _shared_memory()
    cluster = LocalCluster(BINDIR)
    cluster.start()
    try:
        ours = _shared_memory() - before  # other servers on the machine may add theirs
        control = list((cluster.directory / "data" / "pg_dynshmem").glob("mmap.*"))
        assert cluster.process is not None
        os.kill(cluster.process.pid, signal.SIGKILL)
        cluster.process.wait(timeout=30)
    finally:
        cluster.stop()
    assert control, "the server keeps no dynamic shared memory in its data directory"
    assert ours & _shared_memory() == set()
