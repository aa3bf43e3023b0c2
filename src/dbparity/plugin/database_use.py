"""Which tests use the database: those that get one of dbparity's database fixtures.

Only they are behaviours of a backend; the others are shown apart and left out of verdicts.
"""

from __future__ import annotations

from typing import Any

import pytest

#: A test that requests any of these (directly or through other fixtures) uses the database.
DATABASE_FIXTURES = frozenset(
    {
        "engine",
        "connection",
        "session",
        "dbparity_url",
        "dbparity_dsn",
        "sync_engine",
        "sync_connection",
        "sync_session",
    }
)


def uses_database(item: pytest.Item) -> bool:
    """Whether the test gets one of dbparity's database fixtures, directly or not. A project's
    own fixture of the same name (an ``engine`` of its own) does not count, unless it wraps
    dbparity's (requests the name it overrides)."""
    info = getattr(item, "_fixtureinfo", None)
    definitions = getattr(info, "name2fixturedefs", {}) if info is not None else {}
    for name in DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        chain = list(definitions.get(name, ()))
        while chain:
            used = chain.pop()
            if _is_dbparity_fixture(used):
                return True
            if name not in getattr(used, "argnames", ()):
                break  # a fixture of the project's own that does not wrap dbparity's
    return False


def _is_dbparity_fixture(definition: Any) -> bool:
    func = getattr(definition, "func", None)
    func = getattr(func, "__func__", func)
    return str(getattr(func, "__module__", "")).startswith("dbparity.plugin")
