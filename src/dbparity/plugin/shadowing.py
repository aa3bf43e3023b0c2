"""Shadow mode in pytest (``--dbparity-shadow=BACKEND``): the shadow's server, its database per
test process, and the shadow's record of each test in the case it belongs to.

The shadow sits on the run's observer: it mirrors exactly the engines the observer recognises
as the stand-in's, in fixture mode and in URL mode alike (see :mod:`dbparity.shadow`).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from dbparity.backends import Backend
from dbparity.plugin.run import DbparityRun, provision_for
from dbparity.provision import Target
from dbparity.shadow import Shadow, agrees_at_statement_level, open_shadow

#: Report property: the shadow's record of the test (``TestShadow.to_json()``).
STATEMENTS_PROPERTY = "dbparity_statements"
_TARGET_KEY = "dbparity_shadow_target"


def register(
    config: pytest.Config, run: DbparityRun, shadow_id: str, backends: dict[str, Backend]
) -> None:
    """Check the shadow's backend id and register the hooks; nothing starts before the session."""
    backend = backends.get(shadow_id)
    if backend is None or backend.family != "postgresql" or backend.provision == "pglite":
        valid = [b.id for b in backends.values() if b.family == "postgresql"]
        raise pytest.UsageError(
            f"--dbparity-shadow {shadow_id!r}: the shadow must be a PostgreSQL server backend; "
            f"use one of {', '.join(v for v in valid if backends[v].provision != 'pglite')}"
        )
    config.pluginmanager.register(ShadowHooks(run, backend), "dbparity-shadow")


class ShadowHooks:
    def __init__(self, run: DbparityRun, backend: Backend) -> None:
        self.run = run
        self.backend = backend
        self.target: Target | None = None
        self.reason = ""
        self.shadow: Shadow | None = None
        self.tests = 0
        self.differing = 0
        self.agreeing = 0
        self.compared = 0

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """After the run's own start (the stand-in provisioned, the observer told in URL mode)."""
        run = self.run
        if run.target is None:
            return  # the stand-in did not start: nothing to shadow
        if run.is_worker:
            given = run.config.workerinput.get(_TARGET_KEY, "")  # type: ignore[attr-defined]
            self.target = Target.from_json(given) if given else None
        else:
            self.target, self.reason = provision_for(
                self.backend, lambda name: run.config.getoption(name), run.stack
            )
        run.recorder.shadow = {
            "backend": self.backend.id,
            "server_version": self.target.server_version if self.target else "",
            "reason": self.reason,
        }
        if self.target is None:
            return
        if run.is_worker or not _has_workers(run.config):
            self.shadow = run.stack.enter_context(open_shadow(self.backend, self.target))
            observer = run.observer
            self.shadow.watch(lambda e: observer.database is not None and observer.observes(e))

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[_TARGET_KEY] = self.target.to_json() if self.target else ""

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: pytest.FixtureRequest) -> Any:
        """Fixture mode: dbparity's ``engine`` created the schema before anything watched it."""
        value = yield
        if (
            self.shadow is not None
            and fixturedef.argname == "engine"
            and getattr(fixturedef.func, "__module__", "") == "dbparity.plugin.fixtures"
        ):
            schema = request.getfixturevalue("dbparity_schema")
            if schema is not None:
                self.shadow.create_schema(schema)
        return value

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: Any) -> Generator[None]:
        if self.shadow is not None:
            self.shadow.begin_test()
        try:
            return (yield)
        finally:
            if self.shadow is not None and self.shadow.current is not None:
                self.shadow.end_test()  # a protocol cut short: keep the next test in sync

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report: pytest.TestReport = yield
        if self.shadow is not None and call.when == "teardown":
            test = self.shadow.end_test()
            if test is not None:
                report.user_properties.append((STATEMENTS_PROPERTY, test.to_json()))
        return report

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """The process that records (xdist's controller too): the record joins its case."""
        if self.run.is_worker:
            return
        for key, value in report.user_properties:
            if key == STATEMENTS_PROPERTY and isinstance(value, dict):
                case = self.run.recorder.cases.get(report.nodeid)
                if case is not None:
                    case.statements = value
                self.tests += 1
                self.compared += int(value.get("compared", 0))
                if value.get("differences") or value.get("desynchronised_at") is not None:
                    self.differing += 1
                elif agrees_at_statement_level(value):
                    self.agreeing += 1

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.run.is_worker or self.run.target is None:
            return
        if self.target is None:
            line = f"shadow {self.backend.id}: NOT RUN: {self.reason}"
        else:
            line = (
                f"shadow {self.backend.id}: {self.compared} statements compared; "
                f"{self.differing} tests differ at the statement level, {self.agreeing} agree"
            )
        terminalreporter.write_line(line, yellow=self.differing > 0 or self.target is None)


def _has_workers(config: pytest.Config) -> bool:
    """The xdist controller runs no test: its workers each open a shadow database."""
    numprocesses = getattr(config.option, "numprocesses", None)
    return isinstance(numprocesses, int) and numprocesses > 0
