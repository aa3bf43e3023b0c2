"""The only place a suite may look at which SQL dialect it runs on.

The suites assert what PostgreSQL does and must run unchanged everywhere, so they never name a
backend. A few statements have no dialect-neutral spelling in SQLAlchemy (``INSERT ... ON
CONFLICT`` lives in each dialect's own ``insert``), and a few facts about the server (its text
collation) have to be asked in the server's own terms. Those choices live here, small and
visible, so a reader can check that no suite bends its assertion per backend.

Reading a driver's error (SQLSTATE, constraint name) needs no dialect switch: the helpers look for
the attributes the DB-API drivers expose and return ``None`` when a driver has none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

_UPSERT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}

# Collations under which text sorts by Unicode code point (byte order of UTF-8).
CODE_POINT_COLLATIONS = frozenset({"C", "POSIX", "C.UTF-8", "C.utf8", "ucs_basic", "BINARY"})


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def upsert_insert(session: AsyncSession, table: Any) -> Any:
    """An ``INSERT`` construct that has ``on_conflict_do_nothing`` / ``on_conflict_do_update``
    and ``.excluded``: the PostgreSQL or SQLite dialect's own ``insert`` (same API on both)."""
    name = dialect_name(session)
    try:
        make = _UPSERT_INSERTS[name]
    except KeyError:
        raise NotImplementedError(
            f"suites/_dialect.py: no INSERT ... ON CONFLICT construct for dialect {name!r}; "
            f"add one to _UPSERT_INSERTS (known: {', '.join(_UPSERT_INSERTS)})"
        ) from None
    return make(table)


async def text_collation(session: AsyncSession) -> str:
    """The collation plain ``ORDER BY text_column`` uses on this database."""
    if dialect_name(session) == "postgresql":
        return str(
            await session.scalar(
                text("SELECT datcollate FROM pg_database WHERE datname = current_database()")
            )
        )
    return "BINARY"  # SQLite's default collation: memcmp, i.e. code-point order for UTF-8


def _driver_error(exc: BaseException) -> BaseException | None:
    return exc.orig if isinstance(exc, DBAPIError) else None


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE code the driver attached to the error (psycopg and SQLAlchemy's asyncpg
    adapter both expose ``sqlstate``); ``None`` when the driver reports none."""
    orig = _driver_error(exc)
    code = getattr(orig, "sqlstate", None)
    return str(code) if code else None


def constraint_name(exc: BaseException) -> str | None:
    """The name of the violated constraint as the driver reports it, without parsing the
    message: psycopg's ``diag.constraint_name`` or asyncpg's ``constraint_name`` on the error
    SQLAlchemy's adapter wraps. ``None`` when the driver does not say."""
    orig = _driver_error(exc)
    if orig is None:
        return None
    diag = getattr(orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return str(name)
    cause = orig.__cause__
    name = getattr(cause, "constraint_name", None)
    return str(name) if name else None


async def session_time_zone(session: AsyncSession) -> str:
    """The time zone the database uses to turn an aware timestamp into a wall-clock one:
    PostgreSQL's ``TimeZone`` setting; SQLite has none, and its clock functions use UTC."""
    if dialect_name(session) == "postgresql":
        return str(await session.scalar(text("SELECT current_setting('TimeZone')")))
    return "UTC"
