"""What a statement sent to the stand-in is, for the shadow: whether to mirror it, how to run it
on PostgreSQL, how to show it, and which line of the user's code sent it."""

from __future__ import annotations

import functools
import re
import sys
import sysconfig
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import Delete, Insert, Update
from sqlalchemy.sql.selectable import Select

from dbparity.redact import MASK, redact

#: Transaction control the shadow mirrors from SQLAlchemy's transaction events, not as text
#: (dbparity's SQLite engines emit their own BEGIN; PRAGMAs and SQLite's catalog have no
#: PostgreSQL counterpart, and running them would poison the shadow's transaction).
_NOT_MIRRORED = re.compile(
    r"^\s*(BEGIN|COMMIT|END|ROLLBACK(?!\s+TO)|PRAGMA\b)|\bsqlite_(master|schema|sequence|temp_master)\b",
    re.IGNORECASE,
)
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|CREATE|DROP|ALTER|TRUNCATE)\b", re.I)
_SECRET_KEY = re.compile(r"pass(word|wd)?|secret|token|api_?key|credential", re.IGNORECASE)
_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)
_LIMIT = re.compile(r"\b(LIMIT|OFFSET|FETCH\s+FIRST)\b", re.IGNORECASE)

#: Frames of these packages are not "the user's code" (SQLAlchemy, the drivers, dbparity and
#: the machinery that runs them).
_LIBRARIES = (
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "psycopg",
    "psycopg_pool",
    "sqlite3",
    "greenlet",
    "dbparity",
    "asyncio",
    "contextlib",
    "concurrent",
    "threading",
    "_pytest",
    "pluggy",
    "pytest_asyncio",
    "anyio",
    "sqlmodel",
)


def mirrored_text(statement: str) -> bool:
    """Whether a driver-level statement is mirrored as a statement (not transaction control,
    not SQLite's own catalog or settings)."""
    return _NOT_MIRRORED.search(statement) is None


def is_write(element: object, text: str) -> bool:
    """Whether the statement changes data or schema: a difference in its effect desynchronises."""
    if isinstance(element, (Insert, Update, Delete)):
        return True
    if isinstance(element, ClauseElement) and getattr(element, "_is_ddl", False):
        return True
    return _WRITE.match(text) is not None


def ordered(element: object, text: str) -> bool:
    """Whether the statement's top level has an ORDER BY (then row order counts)."""
    if isinstance(element, Select):
        return bool(element._order_by_clauses)
    # text, DML with RETURNING, compound selects: the outermost ORDER BY is the last one
    return _ORDER_BY.search(_strip_subqueries(text)) is not None


def limited(element: object, text: str) -> bool:
    if isinstance(element, Select):
        return element._limit_clause is not None or element._offset_clause is not None
    return _LIMIT.search(_strip_subqueries(text)) is not None


def _strip_subqueries(text: str) -> str:
    """The statement without its parenthesised parts (an ORDER BY inside a subquery or a
    window's OVER (...) orders nothing the user sees)."""
    out, depth = [], 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(char)
    return "".join(out)


def driver_sql(
    statement: str, params: Any, source_style: str, target_style: str
) -> tuple[str, Any] | None:
    """A driver-level statement (``exec_driver_sql``) in the shadow driver's parameter style,
    or None when it cannot be converted faithfully. Quoted text is never touched."""
    if not params:
        return _escape_percent(statement, target_style), params
    if source_style == target_style:
        return statement, params
    if source_style == "qmark" and target_style in ("format", "numeric_dollar", "pyformat"):
        count = iter(range(1, 10_000))

        def place(_: str) -> str:
            return f"${next(count)}" if target_style == "numeric_dollar" else "%s"

        return _outside_quotes(_escape_percent(statement, target_style), r"\?", place), params
    if source_style == "named" and target_style == "pyformat":
        converted = _outside_quotes(
            _escape_percent(statement, target_style),
            r"(?<!:):([A-Za-z_]\w*)",
            lambda m: f"%({m[1:]})s",
        )
        return converted, params
    return None


def _escape_percent(statement: str, target_style: str) -> str:
    return statement.replace("%", "%%") if target_style in ("format", "pyformat") else statement


def _outside_quotes(statement: str, pattern: str, replace: Any) -> str:
    parts = re.split(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")", statement)
    for index in range(0, len(parts), 2):
        parts[index] = re.sub(pattern, lambda m: replace(m.group(0)), parts[index])
    return "".join(parts)


def shown_parameters(parameters: Any, names: Sequence[str] = ()) -> str:
    """The parameters as the stand-in's driver received them, passwords masked: a value whose
    parameter name says it is a secret, and any connection string's password."""
    if isinstance(parameters, list) and len(parameters) == 1:
        parameters = parameters[0]  # one execution: its parameters, not a list of one
    masked = _mask(parameters, names)
    text = repr(masked)
    return redact(text if len(text) <= 500 else text[:497] + "...")


def _mask(parameters: Any, names: Sequence[str]) -> Any:
    if isinstance(parameters, Mapping):
        return {k: MASK if _SECRET_KEY.search(str(k)) else v for k, v in parameters.items()}
    if isinstance(parameters, list):
        return [_mask(p, names) for p in parameters]
    if isinstance(parameters, tuple) and names and len(names) == len(parameters):
        return tuple(
            MASK if _SECRET_KEY.search(name) else value
            for name, value in zip(names, parameters, strict=True)
        )
    return parameters


def secret_columns(statement: str) -> bool:
    """Whether a statement names a secret-looking column (then positional values are masked
    wholesale when their names are unknown)."""
    return _SECRET_KEY.search(statement) is not None


def user_location() -> str:
    """``path:line`` of the first frame of the project's own code (outside the standard
    library and installed packages), following an async engine's greenlet to the coroutine
    that awaited it; else the first frame of another installed package (a web framework's
    thread pool, whose caller is not on this thread's stack); "" when there is none (a
    statement dbparity's own fixtures sent, or a bare worker thread's)."""
    here = sys._getframe(1)
    return _first_frame(here, _installed) or _first_frame(here, _library_or_stdlib)


def _first_frame(frame: FrameType | None, skipped: Callable[[str], bool]) -> str:
    greenlet_module = sys.modules.get("greenlet")
    current = greenlet_module.getcurrent() if greenlet_module is not None else None
    for _ in range(20):  # greenlets, innermost first
        hops = 0
        while frame is not None and hops < 300:
            hops += 1
            path = frame.f_code.co_filename
            if not skipped(path):
                return f"{_relative(path)}:{frame.f_lineno}"
            frame = frame.f_back
        current = getattr(current, "parent", None)
        if current is None:
            return ""
        frame = current.gr_frame
    return ""


_STDLIB = sysconfig.get_paths()["stdlib"]


@functools.lru_cache(maxsize=4096)
def _library_or_stdlib(path: str) -> bool:
    return _library(path) or path.startswith(_STDLIB)


@functools.lru_cache(maxsize=4096)
def _installed(path: str) -> bool:
    """The standard library or an installed package: not the project's own code."""
    parts = Path(path).parts
    return (
        _library(path)
        or path.startswith(_STDLIB)
        or "site-packages" in parts
        or "dist-packages" in parts
    )


_library_cache: dict[str, bool] = {}


def _library(path: str) -> bool:
    known = _library_cache.get(path)
    if known is None:
        parts = set(Path(path).parts)
        known = (
            path.startswith("<")
            or any(name in parts for name in _LIBRARIES)
            or any(part.startswith(f"{name}.") for part in parts for name in ("sqlite3",))
            or Path(path).parent == Path(re.__file__).parent
        )
        _library_cache[path] = known
    return known


def _relative(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path
