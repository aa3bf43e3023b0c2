"""This process's own database on a provisioned Target, with the schema in it.

One database per process (per pytest-xdist worker), so workers never share rows. On PostgreSQL
the schema is built once into a template database and each worker's database is a copy of it;
on SQLite each worker's database is its own file (or its own memory) and gets ``create_all``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import MetaData
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from dbparity.backends import Backend
from dbparity.engines import build_engine, sqlalchemy_url
from dbparity.provision import Target
from dbparity.provision.postgres import database_prefix

# Any constant works; it only has to be the same in every worker of a run.
_TEMPLATE_LOCK = 0x64627079


class DatabaseSetupError(RuntimeError):
    """This process's database could not be created; the message says why."""


def worker_name() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def template_name(target: Target) -> str:
    return f"{database_prefix(target.run_id)}template"


def worker_database_name(target: Target, worker: str) -> str:
    return f"{database_prefix(target.run_id)}{worker}"


@asynccontextmanager
async def open_database(
    backend: Backend, target: Target, metadata: MetaData | None, worker: str | None = None
) -> AsyncIterator[AsyncEngine]:
    """Yield an engine on a fresh database holding ``metadata``; remove the database after."""
    if backend.provision == "pglite":
        async with _pglite_database(backend, target, metadata, own=worker is None) as engine:
            yield engine
        return
    worker = worker or worker_name()
    if backend.family == "sqlite":
        if target.provisioner == "sqlite-memory":
            url = f"{backend.dialect}:///:memory:"
        else:
            url = f"{backend.dialect}:///{Path(target.location) / f'{worker}.db'}"
        engine = build_engine(backend, url)
        try:
            if metadata is not None:
                async with engine.begin() as conn:
                    await conn.run_sync(metadata.create_all)
            yield engine
        finally:
            await engine.dispose()
        return

    name = worker_database_name(target, worker)
    # The only process, or no schema to copy: the database is made directly (a template is
    # only worth it when several workers each need a copy of the schema).
    if worker == "main" or metadata is None:
        await asyncio.to_thread(_create_directly, backend, target, metadata, name)
    else:
        await asyncio.to_thread(_create_from_template, backend, target, metadata, name)
    engine = build_engine(backend, sqlalchemy_url(backend, target.location, name))
    try:
        yield engine
    finally:
        await engine.dispose()
        if not target.throwaway:  # a throwaway server goes with everything on it
            await asyncio.to_thread(drop_database, target, name)


def _create_directly(
    backend: Backend, target: Target, metadata: MetaData | None, name: str
) -> None:
    """One process, no xdist workers: nobody else needs a copy, so no template and no
    ``CREATE DATABASE ... TEMPLATE`` (a checkpoint each). The clone strategy builds the
    template itself when it needs one (:func:`ensure_template`)."""
    create_empty_database(target, name)
    if metadata is not None:
        _create_schema(backend, target, name, metadata)


def create_empty_database(target: Target, name: str) -> None:
    with _admin(target) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def ensure_template(backend: Backend, target: Target, metadata: MetaData | None) -> None:
    """The run's template database with the schema in it, built once (under a lock)."""
    with _admin(target) as admin:
        _locked_template(admin, backend, target, metadata)


@asynccontextmanager
async def _pglite_database(
    backend: Backend, target: Target, metadata: MetaData | None, *, own: bool
) -> AsyncIterator[AsyncEngine]:
    """PGlite serves one database per server (it ignores the database name a client asks for),
    so a database is a server: the run's own for this process's database when this process
    provisioned it, otherwise (an xdist worker, or a second database) a server of its own."""
    from dbparity.provision import pglite

    async with AsyncExitStack() as stack:
        if own and worker_name() == "main":
            url = target.location
        else:
            server = await asyncio.to_thread(stack.enter_context, pglite.server())
            url = server.url
        engine = build_engine(backend, make_url(url).set(drivername=backend.dialect))
        stack.push_async_callback(engine.dispose)
        if metadata is not None:
            async with engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
        try:
            yield engine
        finally:
            if metadata is not None and own:  # the run's server outlives this engine
                async with engine.begin() as conn:
                    await conn.run_sync(metadata.drop_all)


def _create_from_template(
    backend: Backend, target: Target, metadata: MetaData | None, name: str
) -> None:
    """Under an advisory lock (so exactly one worker builds the template), create the template
    if this run has none yet, then copy it into ``name``."""
    with _admin(target) as admin:
        template = _locked_template(admin, backend, target, metadata)
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )


def _locked_template(
    admin: psycopg.Connection[Any], backend: Backend, target: Target, metadata: MetaData | None
) -> str:
    template = template_name(target)
    admin.execute("SELECT pg_advisory_lock(%s)", (_TEMPLATE_LOCK,))
    try:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (template,)
        ).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)))
            if metadata is not None:
                _create_schema(backend, target, template, metadata)
    finally:
        admin.execute("SELECT pg_advisory_unlock(%s)", (_TEMPLATE_LOCK,))
    return template


@contextmanager
def _admin(target: Target) -> Iterator[psycopg.Connection[Any]]:
    """A connection to the maintenance database; a user without CREATEDB gets one clear line."""
    try:
        with psycopg.connect(target.location, autocommit=True) as admin:
            yield admin
    except psycopg.errors.InsufficientPrivilege as exc:
        raise DatabaseSetupError(
            f"the PostgreSQL user may not create databases ({exc}); "
            "grant it CREATEDB, or use a server where it may"
        ) from exc


def _create_schema(backend: Backend, target: Target, database: str, metadata: MetaData) -> None:
    """create_all through the backend's own dialect, on a sync psycopg engine (we are in a
    worker thread), then disconnect: a template must have no open connections to be copied."""
    from sqlalchemy import create_engine

    url = sqlalchemy_url(backend, target.location, database).set(drivername="postgresql+psycopg")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            metadata.create_all(conn)
    finally:
        engine.dispose()


def drop_database(target: Target, name: str) -> None:
    with psycopg.connect(target.location, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
