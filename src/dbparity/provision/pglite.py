"""PGlite (PostgreSQL compiled to WebAssembly) served over the wire protocol by a Node process.

PGlite runs in Node; ``@electric-sql/pglite-socket`` puts the PostgreSQL wire protocol in front
of it, so psycopg talks to it like to any server. Four facts shape this module:

- **Installation**: the two npm packages are pinned (versions and integrity hashes) in
  ``pglite_npm/package-lock.json``. On first use ``npm ci`` installs them into a cache directory
  (``$DBPARITY_CACHE_DIR``, else ``$XDG_CACHE_HOME/dbparity``, else ``~/.cache/dbparity``), named
  after the lock file's hash; later runs reuse it. Needs Node >= 18 and npm, and the npm
  registry on first use only.
- **One session**: PGlite is a single PostgreSQL backend. The socket server multiplexes every
  client connection onto it and serialises transactions (a second connection waits while
  another is inside a transaction). It is started with room for many connections, because with
  its default of one a reconnect that arrives before the old socket is reaped is answered with
  "Too many connections" and the server stops accepting anyone.
- **Start-up**: PGlite's initdb runs in WebAssembly and is most of a fresh start, so the first
  server's data directory is kept beside the packages (``pgdata-template``) and every later
  server starts from a copy of it in its own temp dir.
- **Cleanup**: the server listens on a Unix socket in a private (0700) temp dir, so no other
  local user can connect; the Node process and the dir are handed to the reaper, and stopped
  with SIGTERM (the server's own clean shutdown) at the end.
"""

from __future__ import annotations

import hashlib
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import psycopg

from dbparity.provision import NotProvisioned
from dbparity.provision.initdb_cache import cache_root
from dbparity.provision.processes import stop_process
from dbparity.provision.reaper import Reaper

TEMP_PREFIX = "dbparity-pglite-"
SERVER_SCRIPT = Path("node_modules/@electric-sql/pglite-socket/dist/scripts/server.js")
PORT = 5432  # only names the socket file (.s.PGSQL.5432); nothing listens on TCP
MAX_CONNECTIONS = 64
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
INSTALL_TIMEOUT_S = 300.0
MIN_NODE_MAJOR = 18


@dataclass(frozen=True)
class Server:
    """A running PGlite server: its libpq URL and what it reports about itself."""

    url: str
    version: str
    pid: int
    settings: dict[str, str]


def _npm_files() -> dict[str, bytes]:
    folder = resources.files("dbparity.provision") / "pglite_npm"
    return {name: (folder / name).read_bytes() for name in ("package.json", "package-lock.json")}


def installed_dir() -> Path:
    """The directory holding the pinned npm packages; installs them on first use."""
    files = _npm_files()
    digest = hashlib.sha256(files["package-lock.json"]).hexdigest()[:12]
    target = cache_root() / f"pglite-{digest}"
    if (target / SERVER_SCRIPT).is_file():
        return target
    _node()
    npm = shutil.which("npm")
    if npm is None:
        raise NotProvisioned(
            "PGlite's npm packages are not installed yet and npm is not on PATH; install it "
            "(Debian: apt-get install npm)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Install beside the target, then rename: concurrent runs never see a half-installed tree.
    staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=target.parent))
    try:
        for name, content in files.items():
            (staging / name).write_bytes(content)
        command = [npm, "ci", "--legacy-peer-deps", "--no-audit", "--no-fund", "--loglevel=error"]
        try:
            done = subprocess.run(
                command,
                cwd=staging,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise NotProvisioned(
                f"`npm ci` for PGlite did not finish in {INSTALL_TIMEOUT_S:.0f}s (in {staging}); "
                "is the npm registry reachable?"
            ) from None
        if done.returncode != 0:
            raise NotProvisioned(
                f"`npm ci` for PGlite failed (exit {done.returncode}): {_last_line(done.stderr)}; "
                "the npm registry must be reachable on first use"
            )
        try:
            staging.rename(target)
        except OSError:
            if not (target / SERVER_SCRIPT).is_file():  # another run won the race; else a fault
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _node() -> str:
    """The node executable, if it is new enough."""
    node = shutil.which("node")
    if node is None:
        raise NotProvisioned(
            f"PGlite needs Node.js >= {MIN_NODE_MAJOR}, and node is not on PATH; install it "
            "(Debian: apt-get install nodejs npm)"
        )
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout
    major = out.strip().lstrip("v").split(".", 1)[0]
    if not major.isdigit() or int(major) < MIN_NODE_MAJOR:
        raise NotProvisioned(
            f"PGlite needs Node.js >= {MIN_NODE_MAJOR}; {node} is {out.strip() or 'unknown'}"
        )
    return node


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


@contextmanager
def server() -> Iterator[Server]:
    """Start a PGlite server for the length of the ``with`` block."""
    node = _node()
    install = installed_dir()
    with _running(node, install, _data_template(node, install)) as found:
        yield found


def _data_template(node: str, install: Path) -> Path:
    """A data directory PGlite initialised once, kept beside the packages; every server starts
    from a copy of it. PGlite's own initdb (in WebAssembly) is most of a fresh start: about 9 s
    against 2.5 s from a copy on this machine under load, and the copy answers queries as fast
    as ``memory://``."""
    target = install / "pgdata-template"
    if (target / "PG_VERSION").is_file():
        return target
    staging = Path(tempfile.mkdtemp(prefix="pgdata-template.", dir=install))
    try:
        with _running(node, install, None, keep=staging / "data"):
            pass  # started (initdb ran), then stopped cleanly; its data dir moves to staging
        if not (staging / "data" / "PG_VERSION").is_file():
            raise NotProvisioned(
                "PGlite did not stop cleanly after initialising its data directory, so there is "
                f"no template to start from; see whether {install} is writable"
            )
        try:
            (staging / "data").rename(target)
        except OSError:
            if not (target / "PG_VERSION").is_file():  # another run won the race; else a fault
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


@contextmanager
def _running(
    node: str, install: Path, template: Path | None, keep: Path | None = None
) -> Iterator[Server]:
    """A server on a data directory in a fresh temp dir: a copy of ``template``, or initialised
    by PGlite when there is none. ``keep``: after a clean stop, move the data directory there."""
    # The reaper creates the dir and owns it before it exists; Node is started inside it, so the
    # reaper finds and stops it whenever this process dies, even before Popen returns.
    reaper = Reaper.new_directory(TEMP_PREFIX)
    assert reaper.directory is not None
    directory = reaper.directory
    data = directory / "data"
    log_path = directory / "server.log"
    argv = [
        node,
        str(install / SERVER_SCRIPT),
        f"--path={directory / f'.s.PGSQL.{PORT}'}",
        f"--db={data}",
        f"--max-connections={MAX_CONNECTIONS}",
    ]
    process: subprocess.Popen[bytes] | None = None
    try:
        if template is not None:
            shutil.copytree(template, data, symlinks=True)
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                argv, cwd=directory, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        url = f"postgresql://postgres@/postgres?host={directory}&port={PORT}"
        version, settings = _wait_ready(process, url, log_path)
        yield Server(url, version, process.pid, settings)
        if keep is not None:
            _stop(process)
            if process.returncode == 0:
                shutil.move(data, keep)
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(directory, ignore_errors=True)
        reaper.release()


def _wait_ready(
    process: subprocess.Popen[bytes], url: str, log_path: Path
) -> tuple[str, dict[str, str]]:
    """Poll until the server answers a query; return its version and text settings."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    socket_file = Path(url.split("host=", 1)[1].split("&", 1)[0]) / f".s.PGSQL.{PORT}"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise NotProvisioned(
                f"the PGlite server exited with status {process.returncode}: "
                f"{_last_line(log_path.read_text('utf-8', 'replace'))}"
            )
        if socket_file.exists():
            try:
                with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                    row = conn.execute(
                        "SELECT version(), datcollate, datctype, pg_encoding_to_char(encoding) "
                        "FROM pg_database WHERE datname = current_database()"
                    ).fetchone()
            except psycopg.OperationalError:
                row = None
            if row is not None:
                settings = {"collate": str(row[1]), "ctype": str(row[2]), "encoding": str(row[3])}
                return _version(str(row[0])), settings
        time.sleep(0.05)
    raise NotProvisioned(f"the PGlite server did not answer within {READY_TIMEOUT_S:.0f}s")


def _version(line: str) -> str:
    """'PostgreSQL 18.6 (PGlite 0.5.14) on wasm32...' -> 'PGlite 0.5.14 (PostgreSQL 18.6)'."""
    head = line.split(" on ", 1)[0]
    if "(PGlite " in head:
        postgres, _, pglite = head.partition(" (")
        return f"{pglite.rstrip(')')} ({postgres})"
    return head or "PGlite (unknown version)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    stop_process(process, signal.SIGTERM, STOP_TIMEOUT_S)
