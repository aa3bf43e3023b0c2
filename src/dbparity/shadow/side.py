"""The shadow's side, in the shadow's thread: its engine, one connection per stand-in
connection, the statements run and compared, and the state reset between tests."""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from dbparity.shadow.findings import StatementInfo, TestShadow
from dbparity.shadow.outcome import Outcome, compare, error_of, run_on_shadow

#: Statements a shadow connection may wait for a lock (another shadow connection's, which the
#: stand-in never took) before it gives up, so the queue can never hang.
_TIMEOUTS = ("SET lock_timeout = '2s'", "SET statement_timeout = '60s'")

#: After a test that wrote, each sequence restarts where the stand-in's would: after the
#: largest value in its column (PostgreSQL's sequences ignore rollbacks; SQLite's rowids do
#: not), so the next test's generated keys are the stand-in's.
_RESYNC_SEQUENCES = """
DO $$ DECLARE r record; BEGIN
FOR r IN
  SELECT s.oid::regclass::text AS seq, d.refobjid::regclass::text AS tbl, a.attname AS col
  FROM pg_class s
  JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
       AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
  JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
  WHERE s.relkind = 'S'
LOOP
  EXECUTE format('SELECT setval(%L, coalesce((SELECT max(%I) FROM %s), 0) + 1, false)',
                 r.seq, r.col, r.tbl);
END LOOP; END $$
"""


class ShadowSide:
    def __init__(self, url: URL, label: str) -> None:
        self.engine: AsyncEngine = create_async_engine(url, poolclass=NullPool)
        self.label = label
        self._connections: dict[int, AsyncConnection] = {}
        self._free: list[AsyncConnection] = []
        #: One connection kept for the resync between tests (a new one each time cost a login).
        self._resync: AsyncConnection | None = None
        self.test: TestShadow | None = None

    # --- connections, following the stand-in's ----------------------------------------------

    async def _connection(self, key: int) -> AsyncConnection:
        conn = self._connections.get(key)
        if conn is None:
            conn = self._free.pop() if self._free else await self._new_connection()
            self._connections[key] = conn
        return conn

    async def _new_connection(self) -> AsyncConnection:
        conn = await self.engine.connect()
        for setting in _TIMEOUTS:
            await conn.exec_driver_sql(setting)
        await conn.commit()
        return conn

    async def commit(self, key: int) -> None:
        conn = self._connections.get(key)
        if conn is not None and conn.in_transaction():
            await conn.commit()

    async def rollback(self, key: int) -> None:
        conn = self._connections.get(key)
        if conn is not None and conn.in_transaction():
            await conn.rollback()

    async def release(self, key: int) -> None:
        """The stand-in's connection was closed: roll back, and keep the shadow's for reuse."""
        conn = self._connections.pop(key, None)
        if conn is None:
            return
        try:
            await conn.rollback()
        except SQLAlchemyError:
            await conn.close()
        else:
            self._free.append(conn)

    # --- statements -------------------------------------------------------------------------

    async def statement(
        self, key: int, element: Any, params: Any, stand_in: Outcome, info: StatementInfo | None
    ) -> None:
        conn = await self._connection(key)
        test = self.test
        if info is None or test is None:  # outside a test, or transaction control: run only
            await conn.run_sync(_run_quietly, element, params)
            return
        test.wrote = test.wrote or info.write
        if test.desynchronised:  # the shadow keeps the structure but compares no more
            await conn.run_sync(_run_quietly, element, params)
            return
        try:
            shadow = await conn.run_sync(run_on_shadow, element, params)
        except Exception as exc:  # it cannot even be compiled for PostgreSQL (a SQLite-only
            # construct such as sqlite.insert().on_conflict_do_nothing()): not compared
            test.not_compared += 1
            test.not_compared_reason = test.not_compared_reason or error_of(exc)["message"]
            if info.write:  # its effect is missing on the shadow: compare no further
                test.desynchronised_at = test.compared
            return
        test.compared += 1
        found = compare(
            stand_in,
            shadow,
            write=info.write,
            ordered=info.ordered,
            limited=info.limited,
            left_out=info.left_out,
        )
        if found is not None:
            test.add(info, stand_in, shadow, found)

    # --- between tests ------------------------------------------------------------------------

    async def begin_test(self, test: TestShadow) -> None:
        self.test = test

    async def end_test(self) -> TestShadow | None:
        test, self.test = self.test, None
        if test is not None and test.wrote:
            await self.resync()
        return test

    async def resync(self) -> None:
        if self._resync is None:
            self._resync = await self._new_connection()
        await self._resync.exec_driver_sql(_RESYNC_SEQUENCES)
        await self._resync.commit()

    async def create_schema(self, metadata: MetaData) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)

    async def close(self) -> None:
        kept = [self._resync] if self._resync is not None else []
        self._resync = None
        for conn in [*self._connections.values(), *self._free, *kept]:
            with contextlib.suppress(SQLAlchemyError):
                await conn.close()
        self._connections.clear()
        self._free.clear()
        await self.engine.dispose()


def _run_quietly(conn: Connection, element: Any, params: Any) -> None:
    try:
        if isinstance(element, str):
            conn.exec_driver_sql(element, params)
        else:
            conn.execute(element, params)
    except Exception:
        pass  # what it means for the comparison was decided before; the structure goes on
