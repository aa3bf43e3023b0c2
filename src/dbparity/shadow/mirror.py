"""The stand-in's side: SQLAlchemy's events on every engine the observer recognises as the
stand-in's (``Observer.observes``), turned into jobs for the shadow's thread.

- every statement (``after_execute``; ``handle_error`` for one that raised) is mirrored: the
  same construct, which the shadow compiles for PostgreSQL, or the same driver-level text in
  the shadow driver's parameter style, with the same parameters (including the values
  Python-side column defaults gave the stand-in, so a ``uuid4`` key is the same on both sides);
- COMMIT and ROLLBACK follow SQLAlchemy's transaction events (BEGIN is implicit on both
  sides); SAVEPOINTs are statements, mirrored as such;
- a stand-in connection returned to its pool rolls its shadow back; one closed releases it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import Pool
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.elements import (
    ReleaseSavepointClause,
    RollbackToSavepointClause,
    SavepointClause,
)

from dbparity.shadow.findings import StatementInfo
from dbparity.shadow.outcome import Outcome, capture_stand_in, error_of
from dbparity.shadow.side import ShadowSide
from dbparity.shadow.statements import (
    driver_sql,
    is_write,
    limited,
    mirrored_text,
    ordered,
    user_location,
)
from dbparity.shadow.unstable import UnstableTypes
from dbparity.shadow.worker import ShadowWorker

#: Key in a pooled connection's ``info``: which shadow connection follows it.
_KEY = "dbparity_shadow_key"
_TRANSACTION_CLAUSES = (SavepointClause, RollbackToSavepointClause, ReleaseSavepointClause)


class Mirror:
    """Listens on the ``Engine`` and ``Pool`` classes while the shadow runs."""

    def __init__(
        self,
        observes: Callable[[Engine], bool],
        worker: ShadowWorker,
        side: ShadowSide,
        in_test: Callable[[], bool],
    ) -> None:
        self.observes = observes
        self.worker = worker
        self.side = side
        self.in_test = in_test
        self.shadow_paramstyle = side.engine.dialect.paramstyle
        self.unstable = UnstableTypes()
        self._keys = itertools.count(1)
        #: Per stand-in connection, the statements under way (a listener may nest one: the
        #: SQLite engines' BEGIN inside an autobegin), for ``handle_error``.
        self._pending: dict[int, list[tuple[Any, Any, Any]]] = {}
        self._listening = False

    _EVENTS: tuple[tuple[type, str, str], ...] = (
        (Engine, "before_execute", "_before"),
        (Engine, "after_execute", "_after"),
        (Engine, "handle_error", "_error"),
        (Engine, "commit", "_commit"),
        (Engine, "rollback", "_rollback"),
        (Pool, "checkin", "_checkin"),
        (Pool, "close", "_close"),
        (Pool, "invalidate", "_close"),
    )

    def listen(self) -> None:
        if not self._listening:
            for target, name, method in self._EVENTS:
                event.listen(target, name, getattr(self, method))
            self._listening = True

    def close(self) -> None:
        if self._listening:
            for target, name, method in self._EVENTS:
                event.remove(target, name, getattr(self, method))
            self._listening = False

    # --- which shadow connection ---------------------------------------------------------------

    def _key(self, conn: Connection) -> int | None:
        if not self.observes(conn.engine):
            return None
        try:
            info = conn.connection.info
        except Exception:  # closed or invalidated: nothing to follow
            return None
        key = info.get(_KEY)
        if key is None:
            key = info[_KEY] = next(self._keys)
        return int(key)

    # --- statements ----------------------------------------------------------------------------

    def _before(
        self, conn: Connection, element: Any, multiparams: Any, params: Any, options: Any
    ) -> None:
        if self.observes(conn.engine):
            self._pending.setdefault(id(conn), []).append((element, multiparams, params))

    def _after(
        self,
        conn: Connection,
        element: Any,
        multiparams: Any,
        params: Any,
        options: Any,
        result: Any,
    ) -> None:
        self._pop(conn)
        key = self._key(conn)
        if key is None:
            return
        context = getattr(result, "context", None)
        text = element if isinstance(element, str) else getattr(context, "statement", "") or ""
        if not mirrored_text(text):
            return
        if isinstance(element, _TRANSACTION_CLAUSES):
            self._submit(key, element, None, Outcome(), None)
            return
        stand_in = capture_stand_in(result) if context is not None else Outcome()
        self._mirror(conn, key, element, multiparams, params, text, stand_in, context)

    def _error(self, exception_context: Any) -> None:
        conn = exception_context.connection
        if conn is None:
            return
        pending = self._pop(conn)
        statement = exception_context.statement
        if pending is None or statement is None:
            return
        element, multiparams, params = pending
        if not isinstance(exception_context.sqlalchemy_exception, DBAPIError):
            return  # not the database's answer (MissingGreenlet, a bad argument): not run
        key = self._key(conn)
        if key is None or not mirrored_text(statement):
            return
        stand_in = Outcome(error=error_of(exception_context.original_exception))
        self._mirror(
            conn,
            key,
            element,
            multiparams,
            params,
            statement,
            stand_in,
            exception_context.execution_context,
        )

    def _pop(self, conn: Connection) -> tuple[Any, Any, Any] | None:
        stack = self._pending.get(id(conn))
        if not stack:
            return None
        found = stack.pop()
        if not stack:
            del self._pending[id(conn)]
        return found

    def _mirror(
        self,
        conn: Connection,
        key: int,
        element: Any,
        multiparams: Any,
        params: Any,
        text: str,
        stand_in: Outcome,
        context: Any,
    ) -> None:
        given = list(multiparams) if multiparams else (params or None)
        shadow_element: str | ClauseElement
        if isinstance(element, str):
            converted = driver_sql(element, given, conn.dialect.paramstyle, self.shadow_paramstyle)
            if converted is None:
                self._not_compared(
                    key, "a driver-level statement in a parameter style the shadow cannot convert"
                )
                return
            shadow_element, shadow_params = converted
        elif isinstance(element, ClauseElement):
            shadow_element = element
            shadow_params = _with_python_defaults(element, given, context)
        else:
            return
        if context is not None:
            self.unstable.learn(context, conn.dialect)
        info = None
        if self.in_test():
            info = StatementInfo(
                text=text,
                parameters=getattr(context, "parameters", None) or given,
                names=_positional_names(context),
                location=user_location(),
                write=is_write(element, text),
                ordered=ordered(element, text),
                limited=limited(element, text),
                left_out=self.unstable.result_columns(context),
            )
        self._submit(key, shadow_element, shadow_params, stand_in, info)

    def _submit(
        self, key: int, element: Any, params: Any, stand_in: Outcome, info: StatementInfo | None
    ) -> None:
        side = self.side
        self.worker.submit(lambda: side.statement(key, element, params, stand_in, info))

    def _not_compared(self, key: int, reason: str) -> None:
        side = self.side

        async def note() -> None:
            if side.test is not None:
                side.test.not_compared += 1
                side.test.not_compared_reason = side.test.not_compared_reason or reason

        self.worker.submit(note)

    # --- transactions and the pool -------------------------------------------------------------

    def _commit(self, conn: Connection) -> None:
        key = self._key(conn)
        if key is not None:
            side = self.side
            self.worker.submit(lambda: side.commit(key))

    def _rollback(self, conn: Connection) -> None:
        key = self._key(conn)
        if key is not None:
            side = self.side
            self.worker.submit(lambda: side.rollback(key))

    def _checkin(self, dbapi_connection: Any, record: Any) -> None:
        key = record.info.get(_KEY) if record is not None else None
        if key is not None:
            side = self.side
            self.worker.submit(lambda: side.rollback(key))

    def _close(self, dbapi_connection: Any, record: Any, *args: Any) -> None:
        key = record.info.pop(_KEY, None) if record is not None else None
        if key is not None:
            side = self.side
            self.worker.submit(lambda: side.release(key))


def _with_python_defaults(element: ClauseElement, given: Any, context: Any) -> Any:
    """The statement's parameters plus the values the stand-in's Python-side defaults produced
    (``default=uuid4``, ``onupdate=datetime.now``): computed again, they would differ."""
    compiled = getattr(context, "compiled_parameters", None)
    if not compiled or not isinstance(element, (Insert, Update)):
        return given
    table = element.table
    columns = getattr(table, "columns", ())
    wanted = [
        c.key
        for c in columns
        if _python_default(c.default if isinstance(element, Insert) else c.onupdate)
    ]
    if not wanted:
        return given
    rows = given if isinstance(given, list) else [given or {}]
    if len(rows) != len(compiled):
        return given
    filled = []
    for row, values in zip(rows, compiled, strict=True):
        row = dict(row)
        for name in wanted:
            if name not in row and name in values:
                row[name] = values[name]
        filled.append(row)
    return filled if isinstance(given, list) else filled[0]


def _python_default(default: Any) -> bool:
    return default is not None and bool(getattr(default, "is_callable", False))


def _positional_names(context: Any) -> tuple[str, ...]:
    compiled = getattr(context, "compiled", None)
    names = getattr(compiled, "positiontup", None)
    return tuple(names) if names else ()
