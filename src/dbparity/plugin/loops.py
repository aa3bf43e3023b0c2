"""dbparity's engine used from another event loop: a setup mistake, never a difference.

The engine and its connections live on the session's event loop. Code that drives them from
another loop (FastAPI's sync ``TestClient`` runs the app on a thread with its own loop; a
function-scoped async fixture) works by luck on aiosqlite and psycopg and fails on asyncpg with
"attached to a different loop", which would otherwise read as "passes on SQLite, fails on
PostgreSQL". The first such failure stops the run with one line saying what to change.
"""

from __future__ import annotations

import pytest

PROPERTY = "dbparity_foreign_loop"
MESSAGE = (
    "dbparity's session was used from another event loop than the session's (FastAPI's sync "
    "TestClient runs your app on a thread with its own loop): call the app with "
    "httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) in an async test, and keep "
    "async fixtures on the session loop (README: 'Use it on your own suite')"
)
_SIGNS = ("attached to a different loop", "bound to a different event loop")


def from_foreign_loop(error: BaseException) -> bool:
    """Whether the exception, or one in its chain, says a loop-bound object met another loop."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen or len(seen) > 50:
            continue
        seen.add(id(current))
        if any(sign in str(current) for sign in _SIGNS):
            return True
        todo += [current.__cause__, current.__context__]
        todo += list(getattr(current, "exceptions", ()))  # exception groups (anyio)
    return False


def flag(item: pytest.Item, error: BaseException, report: pytest.TestReport) -> None:
    """Mark the report as this setup mistake and stop the run after this test."""
    if from_foreign_loop(error):
        report.user_properties.append((PROPERTY, MESSAGE))
        item.session.shouldstop = f"dbparity: {MESSAGE}"


def flagged(report: pytest.TestReport) -> str | None:
    for key, value in report.user_properties:
        if key == PROPERTY and isinstance(value, str):
            return value
    return None
