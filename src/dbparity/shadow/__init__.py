"""Shadow mode: every statement sent to the stand-in's database also runs on PostgreSQL.

Framework-agnostic: the pytest plugin (``dbparity.plugin.shadowing``) provisions the shadow's
server and tells this package which engines are the stand-in's (the observer's
``same_database``) and where tests begin and end. The parts:

- ``worker``: the shadow's thread and event loop, one job at a time in the stand-in's order;
- ``side``: the shadow's connections, statements, comparison, and the reset between tests;
- ``mirror``: SQLAlchemy's events on the stand-in's engines, turned into jobs;
- ``outcome``: one side's result, read without disturbing the user's, and the comparison;
- ``values``: the normalisation rules for values that differ in representation only;
- ``statements``: which statements are mirrored, driver SQL's parameter styles, the user's line;
- ``findings``: what one test's statements showed, for the results file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from dbparity.backends import Backend
from dbparity.provision import Target
from dbparity.shadow.findings import TestShadow, agrees_at_statement_level
from dbparity.shadow.mirror import Mirror
from dbparity.shadow.side import ShadowSide
from dbparity.shadow.worker import ShadowWorker

__all__ = ["Shadow", "TestShadow", "agrees_at_statement_level", "open_shadow"]


class Shadow:
    """A running shadow: call ``begin_test``/``end_test`` around each test."""

    def __init__(self, backend: Backend, side: ShadowSide, worker: ShadowWorker) -> None:
        self.backend = backend
        self.side = side
        self.worker = worker
        self.current: TestShadow | None = None
        self.mirror: Mirror | None = None

    def watch(self, observes: Callable[[Engine], bool]) -> None:
        """Mirror every engine for which ``observes(engine)`` is true."""
        if self.mirror is None:
            self.mirror = Mirror(observes, self.worker, self.side, lambda: self.current is not None)
            self.mirror.listen()

    def create_schema(self, metadata: MetaData) -> None:
        """The stand-in's schema, when it was created before the shadow watched (fixture mode)."""
        side = self.side
        self.worker.call(lambda: side.create_schema(metadata))

    def begin_test(self) -> None:
        test = TestShadow(shadow=self.backend.id)
        self.current = test
        side = self.side
        self.worker.submit(lambda: side.begin_test(test))

    def end_test(self) -> TestShadow | None:
        """The test's record, once every statement it sent has been compared."""
        test, self.current = self.current, None
        side = self.side
        try:
            self.worker.call(side.end_test)
        except Exception as exc:  # the shadow's own failure: said, never the user's
            if test is not None:
                test.problem = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        if test is not None and self.worker.failures:
            test.problem = test.problem or self.worker.failures[0]
            self.worker.failures.clear()
        return test

    def close(self) -> None:
        if self.mirror is not None:
            self.mirror.close()
        side = self.side
        try:
            self.worker.call(side.close, timeout=60)
        finally:
            self.worker.close()


@contextmanager
def open_shadow(backend: Backend, target: Target) -> Iterator[Shadow]:
    """This process's shadow database on ``target`` (a PostgreSQL backend's server), empty;
    removed with everything else when the context ends."""
    from dbparity.urls import process_database

    with ExitStack() as stack:
        database = stack.enter_context(process_database(backend, target))
        worker = ShadowWorker()
        side = ShadowSide(database.async_url, backend.id)
        shadow = Shadow(backend, side, worker)
        stack.callback(shadow.close)
        yield shadow
