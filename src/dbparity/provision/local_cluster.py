"""A throwaway PostgreSQL cluster from the binaries on this machine.

initdb into a temp dir, start ``postgres`` with durability switched off (a test database never
needs to survive a crash), and remove everything on stop. PostgreSQL refuses to run as root, so
as root the cluster runs as the ``postgres`` user (or ``nobody``).

Nobody else gets in: the server has no TCP listener at all (``listen_addresses=''``); its only
socket is in the run's 0700 temp dir, owned by the account the cluster runs as, so no other local
account can even reach it (asyncpg and psycopg connect with ``?host=DIR``). The temp dir and every
process started in it belong to a reaper from before initdb starts (see :mod:`.reaper`).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbparity.provision import initdb_cache
from dbparity.provision.processes import stop_process
from dbparity.provision.reaper import Reaper, ReaperError

TEMP_PREFIX = "dbparity-pg-"
# C.UTF-8 exists on every glibc system, so text ordering is the same wherever the cluster runs
# (code-point order). The locale is recorded in the results, because ordering depends on it.
LOCALE = "C.UTF-8"
#: The port only names the socket file (``.s.PGSQL.5432``) in the private run dir: there is no
#: TCP listener, so it cannot collide with anything else on the machine.
SOCKET_PORT = 5432
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
TEMP_ROOT_ENV = "DBPARITY_TEMP_ROOT"
# A throwaway cluster needs no durability: on tmpfs its ~1000 files are created 5-10x faster
# than on a busy disk. Used when it exists, is writable and has room; else the usual temp dir.
MEMORY_ROOT = Path("/dev/shm")
MEMORY_ROOM_BYTES = 512 * 1024 * 1024


# Durability off: a throwaway test database never needs to survive a crash. Shared with the
# container source, so every PostgreSQL dbparity starts runs with the same settings.
THROWAWAY_SETTINGS = (
    "-c",
    "fsync=off",
    "-c",
    "synchronous_commit=off",
    "-c",
    "full_page_writes=off",
    "-c",
    "max_connections=200",
)


class ClusterError(RuntimeError):
    """The local cluster could not be created or started; the message carries PostgreSQL's log."""


def find_bindir() -> Path | None:
    """The directory holding initdb and postgres: PATH first, then Debian's versioned dirs."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("postgres"):
        return Path(on_path).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    return Path(candidates[-1]).parent if candidates else None


def _unprivileged_user() -> pwd.struct_passwd | None:
    """The account to run PostgreSQL as when we are root; None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ClusterError(
        "running as root and neither a 'postgres' nor a 'nobody' account exists; "
        "PostgreSQL refuses to run as root: create a 'postgres' user or run as another user"
    )


@dataclass
class LocalCluster:
    bindir: Path
    port: int = 0
    directory: Path = field(default_factory=Path)
    user: str = ""
    process: subprocess.Popen[bytes] | None = None
    reaper: Reaper | None = None
    startup_s: float = 0.0
    from_cache: bool = False

    @property
    def url(self) -> str:
        """libpq URL of the maintenance database, through the socket in the private run dir
        (no password: only this account can reach the socket)."""
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql://{self.user}@/{database}?host={self.directory}&port={self.port}"

    def start(self) -> None:
        started = time.perf_counter()
        account = _unprivileged_user()
        self.user = account.pw_name if account else pwd.getpwuid(os.geteuid()).pw_name
        self._own_directory()
        try:
            if account:
                os.chown(self.directory, account.pw_uid, account.pw_gid)
            self.from_cache = self._init_data_dir(account)
            self._start_server(account)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.perf_counter() - started

    def _own_directory(self) -> None:
        """The temp dir, created by the reaper, so it is owned before it exists."""
        try:
            self.reaper = Reaper.new_directory(TEMP_PREFIX, temp_root())
        except ReaperError as exc:
            raise ClusterError(str(exc)) from exc
        assert self.reaper.directory is not None
        self.directory = self.reaper.directory

    def _start_server(self, account: pwd.struct_passwd | None) -> None:
        log = self.directory / "postgres.log"
        self.port = SOCKET_PORT
        with open(log, "wb") as log_file:
            self.process = subprocess.Popen(
                [
                    str(self.bindir / "postgres"),
                    "-D",
                    str(self.directory / "data"),
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.directory),
                    "-c",
                    "listen_addresses=",
                    *THROWAWAY_SETTINGS,
                    # Dynamic shared memory as files in the data directory, which goes with
                    # the run: POSIX segments in /dev/shm outlive a server that was killed.
                    "-c",
                    "dynamic_shared_memory_type=mmap",
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                # Own session: a terminal Ctrl-C reaches pytest, which then stops us in order.
                start_new_session=True,
                # Inside the run dir from the moment it exists: the reaper finds it there.
                cwd=self.directory,
                **_as_user(account),
            )
        if self._wait_ready():
            return
        self._terminate()
        raise ClusterError(f"PostgreSQL did not become ready; its log:\n{log.read_text()[-2000:]}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT_S
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            probe = [str(self.bindir / "pg_isready"), "-q", "-h", str(self.directory)]
            result = subprocess.run([*probe, "-p", str(self.port)], check=False)
            if result.returncode == 0:
                return True
            time.sleep(0.05)
        return False

    def _terminate(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        stop_process(self.process, stop_signal(), STOP_TIMEOUT_S, group=True)
        self.process = None

    def stop(self) -> None:
        """Stop the server and remove its directory; safe to call twice."""
        self._terminate()
        if self.directory != Path() and self.directory.exists():
            shutil.rmtree(self.directory, ignore_errors=True)
        if self.reaper is not None:
            self.reaper.release()
            self.reaper = None

    def initdb_args(self) -> list[str]:
        return [
            "--no-sync",
            "--auth-local=trust",
            "--auth-host=reject",
            "--encoding=UTF8",
            f"--locale={LOCALE}",
            f"--username={self.user}",
        ]

    def _init_data_dir(self, account: pwd.struct_passwd | None) -> bool:
        """The run's data directory: a copy of a cached initdb when there is one (see
        :mod:`dbparity.provision.initdb_cache`); True when it came from the cache."""
        args = self.initdb_args()
        return initdb_cache.populate(
            self.directory / "data",
            self.bindir,
            args,
            self.user,
            run_initdb=lambda d: self._run_as(
                account, [str(self.bindir / "initdb"), *args, "-D", str(d)]
            ),
            chown=lambda d: _chown_tree(d, account),
        )

    def _run_as(self, account: pwd.struct_passwd | None, argv: list[str]) -> None:
        # cwd inside the run dir: the reaper finds initdb (and its bootstrap backends) there.
        result = subprocess.run(
            argv, capture_output=True, check=False, cwd=self.directory, **_as_user(account)
        )
        if result.returncode != 0:
            raise ClusterError(
                f"{argv[0]} failed (exit {result.returncode}): "
                f"{result.stderr.decode(errors='replace').strip()[-2000:]}"
            )


def _as_user(account: pwd.struct_passwd | None) -> dict[str, Any]:
    if account is None:
        return {}
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": account.pw_dir,
        "LC_ALL": LOCALE,
    }
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": [], "env": env}


def _chown_tree(path: Path, account: pwd.struct_passwd | None) -> None:
    """Give a copied data directory to the cluster's account (a no-op when not root)."""
    if account is None:
        return
    uid, gid = account.pw_uid, account.pw_gid
    os.chown(path, uid, gid)
    for parent, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(parent, name), uid, gid, follow_symlinks=False)


def stop_signal() -> signal.Signals:
    """SIGQUIT, PostgreSQL's "immediate shutdown": no shutdown checkpoint, which a throwaway
    cluster whose directory is removed next never needs (SIGINT's fast shutdown writes one)."""
    return signal.SIGQUIT


def temp_root() -> str | None:
    """Where run directories go: ``$DBPARITY_TEMP_ROOT``; else ``$TMPDIR`` when set (None:
    Python's temp dir); else /dev/shm (memory) when usable; else None."""
    configured = os.environ.get(TEMP_ROOT_ENV)
    if configured:
        return configured
    if os.environ.get("TMPDIR"):
        return None
    try:
        room = shutil.disk_usage(MEMORY_ROOT).free
    except OSError:
        return None
    usable = room >= MEMORY_ROOM_BYTES and os.access(MEMORY_ROOT, os.W_OK | os.X_OK)
    return str(MEMORY_ROOT) if usable else None
