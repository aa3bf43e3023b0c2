"""Async engines configured the way each backend needs to behave like a test database should."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, create_engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from dbparity import sqlite_settings
from dbparity.backends import Backend


def build_engine(backend: Backend, url: str | URL, **engine_kwargs: Any) -> AsyncEngine:
    """An engine for ``url`` with the backend's dialect and driver.

    For SQLite this installs two things every SQLite test setup needs:
    - ``PRAGMA foreign_keys=ON`` on each connection: SQLite ignores foreign keys otherwise (with
      the backend file's other ``[sqlite]`` settings, see :mod:`dbparity.sqlite_settings`).
    - the documented SAVEPOINT workaround: pysqlite/aiosqlite on Python 3.11 emit BEGIN lazily
      and COMMIT on their own, so a ``commit()`` inside a create_savepoint session escapes the
      outer transaction. Turning the driver's transaction handling off (isolation_level None)
      and emitting BEGIN ourselves keeps SQLAlchemy in charge.
    """
    url = make_url(url)
    if backend.provision == "pglite":
        # PGlite is one PostgreSQL session: every client connection is multiplexed onto it and
        # a second connection waits while another is inside a transaction. One shared
        # connection per engine (as SQLite in memory gets) is what it can actually serve.
        engine_kwargs.setdefault("poolclass", StaticPool)
        return create_async_engine(url, **engine_kwargs)
    if backend.family == "sqlite":
        if url.database in (None, "", ":memory:"):
            # StaticPool is what `sqlite+aiosqlite:///:memory:` gives users by default: every
            # checkout shares one connection, so the one database survives between checkouts.
            # A shared-cache URI would give separate connections but table-level locking
            # ("database table is locked") and a database that vanishes with its last
            # connection. We mirror what users actually test on; the pool suite shows the cost.
            engine_kwargs.setdefault("poolclass", StaticPool)
        engine = create_async_engine(url, **engine_kwargs)
        _install_sqlite_listeners(engine)
        sqlite_settings.install(engine, backend.sqlite)
        return engine
    return create_async_engine(url, **engine_kwargs)


def build_sync_engine(backend: Backend, url: URL) -> Engine:
    """A sync engine on the same database as an async one of ``backend``: psycopg for
    PostgreSQL, pysqlite (with the same listeners and settings) for SQLite. SQLite in memory
    cannot be shared with the async engine's connection: it is a database of its own."""
    if backend.family == "sqlite":
        memory = url.database in (None, "", ":memory:")
        engine = create_engine(
            url.set(drivername="sqlite"), poolclass=StaticPool if memory else None
        )
        _install_sqlite_listeners(engine)
        sqlite_settings.install(engine, backend.sqlite)
        return engine
    pooling = {"poolclass": StaticPool} if backend.provision == "pglite" else {}
    return create_engine(url.set(drivername="postgresql+psycopg"), **pooling)


def _install_sqlite_listeners(engine: AsyncEngine | Engine) -> None:
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def sqlalchemy_url(backend: Backend, libpq_url: str, database: str) -> URL:
    """The SQLAlchemy URL of ``database`` on the server behind a libpq maintenance URL."""
    base = make_url(libpq_url)
    return base.set(drivername=backend.dialect, database=database)
