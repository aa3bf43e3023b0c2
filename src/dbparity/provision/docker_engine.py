"""A Docker engine for the container source: one that answers, or one dbparity starts itself.

An engine that already answers (``DOCKER_HOST`` or the default socket) is used as it is and left
running. Starting one is opt-in (the container source asked for explicitly, see
:mod:`dbparity.provision.container`), needs root, and is what CI on a bare Debian machine does:
``apt-get install docker.io`` when ``dockerd`` is missing, then ``dockerd`` on a private socket
with its own data root in a temp dir, so it never becomes the machine's default engine and
leaves nothing behind. It is stopped when the run ends, by the reaper if the run is killed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbparity.provision.local_cluster import temp_root
from dbparity.provision.processes import stop_process
from dbparity.provision.reaper import Reaper

TEMP_PREFIX = "dbparity-docker-"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
APT_TIMEOUT_S = 600.0


class EngineError(RuntimeError):
    """No Docker engine could be had; the message says why."""


@dataclass(frozen=True)
class Engine:
    """A Docker engine to talk to: its ``DOCKER_HOST`` value and whether this run started it."""

    host: str
    started: bool

    def environment(self) -> dict[str, str]:
        """The environment docker-py's ``from_env`` reads, pointing at this engine."""
        return {"DOCKER_HOST": self.host} if self.host else {}

    def client(self, timeout: int = 60) -> Any:
        import docker

        return docker.from_env(environment=self.environment() or None, timeout=timeout)


DEFAULT_SOCKET = Path("/var/run/docker.sock")


def answering(timeout: int = 5) -> Engine | None:
    """The engine ``DOCKER_HOST`` (or the default socket) names, if it answers a ping. Without
    ``DOCKER_HOST`` and the default socket there is nothing to ask, and docker-py (a costly
    import for a run that then uses a local cluster) is not loaded."""
    if not os.environ.get("DOCKER_HOST") and not DEFAULT_SOCKET.exists():
        return None
    try:
        import docker

        client = docker.from_env(timeout=timeout)
        client.ping()
        client.close()
    except Exception:
        return None
    return Engine(os.environ.get("DOCKER_HOST", ""), started=False)


def can_start() -> str:
    """Empty when this process may start an engine, else why not."""
    if os.geteuid() != 0:
        return "starting a Docker engine needs root"
    if shutil.which("dockerd") is None and shutil.which("apt-get") is None:
        return "no dockerd, and no apt-get to install docker.io with"
    return ""


def apt_install(package: str, command: str) -> None:
    """``apt-get install PACKAGE`` (Debian and derivatives, as root) unless ``command`` exists;
    the package list is refreshed only when the first try cannot find the package."""
    if shutil.which(command):
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise EngineError(f"{command} is missing; install {package} (needs root and apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    argv = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    done = subprocess.run(argv, capture_output=True, env=env, timeout=APT_TIMEOUT_S, check=False)
    if done.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env, check=False)
        done = subprocess.run(
            argv, capture_output=True, env=env, timeout=APT_TIMEOUT_S, check=False
        )
    if done.returncode != 0 or shutil.which(command) is None:
        tail = done.stderr.decode(errors="replace").strip()[-500:]
        raise EngineError(f"apt-get install {package} failed (exit {done.returncode}): {tail}")


@contextmanager
def started_engine() -> Iterator[Engine]:
    """Start ``dockerd`` on a private socket for the length of the block, then stop it and
    remove its data root."""
    why_not = can_start()
    if why_not:
        raise EngineError(why_not)
    apt_install("docker.io", "dockerd")
    # The data root holds the loaded image (~400 MB in thousands of files) and goes at the end:
    # in memory (/dev/shm) when there is room, both loading and removing take a fraction.
    directory = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=temp_root() or "/var/tmp"))
    exec_root = Path(
        tempfile.mkdtemp(prefix=TEMP_PREFIX, dir="/run" if os.access("/run", os.W_OK) else None)
    )
    socket_path = exec_root / "docker.sock"
    host = f"unix://{socket_path}"
    log_path = directory / "dockerd.log"
    reaper: Reaper | None = None
    process: subprocess.Popen[bytes] | None = None
    try:
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    "dockerd",
                    f"--host={host}",
                    f"--data-root={directory / 'data'}",
                    f"--exec-root={exec_root / 'exec'}",
                    f"--pidfile={exec_root / 'dockerd.pid'}",
                    "--log-level=warn",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        reaper = Reaper([process.pid], [directory, exec_root])
        engine = Engine(host, started=True)
        _wait_ready(engine, process, log_path)
        yield engine
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(directory, ignore_errors=True)
        shutil.rmtree(exec_root, ignore_errors=True)
        if reaper is not None:
            reaper.release()


def _wait_ready(engine: Engine, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            client = engine.client(timeout=2)
            client.ping()
            client.close()
            return
        except Exception:
            time.sleep(0.2)
    tail = log_path.read_text(errors="replace")[-1500:]
    raise EngineError(f"dockerd did not come up within {READY_TIMEOUT_S:.0f}s; its log:\n{tail}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM lets dockerd stop its containers and containerd; SIGKILL if it hangs."""
    stop_process(process, signal.SIGTERM, STOP_TIMEOUT_S, group=True)


@contextmanager
def engine(start: bool) -> Iterator[Engine]:
    """An engine that answers; with ``start``, one started for this block when none does."""
    found = answering()
    if found is not None:
        yield found
        return
    if not start:
        raise EngineError("no Docker engine answered")
    with started_engine() as started:
        yield started
