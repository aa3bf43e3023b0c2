"""The observer's view of raw driver connections, where the driver allows it.

Some suites talk to the database without SQLAlchemy: an ``asyncpg`` pool, ``sqlite3`` or
``aiosqlite`` (which opens its connections with ``sqlite3.connect``). While a backend is
selected, their ``connect`` functions are wrapped: a connection to the provisioned database
gets a per-statement callback the driver offers (asyncpg's query logger, sqlite3's trace
callback) that marks the running test as having used the database. psycopg offers no such
callback, so a raw psycopg connection counts at connect time only. Everything is restored when
pytest unconfigures; nothing is wrapped in a run that selected no backend.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any

from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import URL

from dbparity.plugin.observer import Observer, sqlite_name


def install(observer: Observer) -> Callable[[], None]:
    """Wrap the drivers' connect functions; return the function that restores them."""
    restore: list[Callable[[], None]] = []
    _wrap(sqlite3, "connect", _sqlite_connect(observer, sqlite3.connect), restore)
    try:
        import asyncpg
        import asyncpg.connection
    except ImportError:  # pragma: no cover - a dependency of dbparity
        pass
    else:
        wrapped = _asyncpg_connect(observer, asyncpg.connection.connect)
        _wrap(asyncpg.connection, "connect", wrapped, restore)
        _wrap(asyncpg, "connect", wrapped, restore)

    def undo_all() -> None:
        for undo in reversed(restore):
            undo()

    return undo_all


def _wrap(owner: Any, name: str, replacement: Any, restore: list[Callable[[], None]]) -> None:
    original = getattr(owner, name)
    setattr(owner, name, replacement)
    restore.append(lambda: setattr(owner, name, original))


def _sqlite_connect(observer: Observer, original: Any) -> Any:
    @functools.wraps(original)
    def connect(database: Any, *args: Any, **kwargs: Any) -> Any:
        conn = original(database, *args, **kwargs)
        target = observer.database
        if target is not None and target.get_backend_name() == "sqlite":
            name = str(database).removeprefix("file:").split("?", 1)[0]
            if name and name == sqlite_name(target):
                observer.mark_used()
                conn.set_trace_callback(lambda _statement: observer.mark_used())
        return conn

    return connect


def _asyncpg_connect(observer: Observer, original: Any) -> Any:
    @functools.wraps(original)
    async def connect(dsn: str | None = None, *args: Any, **kwargs: Any) -> Any:
        conn = await original(dsn, *args, **kwargs)
        if _same_postgres(observer.database, dsn, kwargs):
            observer.mark_used()
            conn.add_query_logger(lambda _record: observer.mark_used())
        return conn

    return connect


def _same_postgres(target: URL | None, dsn: str | None, kwargs: dict[str, Any]) -> bool:
    if target is None or target.get_backend_name() != "postgresql":
        return False
    given: dict[str, Any] = dict(conninfo_to_dict(dsn)) if dsn else {}
    database = kwargs.get("database") or given.get("dbname")
    port = kwargs.get("port") or given.get("port")
    wanted = target.port or target.query.get("port") or 5432
    return database == target.database and (port is None or int(port) == int(str(wanted)))
