"""A database connection driven from another event loop: a setup mistake, never a difference.

A connection lives on the loop it was opened on. Code that drives it from another loop (FastAPI's
sync ``TestClient`` runs the app on a thread with its own loop; a function-scoped async fixture;
anyio's own loop) works by luck on aiosqlite and psycopg and fails on asyncpg, which would
otherwise read as "passes on SQLite, fails on PostgreSQL". The observer sees the loop at each
statement (``dbparity.plugin.observer``); a test that drove a connection from a foreign loop and
then failed with a loop error (by its type, raised inside asyncio, a driver or SQLAlchemy) is
this mistake, and the first one stops the run with one line naming the loop's owner it
detected. What an exception's message says is never the evidence: a project's own failure that
quotes the same words is its own.
"""

from __future__ import annotations

import pytest

from dbparity.cases import raising_package

PROPERTY = "dbparity_foreign_loop"


#: Where a loop mismatch is raised: asyncio itself, or a driver or SQLAlchemy awaiting on it.
_LOOP_MODULES = ("asyncio", "asyncpg", "psycopg", "aiosqlite", "sqlalchemy")


def raised_by_the_loop(error: BaseException) -> bool:
    """Whether the failure is the loop's: a ``RuntimeError`` (asyncio's "attached to a
    different loop", "bound to a different event loop") or asyncpg's ``InterfaceError``, raised
    inside asyncio, a driver or SQLAlchemy, anywhere in the exception's chain. A test that
    drove a connection from another loop and then failed on its own (an assertion, a foreign
    key PostgreSQL enforces: psycopg and aiosqlite carry on across loops) failed for its own
    reason. Decided by type and place, never by the message's words."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen or len(seen) > 50:
            continue
        seen.add(id(current))
        loop_type = isinstance(current, RuntimeError) or (
            type(current).__name__ == "InterfaceError"
            and type(current).__module__.startswith("asyncpg")
        )
        if loop_type and raising_package(current) in _LOOP_MODULES:
            return True
        todo += [current.__cause__, current.__context__]
        todo += list(getattr(current, "exceptions", ()))  # exception groups (anyio)
    return False


def message(owner: str) -> str:
    return (
        f"a database connection was used from another event loop than the one it was opened "
        f"on, run by {owner}: keep the test, its async fixtures and the engine on one loop "
        "(with pytest-asyncio: asyncio_default_fixture_loop_scope and "
        "asyncio_default_test_loop_scope = session; call an ASGI app with "
        "httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) rather than a sync "
        "TestClient); README: 'Use it on your own suite'"
    )


def flag(item: pytest.Item, owner: str, report: pytest.TestReport) -> None:
    """Mark the failed report as this setup mistake and stop the run after this test."""
    text = message(owner)
    report.user_properties.append((PROPERTY, text))
    item.session.shouldstop = f"dbparity: {text}"


def flagged(report: pytest.TestReport) -> str | None:
    for key, value in report.user_properties:
        if key == PROPERTY and isinstance(value, str):
            return value
    return None
