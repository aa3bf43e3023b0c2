"""URL mode: this process's database, handed to a project's own code as URLs.

dbparity provisions the backend and creates one empty database per test process; the project's
own fixtures connect to it from an environment variable, with their own engine options,
isolation and SQLite settings, so the stand-in measured is the one the project runs. A form says
which URL a variable gets:

- ``async``: SQLAlchemy's URL with the backend's async driver (asyncpg, psycopg, aiosqlite);
- ``sync``: SQLAlchemy's URL for a sync engine on the same database (psycopg, pysqlite);
- ``dsn``: the driver's own: a ``postgresql://`` URI (asyncpg, psycopg, libpq), or SQLite's
  database path (an in-memory database: its ``file:`` URI, open it with ``uri=True``).

On SQLite every engine of the process, sync and async, must see one database: a file on the
file backend, and on the in-memory backend a named shared-cache memory database that a keeper
connection holds open (otherwise it vanishes with its last connection).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from dbparity.backends import Backend
from dbparity.databases import (
    create_empty_database,
    drop_database,
    worker_database_name,
    worker_name,
)
from dbparity.engines import sqlalchemy_url
from dbparity.provision import Target

FORMS = ("async", "sync", "dsn")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class EnvSpecError(ValueError):
    """A ``NAME=FORM`` request that cannot be honoured; the message is one line."""


@dataclass(frozen=True)
class EnvRequest:
    name: str
    form: str


def parse_requests(values: Sequence[str], where: str) -> list[EnvRequest]:
    """``["DATABASE_URL=async", ...]`` as requests; one clear line for a malformed one."""
    found: dict[str, EnvRequest] = {}
    for value in values:
        name, sep, form = value.strip().partition("=")
        if not sep or not _NAME.match(name) or form not in FORMS:
            raise EnvSpecError(
                f"{where}: {value!r} is not NAME=FORM; NAME is an environment variable name and "
                f"FORM one of {', '.join(FORMS)} (e.g. DATABASE_URL=async)"
            )
        if name in found and found[name].form != form:
            raise EnvSpecError(
                f"{where}: {name} is asked for twice, as {found[name].form} and {form}"
            )
        found[name] = EnvRequest(name, form)
    return list(found.values())


@dataclass(frozen=True)
class ProcessDatabase:
    """This process's database, in each form."""

    async_url: URL
    sync_url: URL
    dsn: str

    def render(self, form: str) -> str:
        if form == "async":
            return self.async_url.render_as_string(hide_password=False)
        if form == "sync":
            return self.sync_url.render_as_string(hide_password=False)
        return self.dsn


@contextmanager
def process_database(backend: Backend, target: Target) -> Iterator[ProcessDatabase]:
    """Create this process's empty database on ``target``; remove it afterwards (on a server
    that outlives the run; a throwaway one goes with everything on it)."""
    worker = worker_name()
    with ExitStack() as stack:
        if target.provisioner == "sqlite-memory":
            name = f"dbparity_{target.run_id}_{worker}"
            uri = f"file:{name}?mode=memory&cache=shared"
            keeper = sqlite3.connect(uri, uri=True, check_same_thread=False)
            stack.callback(keeper.close)
            query = {"mode": "memory", "cache": "shared", "uri": "true"}
            url = URL.create(backend.dialect, database=f"file:{name}", query=query)
            # pysqlite takes a memory URL for a per-thread database and checks threads; this one
            # is shared by every thread, as a file is (where SQLAlchemy turns the check off).
            sync = url.set(drivername="sqlite").update_query_dict({"check_same_thread": "false"})
            yield ProcessDatabase(url, sync, uri)
        elif backend.family == "sqlite":
            path = Path(target.location) / f"{worker}.db"
            url = URL.create(backend.dialect, database=str(path))
            yield ProcessDatabase(url, url.set(drivername="sqlite"), str(path))
        elif backend.provision == "pglite":
            location = target.location
            if worker != "main":  # PGlite serves one database per server: a server of its own
                from dbparity.provision import pglite

                location = stack.enter_context(pglite.server()).url
            yield _postgres_forms(backend, make_url(location))
        else:
            database = worker_database_name(target, worker)
            create_empty_database(target, database)
            if not target.throwaway:
                stack.callback(drop_database, target, database)
            yield _postgres_forms(backend, sqlalchemy_url(backend, target.location, database))


def _postgres_forms(backend: Backend, url: URL) -> ProcessDatabase:
    return ProcessDatabase(
        async_url=url.set(drivername=backend.dialect),
        sync_url=url.set(drivername="postgresql+psycopg"),
        dsn=url.set(drivername="postgresql").render_as_string(hide_password=False),
    )
