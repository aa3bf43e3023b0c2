"""SQLite needs no server: in memory there is nothing to start, in a file there is a directory."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from dbparity.backends import Backend
from dbparity.provision import NotProvisioned, Target
from dbparity.provision.reaper import Reaper, ReaperError

TEMP_PREFIX = "dbparity-sqlite-"


@contextmanager
def provision(backend: Backend, run_id: str) -> Iterator[Target]:
    version = f"SQLite {sqlite3.sqlite_version}"
    if backend.provision == "sqlite-memory":
        yield Target(backend.id, "sqlite-memory", "", run_id, version)
        return
    # One directory per run, removed at the end; each xdist worker keeps its own file in it,
    # because workers sharing one file fail with "database is locked".
    # The reaper creates it, so a kill at any instant leaves no directory behind.
    try:
        reaper = Reaper.new_directory(TEMP_PREFIX)
    except ReaperError as exc:
        raise NotProvisioned(str(exc)) from exc
    assert reaper.directory is not None
    directory = str(reaper.directory)
    try:
        yield Target(backend.id, "sqlite-file", directory, run_id, version)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        reaper.release()
