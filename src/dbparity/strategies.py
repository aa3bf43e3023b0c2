"""The two expensive isolation strategies, as reusable helpers: recreate and clone.

``isolation.py`` holds the strategies the plugin's fixtures use every day (rollback, truncate).
These two cost a schema build or a whole database per test; they exist so that a test which
changes the schema can have a database of its own, and so the speed report can say what that
costs next to rollback.

- **recreate**: ``create_all`` before the test and ``drop_all`` after it, on an empty database
  (what the seed articles' per-test engine fixtures do).
- **clone**: a fresh database per test, copied from a template that already holds the schema:
  ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL, a copied file for SQLite in a file, and the
  SQLite backup API into a new in-memory database for SQLite in memory.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
import psycopg
from psycopg import sql
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from dbparity.backends import Backend
from dbparity.databases import ensure_template, template_name, worker_name
from dbparity.engines import build_engine, sqlalchemy_url
from dbparity.provision import Target
from dbparity.provision.postgres import database_prefix


class CloneError(RuntimeError):
    """A clone could not be made; the message says what is missing."""


@asynccontextmanager
async def recreated_schema(engine: AsyncEngine, metadata: MetaData) -> AsyncIterator[AsyncEngine]:
    """``create_all`` on enter and ``drop_all`` on exit: the schema lives for one test.

    ``engine`` must point at a database without the schema (or the create is a no-op and the
    measurement a lie)."""
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield engine
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)


class Cloner(ABC):
    """Makes fresh databases that start as copies of one template holding the schema."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._numbers = itertools.count(1)

    @abstractmethod
    def clone(self) -> AbstractAsyncContextManager[AsyncEngine]:
        """An engine on a brand-new copy of the template; the copy is removed on exit."""

    @abstractmethod
    async def close(self) -> None:
        """Release the template and anything else the cloner holds."""


class PostgresCloner(Cloner):
    """``CREATE DATABASE clone TEMPLATE t STRATEGY FILE_COPY`` per clone, dropped after.

    The template is the run's own (see :func:`dbparity.databases.template_name`); PostgreSQL
    refuses to copy a template that has open connections, so nothing here connects to it."""

    def __init__(self, backend: Backend, target: Target, admin: psycopg.AsyncConnection[Any]):
        super().__init__(backend)
        self.target = target
        self.admin = admin
        self.template = template_name(target)

    def clone(self) -> AbstractAsyncContextManager[AsyncEngine]:
        return self._clone()

    @asynccontextmanager
    async def _clone(self) -> AsyncIterator[AsyncEngine]:
        # The worker's name keeps clones of concurrent xdist workers apart.
        prefix = database_prefix(self.target.run_id)
        name = f"{prefix}{worker_name()}_clone_{next(self._numbers)}"
        await self.admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(name), sql.Identifier(self.template)
            )
        )
        engine = build_engine(
            self.backend, sqlalchemy_url(self.backend, self.target.location, name)
        )
        try:
            yield engine
        finally:
            await engine.dispose()
            await self.admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    async def close(self) -> None:
        await self.admin.close()


class SqliteFileCloner(Cloner):
    """A copy of a template file per clone, deleted after."""

    def __init__(self, backend: Backend, template: Path) -> None:
        super().__init__(backend)
        self.template = template

    def clone(self) -> AbstractAsyncContextManager[AsyncEngine]:
        return self._clone()

    @asynccontextmanager
    async def _clone(self) -> AsyncIterator[AsyncEngine]:
        path = self.template.with_name(f"{self.template.stem}-clone{next(self._numbers)}.db")
        shutil.copyfile(self.template, path)
        engine = build_engine(self.backend, f"{self.backend.dialect}:///{path}")
        try:
            yield engine
        finally:
            await engine.dispose()
            path.unlink(missing_ok=True)

    async def close(self) -> None:
        self.template.unlink(missing_ok=True)


class SqliteMemoryCloner(Cloner):
    """The SQLite backup API copies an in-memory template into each new in-memory database.

    The template is an ordinary in-memory engine (StaticPool: one connection, so one database)
    kept open for the cloner's life; each clone's engine gets its connection from a creator
    that opens a new in-memory database and backs the template up into it."""

    def __init__(self, backend: Backend, template: AsyncEngine, source: aiosqlite.Connection):
        super().__init__(backend)
        self.template = template
        self.source = source

    def clone(self) -> AbstractAsyncContextManager[AsyncEngine]:
        return self._clone()

    @asynccontextmanager
    async def _clone(self) -> AsyncIterator[AsyncEngine]:
        async def connect() -> aiosqlite.Connection:
            conn = await aiosqlite.connect(":memory:")
            await self.source.backup(conn)
            return conn

        engine = build_engine(
            self.backend, f"{self.backend.dialect}:///:memory:", async_creator=connect
        )
        try:
            yield engine
        finally:
            await engine.dispose()

    async def close(self) -> None:
        await self.template.dispose()


async def open_cloner(backend: Backend, target: Target, metadata: MetaData) -> Cloner:
    """A :class:`Cloner` for this backend, its template holding ``metadata``.

    On PostgreSQL the run's template database must already exist (the plugin's ``engine``
    fixture, through :func:`dbparity.databases.open_database`, builds it)."""
    if backend.provision == "pglite":
        raise CloneError(
            f"{backend.id}: PGlite serves one database per server and ignores the database a "
            "client names, so there is no database to copy from a template"
        )
    if backend.family == "postgresql":
        admin = await psycopg.AsyncConnection.connect(target.location, autocommit=True)
        exists = await (
            await admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (template_name(target),)
            )
        ).fetchone()
        if not exists:  # a single-process run builds its database without one
            await asyncio.to_thread(ensure_template, backend, target, metadata)
        return PostgresCloner(backend, target, admin)
    if target.provisioner == "sqlite-file":
        path = Path(target.location) / "clone-template.db"
        engine = build_engine(backend, f"{backend.dialect}:///{path}")
        try:
            async with engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
        finally:
            await engine.dispose()
        return SqliteFileCloner(backend, path)
    template = build_engine(backend, f"{backend.dialect}:///:memory:")
    async with template.begin() as conn:
        await conn.run_sync(metadata.create_all)
        raw = await conn.get_raw_connection()
        source = raw.driver_connection
    if not isinstance(source, aiosqlite.Connection):  # pragma: no cover - dialect guarantees it
        raise CloneError(f"{backend.id}: expected an aiosqlite connection, got {source!r}")
    return SqliteMemoryCloner(backend, template, source)
