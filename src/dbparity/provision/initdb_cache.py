"""initdb once per server version, locale and options; every run copies the result.

initdb is most of a throwaway cluster's start-up (about a second here); copying the pristine
data directory it leaves takes a tenth of that. The cache lives in ``$DBPARITY_CACHE_DIR``
(default ``$XDG_CACHE_HOME/dbparity``, else ``~/.cache/dbparity``) under ``initdb/<key>``, where
the key hashes everything that decides the directory's contents: the binaries (size and mtime
of ``postgres``), the initdb arguments and the account. The cache directory is
private to its owner (0700), so no other local user can slip anything into a later run's
cluster. ``DBPARITY_INITDB_CACHE=0`` turns it off (initdb every run).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

CACHE_ENV = "DBPARITY_CACHE_DIR"
SWITCH_ENV = "DBPARITY_INITDB_CACHE"
SCRATCH_PREFIX = "build-"
STALE_SCRATCH_S = 600.0


def cache_root() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "dbparity"


def enabled() -> bool:
    return os.environ.get(SWITCH_ENV, "1") not in ("0", "false", "no", "off")


def cache_key(bindir: Path, initdb_args: Sequence[str], owner: str) -> str:
    """The binaries by size and mtime, not by path: every nox venv holds its own copy of the
    embedded wheel (uv hard-links them), and one cached cluster serves them all."""
    postgres = (bindir / "postgres").stat()
    facts = [str(postgres.st_size), str(postgres.st_mtime_ns), owner]
    return hashlib.sha256("\0".join([*facts, *initdb_args]).encode()).hexdigest()[:20]


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def populate(
    data_dir: Path,
    bindir: Path,
    initdb_args: Sequence[str],
    owner: str,
    run_initdb: Callable[[Path], None],
    chown: Callable[[Path], None],
) -> bool:
    """Fill ``data_dir`` (which must not exist) with a fresh cluster; True when it came from
    the cache. ``run_initdb(dir)`` runs initdb with ``initdb_args`` into ``dir`` (as the
    cluster's account); ``chown(dir)`` gives a copied tree to that account. On a miss, initdb
    runs into ``data_dir`` itself and the result is copied into the cache for the next run."""
    if not enabled():
        run_initdb(data_dir)
        return False
    root = _private_dir(cache_root() / "initdb")
    entry = root / cache_key(bindir, initdb_args, owner)
    if (entry / "PG_VERSION").exists():
        shutil.copytree(entry, data_dir, symlinks=True)
        os.chmod(data_dir, 0o700)
        chown(data_dir)
        return True
    run_initdb(data_dir)
    _store(data_dir, entry, root)
    return False


def _store(data_dir: Path, entry: Path, root: Path) -> None:
    """Copy a fresh data dir into the cache: into a scratch dir, then renamed into place
    (atomic, so a concurrent run never copies half a cluster; a second writer's copy is
    discarded). A cache that cannot be written only costs the next run its initdb."""
    _remove_stale_scratch(root)
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=root))
    try:
        shutil.copytree(data_dir, scratch / "data", symlinks=True)
        os.rename(scratch / "data", entry)
    except OSError:
        pass
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _remove_stale_scratch(root: Path) -> None:
    """A run killed while copying into the cache leaves a scratch dir; a later run removes it."""
    now = time.time()
    for scratch in root.glob(f"{SCRATCH_PREFIX}*"):
        with contextlib.suppress(OSError):
            if now - scratch.stat().st_mtime > STALE_SCRATCH_S:
                shutil.rmtree(scratch, ignore_errors=True)


def clear() -> None:
    """Remove every cached cluster (``dbparity clean`` may call this)."""
    shutil.rmtree(cache_root() / "initdb", ignore_errors=True)
