"""Databases a killed run left on a user's server: how a live run marks itself, and how
``dbparity clean`` finds (and drops) the leftovers of runs that are gone.

Every database the harness creates is named ``test_dbparity_<run id>_<what>``, the run id being
eight hex digits. While a run is live its provisioning process holds one connection to the
server whose ``application_name`` is ``dbparity-run-<run id>``; PostgreSQL shows every session's
application name to every user. A run is *gone* when no such session exists and nobody is
connected to any of its databases. Only the databases of gone runs are ever dropped, and only
names of exactly that shape: nothing else on the server is touched.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql

from dbparity.redact import redact

MARKER_PREFIX = "dbparity-run-"
NAME = re.compile(r"^test_dbparity_(?P<run>[0-9a-f]{8})_[A-Za-z0-9_]+$")
CONNECT_TIMEOUT_S = 10


class LeftoverError(RuntimeError):
    """The server could not be asked or changed; the message says why, password masked."""


@dataclass(frozen=True)
class Leftover:
    """The databases of one run, and whether that run is still live."""

    run_id: str
    databases: tuple[str, ...]
    live: bool


@contextmanager
def run_marker(url: str, run_id: str) -> Iterator[None]:
    """Hold the session that says "run ``run_id`` is live" for the length of the block."""
    conn: psycopg.Connection[tuple[object, ...]] | None = None
    with contextlib.suppress(psycopg.Error):  # the server answered a moment ago
        conn = psycopg.connect(
            url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name=f"{MARKER_PREFIX}{run_id}",
        )
    try:
        yield
    finally:
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()


def find(url: str) -> list[Leftover]:
    """Every run with databases on the server behind ``url``, oldest name first."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
            return _find(conn)
    except psycopg.Error as exc:
        raise LeftoverError(f"PostgreSQL at {redact(url)}: {_one_line(exc)}") from None


def _find(conn: psycopg.Connection[tuple[object, ...]]) -> list[Leftover]:
    names = [
        str(r[0])
        for r in conn.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, 'test_dbparity_') "
            "ORDER BY datname"
        )
    ]
    runs: dict[str, list[str]] = {}
    for name in names:
        match = NAME.match(name)
        if match:
            runs.setdefault(match["run"], []).append(name)
    sessions = conn.execute(
        "SELECT application_name, datname FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
    ).fetchall()
    markers = {str(app) for app, _ in sessions if app}
    connected = {str(db) for _, db in sessions if db}
    return [
        Leftover(
            run_id=run_id,
            databases=tuple(databases),
            live=f"{MARKER_PREFIX}{run_id}" in markers or bool(connected & set(databases)),
        )
        for run_id, databases in sorted(runs.items())
    ]


def drop_gone(url: str) -> list[str]:
    """Drop the databases of every gone run (checking again just before), return their names.

    Without FORCE: a session that connects in between makes the drop fail rather than be cut."""
    dropped = []
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
            for leftover in _find(conn):
                if leftover.live:
                    continue
                for name in leftover.databases:
                    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
                    dropped.append(name)
    except psycopg.Error as exc:
        raise LeftoverError(f"PostgreSQL at {redact(url)}: {_one_line(exc)}") from None
    return dropped


def _one_line(exc: BaseException) -> str:
    return " ".join(redact(str(exc)).split())
