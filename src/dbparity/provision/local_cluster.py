"""A throwaway PostgreSQL cluster from the binaries on this machine.

initdb into a temp dir, start ``postgres`` on a free loopback port with durability switched off
(a test database never needs to survive a crash), and remove everything on stop. PostgreSQL
refuses to run as root, so as root the cluster runs as the ``postgres`` user (or ``nobody``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbparity.provision.reaper import Reaper

TEMP_PREFIX = "dbparity-pg-"
# C.UTF-8 exists on every glibc system, so text ordering is the same wherever the cluster runs
# (code-point order). The locale is recorded in the results, because ordering depends on it.
LOCALE = "C.UTF-8"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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

    @property
    def url(self) -> str:
        """libpq URL of the maintenance database (trust auth on loopback: no password)."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        started = time.perf_counter()
        account = _unprivileged_user()
        self.user = account.pw_name if account else pwd.getpwuid(os.geteuid()).pw_name
        self.directory = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
        try:
            if account:
                os.chown(self.directory, account.pw_uid, account.pw_gid)
            self._run_as(
                account,
                [
                    str(self.bindir / "initdb"),
                    "--no-sync",
                    "--auth=trust",
                    "--encoding=UTF8",
                    f"--locale={LOCALE}",
                    f"--username={self.user}",
                    "-D",
                    str(self.directory / "data"),
                ],
            )
            self._start_server(account)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.perf_counter() - started

    def _start_server(self, account: pwd.struct_passwd | None) -> None:
        log = self.directory / "postgres.log"
        for _attempt in range(3):  # a free port can be taken between bind and listen
            self.port = free_port()
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
                        "listen_addresses=127.0.0.1",
                        "-c",
                        "fsync=off",
                        "-c",
                        "synchronous_commit=off",
                        "-c",
                        "full_page_writes=off",
                        "-c",
                        "max_connections=200",
                    ],
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    # Own session: a terminal Ctrl-C reaches pytest, which then stops us in order.
                    start_new_session=True,
                    **_as_user(account),
                )
            if self._wait_ready():
                self.reaper = Reaper([self.process.pid], [self.directory])
                return
            self._terminate()
        raise ClusterError(f"PostgreSQL did not become ready; its log:\n{log.read_text()[-2000:]}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT_S
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            result = subprocess.run(
                [str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                check=False,
            )
            if result.returncode == 0:
                return True
            time.sleep(0.05)
        return False

    def _terminate(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        # SIGINT is PostgreSQL's "fast shutdown": roll back sessions and exit cleanly.
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        """Stop the server and remove its directory; safe to call twice."""
        self._terminate()
        if self.directory != Path() and self.directory.exists():
            shutil.rmtree(self.directory, ignore_errors=True)
        if self.reaper is not None:
            self.reaper.release()
            self.reaper = None

    def _run_as(self, account: pwd.struct_passwd | None, argv: list[str]) -> None:
        result = subprocess.run(argv, capture_output=True, check=False, **_as_user(account))
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
