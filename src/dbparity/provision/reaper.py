"""Clean up after a run that died before it could clean up itself.

pytest cleans up on success, failure and Ctrl-C. It cannot on SIGKILL, nor when nox answers a
Ctrl-C by sending SIGTERM then SIGKILL to the test process a fraction of a second later. So each
server process and temp dir is also handed to a small watcher process, started in its own
session so the terminal's Ctrl-C does not reach it. It waits for its stdin to close, which
happens when the owner closes it after cleaning up (nothing left to do) or when the owner dies
in any way (the kernel closes the pipe); then it stops what is still running and removes what is
still there.

There is no window in which a kill leaks anything:

- :meth:`Reaper.new_directory` has the watcher *create* the temp dir, so the directory is owned
  before it exists (an owner killed before it even learns the name still gets it removed).
- Every process the owner starts for a cluster (initdb, postgres) is started with its working
  directory inside that temp dir, so the watcher finds it from the moment it is spawned, before
  the owner knows its pid: it stops every PostgreSQL process whose working directory is inside
  a directory it owns (Linux: ``/proc/PID/cwd``). A child's ``chdir`` happens before it closes
  the inherited pipe, so by the time the watcher sees EOF every such child is findable.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STOP_TIMEOUT_S = 10.0
DONE = b"done"  # what the owner writes after cleaning up; a bare EOF means it died
#: Processes the watcher may stop when their working directory is inside a directory it owns.
#: (Nothing else is ever signalled: a user's shell that happens to sit in the directory is not.)
#: ``node`` is the PGlite server (provision/pglite.py), started inside its own temp dir.
OWNED_COMMANDS = frozenset({"postgres", "postmaster", "initdb", "pg_ctl", "node"})


class ReaperError(RuntimeError):
    """The watcher could not be started (or could not create the directory)."""


class Reaper:
    """The owner's handle on a watcher process; call :meth:`release` after cleaning up."""

    def __init__(
        self,
        pids: list[int],
        paths: list[Path],
        *,
        new_directory: tuple[Path, str] | None = None,
        containers: list[str] | None = None,
        docker_host: str = "",
    ) -> None:
        argv = [sys.executable, "-m", "dbparity.provision.reaper"]
        argv += [f"--pid={pid}" for pid in pids] + [f"--path={path}" for path in paths]
        if new_directory is not None:
            argv += [f"--mkdtemp-in={new_directory[0]}", f"--mkdtemp-prefix={new_directory[1]}"]
        argv += container_args(containers or [], docker_host)
        self._process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE if new_directory else subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.directory: Path | None = None
        if new_directory is not None:
            assert self._process.stdout is not None
            line = self._process.stdout.readline().decode().strip()
            self._process.stdout.close()
            if not line:
                self.release()
                raise ReaperError(
                    f"could not create a temp dir in {new_directory[0]} (is it writable?)"
                )
            self.directory = Path(line)

    @classmethod
    def new_directory(cls, prefix: str, parent: str | None = None) -> Reaper:
        """A watcher that creates a fresh 0700 temp dir (``.directory``) and owns it from the
        moment it exists, with every PostgreSQL process later started inside it."""
        return cls([], [], new_directory=(Path(parent or tempfile.gettempdir()), prefix))

    def release(self) -> None:
        """The owner cleaned up itself: tell the watcher so, and wait for it to end."""
        if self._process.stdin is not None:
            try:
                self._process.stdin.write(DONE)
                self._process.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self._process.wait(timeout=STOP_TIMEOUT_S + 5)
        except subprocess.TimeoutExpired:
            self._process.kill()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop(pid: int) -> None:
    """PostgreSQL's fast shutdown (SIGINT), then SIGKILL if it does not go."""
    if not _alive(pid):
        return
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


def _inside(path: str, roots: list[str]) -> bool:
    path = path.removesuffix(" (deleted)")
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def processes_in(paths: list[Path]) -> dict[int, tuple[int, str, str]]:
    """Live PostgreSQL processes (pid -> parent pid, command, command line) whose working
    directory is inside one of ``paths``. Empty where there is no ``/proc``."""
    roots = [str(p) for p in paths]
    found: dict[int, tuple[int, str, str]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd")
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, UnicodeDecodeError):
            continue  # gone, a zombie, or not ours to look at
        if not _inside(cwd, roots):
            continue
        command = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if command in OWNED_COMMANDS and fields[0] != "Z":
            found[int(entry)] = (int(fields[1]), command, cmdline)
    return found


def stop_processes_in(paths: list[Path], timeout: float = STOP_TIMEOUT_S) -> None:
    """Stop every PostgreSQL process working inside ``paths``: a postmaster gets SIGINT (fast
    shutdown, which also removes its shared memory), initdb and its bootstrap backends SIGKILL
    (their directory is about to go anyway); whatever is still there at the deadline, SIGKILL."""
    deadline = time.monotonic() + timeout
    asked: set[int] = set()
    while found := processes_in(paths):
        late = time.monotonic() > deadline
        for pid, (ppid, command, cmdline) in found.items():
            server = command in ("postgres", "postmaster")
            standalone = "--boot" in cmdline or "--single" in cmdline
            if late:
                how = signal.SIGKILL
            elif server and ppid in found:
                continue  # a backend: its postmaster (or initdb) takes it down
            elif server and not standalone:
                if pid in asked:
                    continue
                how = signal.SIGINT
                asked.add(pid)
            else:
                how = signal.SIGKILL
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, how)
        time.sleep(0.02)


def _make_directory(parent: Path, prefix: str) -> Path | None:
    try:
        directory = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    except OSError:
        return None
    try:
        sys.stdout.write(f"{directory}\n")
        sys.stdout.flush()
    except (BrokenPipeError, OSError):
        pass  # the owner is already gone; clean up below all the same
    return directory


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pid", type=int, action="append", default=[])
    parser.add_argument("--path", type=Path, action="append", default=[])
    parser.add_argument("--mkdtemp-in", type=Path, default=None)
    parser.add_argument("--mkdtemp-prefix", default="dbparity-")
    add_container_options(parser)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    paths: list[Path] = list(args.path)
    if args.mkdtemp_in is not None:
        created = _make_directory(args.mkdtemp_in, args.mkdtemp_prefix)
        if created is None:
            return
        paths.append(created)
    if sys.stdin.buffer.read() == DONE:  # read() returns at EOF: the owner is done or dead
        return
    remove_containers(args.container, args.docker_host)
    for pid in args.pid:
        _stop(pid)
    stop_processes_in(paths)
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)
    # initdb killed mid-write cannot write again, but check once more for anything started late.
    stop_processes_in(paths, timeout=1.0)
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


# --- containers (provision/container.py): removed before any process or path is touched, so
# an engine this run started (one of the pids) is still there to remove them.


def container_args(containers: list[str], docker_host: str) -> list[str]:
    argv = [f"--container={c}" for c in containers]
    return [*argv, f"--docker-host={docker_host}"] if containers and docker_host else argv


def add_container_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--container", action="append", default=[])
    parser.add_argument("--docker-host", default="")


def remove_containers(containers: list[str], docker_host: str) -> None:
    """``docker rm -f`` each container (and its anonymous volumes); errors are ignored: the
    container may be gone already."""
    if not containers:
        return
    try:
        import docker

        client = docker.from_env(environment={"DOCKER_HOST": docker_host} if docker_host else None)
    except Exception:
        return
    for container_id in containers:
        try:
            client.api.remove_container(container_id, force=True, v=True)
        except Exception:
            continue


if __name__ == "__main__":
    main()
