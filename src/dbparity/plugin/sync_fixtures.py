"""Sync twins of the database fixtures: ``sync_engine``, ``sync_connection``, ``sync_session``.

Many projects test sync SQLAlchemy code (or both kinds side by side). These fixtures give it
the same database and the same per-test isolation as the async ones: under ``rollback`` one
connection inside an outer transaction, the session joined with a savepoint, so the code may
``commit()``; under ``truncate`` real commits and every table emptied afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, MetaData
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from dbparity.engines import build_sync_engine
from dbparity.isolation import Strategy, empty_tables_on, rollback_sync_connection
from dbparity.plugin.run import get_run


@pytest.fixture(scope="session")
def sync_engine(
    request: pytest.FixtureRequest, engine: AsyncEngine, dbparity_schema: MetaData | None
) -> Iterator[Engine]:
    """A sync engine (psycopg, pysqlite) on the database of ``engine``. On SQLite in memory,
    whose one connection belongs to the async engine, a memory database of its own with the
    same schema."""
    run = get_run(request.config)
    assert run is not None  # registered only with a run
    built = build_sync_engine(run.backend, engine.url)
    try:
        if built.url.database in (None, "", ":memory:") and dbparity_schema is not None:
            with built.begin() as conn:
                dbparity_schema.create_all(conn)
        yield built
    finally:
        built.dispose()


@pytest.fixture
def sync_connection(
    sync_engine: Engine, isolation_strategy: Strategy, dbparity_schema: MetaData | None
) -> Iterator[Connection]:
    """A sync connection for the test, isolated as ``connection`` is."""
    if isolation_strategy == "rollback":
        with rollback_sync_connection(sync_engine) as conn:
            yield conn
        return
    try:
        with sync_engine.connect() as conn:
            yield conn
    finally:
        with sync_engine.begin() as conn:
            empty_tables_on(conn, dbparity_schema)


@pytest.fixture
def sync_session(
    sync_engine: Engine, sync_connection: Connection, isolation_strategy: Strategy
) -> Iterator[Session]:
    """A sync ``Session`` whose work never outlives the test, even if the code commits."""
    if isolation_strategy == "rollback":
        made = Session(
            bind=sync_connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
    else:
        made = Session(bind=sync_engine, expire_on_commit=False)
    try:
        yield made
    finally:
        made.close()
