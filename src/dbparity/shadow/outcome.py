"""What one statement did on one side, and whether the two sides agree.

The stand-in's rows are read without taking them from the user: the DBAPI cursor's rows are
fetched once and put back as SQLAlchemy's own ``FullyBufferedCursorFetchStrategy`` (what it
uses for results that must outlive the cursor), and they are turned into Python values by the
result's own row processors, exactly what the user's code will get.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.engine.cursor import CursorFetchStrategy, FullyBufferedCursorFetchStrategy
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateTable
from sqlalchemy.sql.sqltypes import SchemaType

from dbparity.redact import redact
from dbparity.shadow.values import Rows, rows_differ, without_columns

Consequence = Literal["false-confidence", "false-alarm", "silent-drift"]
#: Rows shown per side in a finding.
SHOWN_ROWS = 5


@dataclass
class Outcome:
    #: The rows returned (Python values), None when the statement returned none or they could
    #: not be read without disturbing the user (a server-side cursor).
    rows: Rows | None = None
    #: Rows changed by an UPDATE or DELETE (None when not meaningful).
    rowcount: int | None = None
    #: Primary keys an INSERT generated.
    keys: Rows | None = None
    #: {"type", "message", "sqlstate"} when the statement raised.
    error: dict[str, str] | None = None

    def shown(self) -> dict[str, Any]:
        """A finding's view: the first rows (each value as Python prints it) or the error."""
        if self.error is not None:
            return {"error": self.error}
        data: dict[str, Any] = {}
        if self.rows is not None:
            data["rows"] = [[redact(repr(v)) for v in row] for row in self.rows[:SHOWN_ROWS]]
            data["row_count"] = len(self.rows)
        if self.rowcount is not None:
            data["rowcount"] = self.rowcount
        if self.keys is not None:
            data["generated_keys"] = [[repr(v) for v in row] for row in self.keys[:SHOWN_ROWS]]
        return data


@dataclass(frozen=True)
class Difference:
    #: What differs: "error", "rows", "order", "row count", "rowcount", "generated key".
    what: str
    consequence: Consequence
    #: Whether later statements of the test may differ only because of this one.
    desynchronises: bool


def error_of(exc: BaseException) -> dict[str, str]:
    """The driver's exception (under SQLAlchemy's wrapper): class, first line, SQLSTATE."""
    orig: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    if type(orig).__module__.startswith("sqlalchemy") and orig.__cause__ is not None:
        orig = orig.__cause__  # SQLAlchemy's asyncpg adapter: the driver's own exception
    cls = type(orig)
    module = "" if cls.__module__ == "builtins" else f"{cls.__module__}."
    text = str(orig).strip()
    found = {
        "type": f"{module}{cls.__qualname__}",
        "message": redact(text.splitlines()[0][:300]) if text else "",
    }
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate:
        found["sqlstate"] = str(sqlstate)
    return found


def capture_stand_in(result: CursorResult[Any]) -> Outcome:
    """The stand-in's outcome, leaving ``result`` to the user as it was."""
    context = result.context
    outcome = Outcome()
    if result.returns_rows:
        outcome.rows = _buffer_rows(result)
    if (context.isupdate or context.isdelete) and _sane_rowcount(result):
        outcome.rowcount = result.rowcount
    outcome.keys = _generated_keys(result)
    return outcome


def _buffer_rows(result: CursorResult[Any]) -> Rows | None:
    strategy = result.cursor_strategy
    if isinstance(strategy, FullyBufferedCursorFetchStrategy):
        raw = list(strategy._rowbuffer)
    elif type(strategy) is CursorFetchStrategy and result.cursor is not None:
        raw = list(result.cursor.fetchall())
        result.cursor_strategy = FullyBufferedCursorFetchStrategy(result.cursor, initial_buffer=raw)
    else:  # a server-side cursor (yield_per, stream_results): reading it would take the rows
        return None
    return _processed(result, raw)


def _processed(result: CursorResult[Any], raw: list[Any]) -> Rows:
    """Raw DBAPI rows as the user's rows: the result's own processors (SQLAlchemy 2.1 keeps
    ``(one, many, interim)`` getters, 2.0 a single row getter)."""
    getter: Any = result._row_getter
    if isinstance(getter, tuple):
        many = getter[1]
        rows = many(raw) if many is not None else raw
    elif getter is None:
        rows = raw
    else:
        rows = [getter(row) for row in raw]
    return [tuple(row) for row in rows]


def _sane_rowcount(result: CursorResult[Any]) -> bool:
    context = result.context
    if context.executemany:
        return bool(context.dialect.supports_sane_multi_rowcount)
    return bool(context.dialect.supports_sane_rowcount)


def _generated_keys(result: CursorResult[Any]) -> Rows | None:
    context = result.context
    if not context.isinsert or context.executemany or context.compiled is None:
        return None
    try:
        key = result.inserted_primary_key
    except Exception:  # not a single-row Core insert
        return None
    return [tuple(key)] if key is not None else None


def run_on_shadow(conn: Connection, element: Any, params: Any) -> Outcome:
    """Run the statement on the shadow's (sync facade of its) connection."""
    try:
        if isinstance(element, str):
            result = conn.exec_driver_sql(element, params)
        else:
            _create_types_first(conn, element)
            result = conn.execute(element, params)
    except DBAPIError as exc:
        return Outcome(error=error_of(exc))
    outcome = Outcome()
    if result.returns_rows:
        outcome.rows = [tuple(row) for row in result.all()]
    context = result.context
    if (context.isupdate or context.isdelete) and _sane_rowcount(result):
        outcome.rowcount = result.rowcount
    outcome.keys = _generated_keys(result)
    return outcome


def _create_types_first(conn: Connection, element: Any) -> None:
    """A mirrored CREATE TABLE needs its column types that PostgreSQL creates apart (a native
    ENUM): the user's ``create_all`` would emit them on PostgreSQL, the stand-in's did not."""
    if not isinstance(element, CreateTable):
        return
    for column in element.element.columns:
        if isinstance(column.type, SchemaType):
            column.type.create(bind=conn, checkfirst=True)


def compare(
    stand_in: Outcome,
    shadow: Outcome,
    *,
    write: bool,
    ordered: bool,
    limited: bool,
    left_out: frozenset[int] = frozenset(),
) -> Difference | None:
    """The difference between the two sides, or None when they agree."""
    if stand_in.error is not None or shadow.error is not None:
        if stand_in.error is not None and shadow.error is not None:
            return None
        if shadow.error is not None:  # PostgreSQL raises what the stand-in accepted
            return Difference("error", "false-confidence", desynchronises=True)
        return Difference("error", "false-alarm", desynchronises=write)
    left, right = stand_in.rowcount, shadow.rowcount
    if left is not None and right is not None and min(left, right) >= 0 and left != right:
        return Difference("rowcount", "silent-drift", desynchronises=write)
    if (
        stand_in.keys is not None
        and shadow.keys is not None
        and rows_differ(stand_in.keys, shadow.keys, ordered=True, limited=False)
    ):
        return Difference("generated key", "silent-drift", desynchronises=True)
    if stand_in.rows is not None and shadow.rows is not None:
        what = rows_differ(
            without_columns(stand_in.rows, left_out),
            without_columns(shadow.rows, left_out),
            ordered=ordered,
            limited=limited,
        )
        if what:
            return Difference(what, "silent-drift", desynchronises=write)
    return None
