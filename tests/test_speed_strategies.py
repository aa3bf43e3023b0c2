"""The recreate and clone strategies (dbparity.strategies) on every backend, for real: each
clone starts as an empty copy of the schema, clones are independent of each other and of the
template, and nothing a clone or a recreate made is left behind."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from dbparity.backends import load_backends
from dbparity.databases import open_database
from dbparity.provision import ProvisionOptions, provision
from dbparity.provision.postgres import database_prefix
from dbparity.strategies import open_cloner, recreated_schema
from tests.conftest import ALL_BACKENDS, BACKENDS_DIR

metadata = MetaData()
items = Table(
    "items", metadata, Column("id", Integer, primary_key=True), Column("name", String(50))
)


async def count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(items)) or 0)


async def table_names(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync: inspect(sync).get_table_names())


async def add_item(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(items.insert().values(name="x"))


@pytest.mark.parametrize("backend_id", ALL_BACKENDS)
async def test_clone_and_recreate(backend_id: str) -> None:
    backend = load_backends(BACKENDS_DIR)[backend_id]
    with provision(backend, ProvisionOptions()) as target:
        # The per-process database; on PostgreSQL this also builds the run's template.
        async with open_database(backend, target, metadata, worker="strategies") as main:
            cloner = await open_cloner(backend, target, metadata)
            try:
                async with cloner.clone() as first:
                    assert await count(first) == 0
                    await add_item(first)
                    async with cloner.clone() as second:
                        assert await count(second) == 0  # not a copy of the first clone
                    assert await count(first) == 1
                assert await count(main) == 0  # the template was never written to
            finally:
                await cloner.close()
            # Every clone is gone, and so is the cloner's own template (SQLite file); the
            # PostgreSQL template is the run's, dropped with the run.
            assert _leftover_clones(target.location, target.run_id, backend.family) == []

            async with open_database(backend, target, None, worker="empty") as empty:
                async with empty.begin() as conn:
                    await conn.run_sync(metadata.drop_all)  # PG copies come with the schema
                assert await table_names(empty) == []
                async with recreated_schema(empty, metadata):
                    await add_item(empty)
                    assert await count(empty) == 1
                assert await table_names(empty) == []


def _leftover_clones(location: str, run_id: str, family: str) -> list[str]:
    if family == "postgresql":
        with psycopg.connect(location, autocommit=True) as admin:
            rows = admin.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                (f"{database_prefix(run_id)}clone%",),
            ).fetchall()
        return [str(r[0]) for r in rows]
    if location:  # SQLite in a file: the run's directory
        return [p.name for p in Path(location).glob("*clone*")]
    return []
