"""What each test did with the provisioned database, seen from SQLAlchemy's own events.

One observer per test process, active only when a backend is selected. It listens on the
``Engine`` class, so it sees every engine, sync or async, dbparity's or the project's own, and
keeps only those connected to the database this run provisioned. From that it knows, per test:

- whether the test used the database (a connection checked out, or a statement sent), which
  decides whether the test is a behaviour of the backend, never a fixture's name;
- whether a connection was driven from another event loop than the one it was opened on (a
  setup mistake that asyncpg turns into a failure and the other drivers hide), and who owns
  that loop, so the message names what was actually detected, never words of an exception.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine

from dbparity.plugin import loops

#: Report property: whether the test used the provisioned database (so far, in this phase).
USED_PROPERTY = "dbparity_used_database"
#: Key in a pooled connection's ``info``: the loop it was opened on (asyncio drivers only).
_HOME_LOOP = "dbparity_home_loop"


@dataclass
class TestUse:
    """What one test did with the database, over its setup, call and teardown."""

    used_database: bool = False
    #: Who owns the foreign loop that drove one of the database's connections, or "".
    foreign_loop: str = ""
    anyio: bool = False


@dataclass
class Observer:
    """Listens while a backend is selected; ``close()`` removes every listener."""

    database: URL | None = None
    current: TestUse | None = None
    _engines: weakref.WeakKeyDictionary[Engine, bool] = field(
        default_factory=weakref.WeakKeyDictionary
    )
    _listening: bool = False

    def watch(self, database: URL | None) -> None:
        """Start observing connections to ``database`` (None: the backend did not start)."""
        self.database = database
        if self._listening:
            return
        event.listen(Engine, "connect", self._on_connect)
        event.listen(Engine, "engine_connect", self._on_checkout)
        event.listen(Engine, "before_cursor_execute", self._on_statement)
        self._listening = True

    def close(self) -> None:
        if self._listening:
            event.remove(Engine, "connect", self._on_connect)
            event.remove(Engine, "engine_connect", self._on_checkout)
            event.remove(Engine, "before_cursor_execute", self._on_statement)
            self._listening = False

    def mark_used(self) -> None:
        """A raw driver connection to the database did something (see ``raw_drivers``)."""
        if self.current is not None:
            self.current.used_database = True

    def begin_test(self, anyio: bool = False) -> None:
        self.current = TestUse(anyio=anyio)

    def end_test(self) -> TestUse:
        found, self.current = self.current or TestUse(), None
        return found

    # --- SQLAlchemy event handlers -------------------------------------------------------

    def observes(self, engine: Engine) -> bool:
        """Whether the engine is connected to the provisioned database (cached per engine)."""
        known = self._engines.get(engine)
        if known is None:
            known = self.database is not None and same_database(engine.url, self.database)
            self._engines[engine] = known
        return known

    def _on_connect(self, dbapi_connection: Any, record: Any) -> None:
        record.info[_HOME_LOOP] = _running_loop()

    def _on_checkout(self, conn: Any) -> None:
        if self.current is not None and self.observes(conn.engine):
            self.current.used_database = True

    def _on_statement(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if self.current is None or not self.observes(conn.engine):
            return
        self.current.used_database = True
        home = conn.connection.info.get(_HOME_LOOP)
        loop = _running_loop()
        if home is not None and loop is not None and loop is not home:
            self.current.foreign_loop = self.current.foreign_loop or _owner(self.current)


OBSERVER_KEY = pytest.StashKey[Observer]()


def observer_for(config: pytest.Config) -> Observer:
    """The process's one observer, made by whoever needs it first: the raw drivers are
    wrapped before the conftests are imported, the run is made later."""
    if OBSERVER_KEY not in config.stash:
        config.stash[OBSERVER_KEY] = Observer()
    return config.stash[OBSERVER_KEY]


class ObserverHooks:
    """The observer's place in pytest's test protocol (registered beside the run)."""

    def __init__(self, observer: Observer) -> None:
        self.observer = observer

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: Any) -> Any:
        self.observer.begin_test(anyio=item.get_closest_marker("anyio") is not None)
        try:
            return (yield)
        finally:
            self.observer.end_test()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report: pytest.TestReport = yield
        use = self.observer.current
        if use is None or self.observer.database is None:
            return report  # the backend did not start: nothing was observed
        report.user_properties.append((USED_PROPERTY, use.used_database))
        failed = call.excinfo is not None and not call.excinfo.errisinstance(pytest.skip.Exception)
        if (
            failed
            and use.foreign_loop
            and loops.flagged(report) is None
            and call.excinfo is not None
            and loops.raised_by_the_loop(call.excinfo.value)
        ):
            loops.flag(item, use.foreign_loop, report)
        return report

    def pytest_unconfigure(self) -> None:
        self.observer.close()


def observed_use(report: pytest.TestReport) -> bool | None:
    """What the observer saw of the database up to this phase; None when it saw nothing."""
    for key, value in report.user_properties:
        if key == USED_PROPERTY and isinstance(value, bool):
            return value
    return None


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _owner(use: TestUse) -> str:
    """Who runs the loop that is driving the connection now, as far as this process can tell."""
    thread = threading.current_thread()
    if thread is not threading.main_thread():
        return (
            f"a loop on thread {thread.name!r} (a sync test client, such as FastAPI's or "
            "Starlette's TestClient, or anyio's blocking portal, runs your app there)"
        )
    if use.anyio:
        return "anyio's pytest plugin (the test is marked anyio and runs on anyio's own loop)"
    return "another loop on the main thread (a test or fixture on a function-scoped loop)"


def same_database(url: URL, database: URL) -> bool:
    """Whether ``url`` names ``database``: same kind of database, same name, and for a server
    the same host and port (drivers and query options may differ: sync and async engines)."""
    if url.get_backend_name() != database.get_backend_name():
        return False
    if url.get_backend_name() == "sqlite":
        return sqlite_name(url) == sqlite_name(database)
    return (url.database, url.host or url.query.get("host"), url.port) == (
        database.database,
        database.host or database.query.get("host"),
        database.port,
    )


def sqlite_name(url: URL) -> str:
    """A SQLite database's file (or shared in-memory name), without URI options."""
    name = url.database or ""
    return name.removeprefix("file:").split("?", 1)[0]
