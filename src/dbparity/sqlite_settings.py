"""Settings that bring SQLite closer to PostgreSQL without touching the application's code.

Each one lives in the test engine (a connect listener, a user function, or how this engine's
dialect writes ``CREATE TABLE`` and converts values), so a team can switch it on in its
``conftest.py``; none changes a model or a query. A backend file's ``[sqlite]`` table names
them; the defaults are what every SQLite backend of dbparity has always had (foreign keys on,
nothing else). ``backends/sqlite-hardened.toml`` switches all of them on and says, per setting,
which divergences of plain SQLite it removes; ``tests/test_sqlite_settings.py`` checks each of
those claims with that setting alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects.sqlite import DATETIME
from sqlalchemy.dialects.sqlite.base import SQLiteDDLCompiler
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.schema import Column

#: name -> (default, what it does). The defaults keep the existing SQLite backends as they were.
SETTINGS: dict[str, tuple[bool, str]] = {
    "foreign_keys": (True, "PRAGMA foreign_keys=ON on every connection"),
    "case_sensitive_like": (False, "PRAGMA case_sensitive_like=ON: LIKE compares case"),
    "unicode_case_folding": (False, "lower()/upper() as Python's str.lower/str.upper"),
    "strict_tables": (False, "CREATE TABLE ... STRICT, column types mapped to STRICT's"),
    "type_checks": (False, "CHECK constraints for the limits PostgreSQL's column types enforce"),
    "utc_timestamps": (False, "DateTime(timezone=True) stored as UTC and read back aware"),
}

INT32 = (-(2**31), 2**31 - 1)
INT16 = (-(2**15), 2**15 - 1)


def resolve(given: Mapping[str, bool]) -> dict[str, bool]:
    """The full settings: the defaults, overridden by what a backend file gives."""
    return {name: given.get(name, default) for name, (default, _) in SETTINGS.items()}


def install(engine: AsyncEngine | Engine, settings: Mapping[str, bool]) -> None:
    """Apply the settings to this engine only (its own dialect instance and listeners)."""
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    dialect = sync_engine.dialect
    if settings["strict_tables"] or settings["type_checks"]:
        dialect.ddl_compiler = _ddl_compiler(settings["strict_tables"], settings["type_checks"])
    if settings["utc_timestamps"]:
        dialect.colspecs = {**dialect.colspecs, sqltypes.DateTime: UTCDateTime}

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if settings['foreign_keys'] else 'OFF'}")
        if settings["case_sensitive_like"]:
            cursor.execute("PRAGMA case_sensitive_like=ON")
        cursor.close()
        if settings["unicode_case_folding"]:
            dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
            dbapi_connection.create_function("upper", 1, _upper, deterministic=True)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


# --- CREATE TABLE ---------------------------------------------------------------------------


def _ddl_compiler(strict: bool, checks: bool) -> type[SQLiteDDLCompiler]:
    class HardenedDDLCompiler(SQLiteDDLCompiler):
        def get_column_specification(self, column: Column[Any], **kwargs: Any) -> str:
            spec: str = super().get_column_specification(column, **kwargs)  # type: ignore[no-untyped-call]
            if strict:
                declared = self.dialect.type_compiler_instance.process(
                    column.type, type_expression=column
                )
                name = self.preparer.format_column(column)
                head = f"{name} {declared}"
                if spec.startswith(head):
                    spec = f"{name} {strict_type(column.type)}{spec[len(head) :]}"
            if checks:
                name = self.preparer.format_column(column)
                spec += "".join(f" CHECK ({check})" for check in type_checks(column, name))
            return spec

        def post_create_table(self, table: Any) -> str:
            options: str = super().post_create_table(table)  # type: ignore[no-untyped-call]
            if not strict or "STRICT" in options:
                return options
            return f"{options},\n STRICT" if options else "\n STRICT"

    return HardenedDDLCompiler


def strict_type(type_: sqltypes.TypeEngine[Any]) -> str:
    """The STRICT column type (INTEGER, REAL, TEXT, BLOB or ANY) storing what SQLAlchemy binds
    for ``type_`` on SQLite: Numeric is bound as float there, dates and UUIDs as text."""
    if isinstance(type_, sqltypes.Boolean | sqltypes.Integer):
        return "INTEGER"
    if isinstance(type_, sqltypes.Numeric):  # Float included
        return "REAL"
    if isinstance(type_, sqltypes.LargeBinary):
        return "BLOB"
    if isinstance(
        type_,
        sqltypes.String
        | sqltypes.Enum
        | sqltypes.DateTime
        | sqltypes.Date
        | sqltypes.Time
        | sqltypes.Interval
        | sqltypes.Uuid
        | sqltypes.JSON,
    ):
        return "TEXT"
    return "ANY"


def type_checks(column: Column[Any], name: str) -> list[str]:
    """CHECK expressions for the limits PostgreSQL's type for ``column`` enforces."""
    type_ = column.type
    checks = []
    if isinstance(type_, sqltypes.Boolean):
        checks.append(f"{name} IN (0, 1)")
    elif isinstance(type_, sqltypes.Integer) and not column.primary_key:
        if isinstance(type_, sqltypes.SmallInteger):
            checks.append(f"{name} BETWEEN {INT16[0]} AND {INT16[1]}")
        elif not isinstance(type_, sqltypes.BigInteger):
            checks.append(f"{name} BETWEEN {INT32[0]} AND {INT32[1]}")
    elif (
        isinstance(type_, sqltypes.Numeric)
        and not isinstance(type_, sqltypes.Float)
        and type_.precision is not None
    ):
        checks.append(f"abs({name}) < 1e{type_.precision - (type_.scale or 0)}")
    if isinstance(type_, sqltypes.String) and not isinstance(type_, sqltypes.Enum):
        if type_.length is not None:
            checks.append(f"length({name}) <= {type_.length}")
        checks.append(f"instr(CAST({name} AS BLOB), x'00') = 0")  # PostgreSQL refuses NUL
    return checks


# --- timestamps -----------------------------------------------------------------------------


class UTCDateTime(DATETIME):
    """SQLite's DATETIME for this engine: a timezone-aware value is converted to UTC before it
    is written, and a ``timezone=True`` column reads back aware (UTC), as timestamptz does."""

    def bind_processor(self, dialect: Any) -> Any:
        process = super().bind_processor(dialect)

        def convert(value: Any) -> Any:
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            return process(value) if process else value

        return convert

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        process = super().result_processor(dialect, coltype)
        if not self.timezone:
            return process

        def convert(value: Any) -> Any:
            value = process(value) if process else value
            if isinstance(value, dt.datetime) and value.tzinfo is None:
                value = value.replace(tzinfo=dt.UTC)
            return value

        return convert
