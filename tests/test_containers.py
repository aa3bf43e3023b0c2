"""The container source for real: a Docker engine (started here as root when none answers), an
image built from Debian packages when none can be pulled, and what is left after a run, also
after SIGKILL. Slow the first time on a machine (the image build); later runs load the cached
image tarball."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from dbparity.backends import load_backends
from dbparity.provision import ProvisionOptions, provision
from dbparity.provision.container import LABEL
from dbparity.provision.docker_engine import Engine, can_start, engine, started_engine
from tests.conftest import BACKENDS_DIR, TinySuite, default_signals

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.geteuid() != 0 and not os.environ.get("DOCKER_HOST"),
        reason="needs root (to start a Docker engine) or DOCKER_HOST",
    ),
]
VERSION = 15  # bookworm: the suite this machine's apt mirror certainly carries


@pytest.fixture(scope="module")
def docker() -> Iterator[Engine]:
    """The engine for this module: the one that answers, else one started here (stopped and
    removed when the module ends)."""
    why_not = can_start()
    with engine(start=not why_not) as found:
        yield found


def labelled(found: Engine) -> list[dict[str, object]]:
    """Every container (running or not) that a dbparity run made on this engine."""
    client = found.client()
    try:
        return list(client.api.containers(all=True, filters={"label": LABEL}))
    finally:
        client.close()


def test_container_has_a_random_password_and_a_loopback_port(
    docker: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker.host or os.environ.get("DOCKER_HOST", ""))
    backend = load_backends(BACKENDS_DIR)["postgres-asyncpg"]
    options = ProvisionOptions(postgres_source="container", postgres_version=VERSION)
    with provision(backend, options) as target:
        assert target.provisioner.startswith("container ")
        assert target.server_version.startswith(f"PostgreSQL {VERSION}.")
        url = urlsplit(target.location)
        assert url.hostname == "127.0.0.1"
        assert url.password and len(url.password) >= 24 and url.password != "test"
        mine = [c for c in labelled(docker) if c["Labels"][LABEL] == target.run_id]
        assert len(mine) == 1
        assert {p.get("IP") for p in mine[0]["Ports"] if p.get("PublicPort")} == {"127.0.0.1"}
        with psycopg.connect(target.location, connect_timeout=10) as conn:
            assert conn.execute("SELECT current_setting('fsync')").fetchone() == ("off",)
        wrong = target.location.replace(url.password, "not-the-password")
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(wrong, connect_timeout=10).close()
        run_id = target.run_id
    assert [c for c in labelled(docker) if c["Labels"][LABEL] == run_id] == []


SLOW_SUITE = """
import asyncio, os
from pathlib import Path

async def test_waits(session):
    Path(os.environ["READY_FILE"]).write_text("ready")
    await asyncio.sleep(120)
"""


def start_slow_run(
    tiny_suite: TinySuite, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], Path]:
    tiny_suite.write_tests("test_slow.py", SLOW_SUITE)
    ready = tiny_suite.path / "ready"
    backends = tiny_suite.backends_dir  # the shipped files without their divergences
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "--backend=postgres-asyncpg",
            f"--dbparity-backends={backends}",
            "--postgres-source=container",
            f"--postgres-version={VERSION}",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
        ],
        cwd=tiny_suite.path,
        env={**os.environ, **env, "READY_FILE": str(ready)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=default_signals,
    )
    deadline = time.monotonic() + 600  # a first run on a machine builds the image
    while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    if not ready.exists():
        proc.kill()
        pytest.fail(proc.communicate(timeout=30)[0].decode()[-3000:])
    return proc, ready


def wait_until(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return bool(condition())  # type: ignore[operator]


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name)
def test_interrupted_run_leaves_no_container(
    docker: Engine, tiny_suite: TinySuite, how: signal.Signals
) -> None:
    """Ctrl-C: pytest removes the container itself; SIGKILL (and nox's SIGTERM): the reaper."""
    before = {c["Id"] for c in labelled(docker)}
    proc, _ready = start_slow_run(tiny_suite, {"DOCKER_HOST": docker.host} if docker.host else {})
    started = [c for c in labelled(docker) if c["Id"] not in before]
    assert len(started) == 1
    proc.send_signal(how)
    proc.wait(timeout=60)
    if how == signal.SIGINT:
        assert proc.returncode == pytest.ExitCode.INTERRUPTED
    assert wait_until(lambda: not [c for c in labelled(docker) if c["Id"] not in before], 30)


def dockerd_pids() -> set[int]:
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv and argv[0].endswith(b"dockerd"):
                pids.add(int(entry.name))
    return pids


@pytest.mark.skipif(bool(can_start()), reason="cannot start a Docker engine here (needs root)")
def test_an_engine_the_harness_starts_is_gone_after_the_run() -> None:
    before = dockerd_pids()
    with started_engine() as found:
        socket = Path(urlsplit(found.host).path)
        assert socket.exists()
        assert found.started and dockerd_pids() - before
        client = found.client()
        assert client.ping()
        client.close()
    assert not socket.exists() and not socket.parent.exists()
    assert dockerd_pids() - before == set()


@pytest.mark.skipif(bool(can_start()), reason="cannot start a Docker engine here (needs root)")
def test_sigkilled_run_stops_the_engine_it_started(tiny_suite: TinySuite, docker: Engine) -> None:
    """No engine answers for the child (DOCKER_HOST names a socket that does not exist), so it
    starts its own; after SIGKILL the reaper removes the container, stops that engine and
    removes its directories."""
    before = dockerd_pids()
    nowhere = f"unix://{tiny_suite.path / 'no-docker.sock'}"
    proc, _ready = start_slow_run(tiny_suite, {"DOCKER_HOST": nowhere})
    theirs = dockerd_pids() - before
    assert len(theirs) == 1
    argv = (Path("/proc") / str(next(iter(theirs))) / "cmdline").read_bytes().split(b"\0")
    dirs = [
        Path(a.split(b"=", 1)[1].decode()).parent for a in argv if a.startswith(b"--data-root=")
    ]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert wait_until(lambda: not (dockerd_pids() - before), 60)
    assert wait_until(lambda: not any(d.exists() for d in dirs), 30), dirs
