"""Turning pytest's reports into cases, and cases into a results file.

The process that runs pytest (the xdist controller, or the only process) records: workers'
reports reach it through xdist, so the outcome rules in ``dbparity.cases`` see the same phase
reports in both set-ups.
"""

from __future__ import annotations

import gc
import os
import platform
import socket
import sys
import time
from collections.abc import Generator
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata

import pytest

from dbparity import results as results_format
from dbparity.backends import Backend
from dbparity.cases import case_properties, enforce_declaration, phase_outcome, render_briefly
from dbparity.plugin import loops
from dbparity.plugin.observer import observed_use
from dbparity.plugin.server_watch import server_gone
from dbparity.provision import Target
from dbparity.results import SuiteKind

FAILURE_PROPERTY = "dbparity_failure"


class Recorder:
    """The cases of one run, by node id, and the run's facts for the results file."""

    def __init__(self, backend: Backend, suite_kind: SuiteKind = "conformance") -> None:
        self.backend = backend
        self.suite_kind: SuiteKind = suite_kind
        self.started = time.monotonic()
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.cases: dict[str, results_format.Case] = {}
        #: Shadow mode: the shadow's backend and server (``dbparity.plugin.shadowing``).
        self.shadow: dict[str, str] = {}

    def record(self, report: pytest.TestReport) -> None:
        props = case_properties(report)
        if props is None:
            return
        found = phase_outcome(report, props.get("diverges"))
        gone = server_gone(report)
        if gone is not None:  # never conforms, diverges or fails: the server had died
            found = ("error", f"{report.when}: {gone}")
        mistake = loops.flagged(report)
        if mistake is not None:  # a setup mistake, not a difference of the backend
            found = ("error", f"{report.when}: {mistake}")
        case = self.cases.get(report.nodeid)
        if case is None:
            case = results_format.Case(
                id=props["id"],
                suite=props["suite"],
                name=props["name"],
                title=props["title"],
                outcome="error",
                reason="no outcome recorded",
                nodeid=report.nodeid,
                # What collection saw (dbparity's fixtures requested), until the observer says
                used_database=bool(props.get("used_database", True)),
                declared=props.get("declared"),
            )
            self.cases[report.nodeid] = case
        # The observer's word (so far in the test) replaces collection's guess, except for a
        # skipped case: a skip says nothing of the database, so the guess stands.
        observed = observed_use(report)
        if (found or (case.outcome,))[0] == "not-applicable":
            case.used_database = bool(props.get("used_database", True))
        elif observed is not None:
            case.used_database = observed
        case.duration_s = round(case.duration_s + report.duration, 6)
        if found is None:
            return
        outcome, reason = found
        failure = _failure(report)
        if failure is not None and outcome != "conforms":
            case.failure = failure
        # A teardown error must not hide an earlier verdict, but it must not be hidden either.
        if report.when == "teardown" and case.outcome != "error":
            reason = f"{reason} (after the case {case.outcome})"
        case.outcome, case.reason = outcome, reason

    def results(
        self,
        target: Target | None,
        not_run_reason: str,
        workers: int,
        exit_status: int,
    ) -> results_format.Results:
        backend = results_format.BackendInfo(
            id=self.backend.id,
            label=self.backend.label,
            family=self.backend.family,
            driver=self.backend.driver,
            reference=self.backend.reference,
        )
        run = results_format.RunInfo(
            status="run" if target else "not-run",
            reason=not_run_reason,
            provisioner=target.provisioner if target else "",
            server_version=target.server_version if target else "",
            server_settings=dict(target.server_settings) if target else {},
            driver_versions=driver_versions(self.backend),
            python=platform.python_version(),
            platform=platform.platform(),
            machine=machine_fingerprint(),
            started_at=self.started_at,
            duration_s=round(time.monotonic() - self.started, 3),
            workers=workers,
            exit_status=exit_status,
            suite_kind=self.suite_kind,
            shadow=dict(self.shadow),
        )
        return results_format.Results(backend=backend, run=run, cases=list(self.cases.values()))


def driver_versions(backend: Backend) -> dict[str, str]:
    packages = ["sqlalchemy", backend.driver]
    versions = {}
    for package in packages:
        try:
            versions[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def machine_fingerprint() -> str:
    """Enough to tell whether two runs' timings are comparable (same host, same hardware)."""
    return f"{socket.gethostname()}/{platform.machine()}/{os.cpu_count()}cpu"


def worker_count(config: pytest.Config) -> int:
    numprocesses = getattr(config.option, "numprocesses", None)
    if not isinstance(numprocesses, int) or numprocesses <= 0:
        return 1
    maxprocesses = getattr(config.option, "maxprocesses", None)  # xdist caps -n with it
    return min(numprocesses, maxprocesses) if maxprocesses else numprocesses


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Record what a failure raised, for the report; and keep the garbage collector out of
    pytest's rendering of it. On CPython 3.11 a collection that runs inside pytest's
    ``ast.parse`` of a traceback (SQLAlchemy's greenlets leave cycles behind) can crash the
    whole run with "SystemError: AST constructor recursion depth mismatch" (cpython#106905,
    pytest#10763). Pausing the collector while the report is made costs nothing, where a
    ``gc.collect()`` before each failure cost ~57 ms; a passing test is not touched at all.

    Outermost (after pytest's xfail handling), a declared case counts as an expected failure
    only when its failure is the declared one (``cases.enforce_declaration``)."""
    if call.excinfo is None:
        return (yield)
    render_briefly(item, call)  # a declared failure's traceback is never shown: skip rendering it
    report: pytest.TestReport
    if sys.version_info < (3, 12) and gc.isenabled():
        gc.disable()
        try:
            report = yield
        finally:
            gc.enable()
    else:
        report = yield
    failure = failure_of(call.excinfo)
    if failure is not None:
        report.user_properties.append((FAILURE_PROPERTY, failure))
    enforce_declaration(item, call, report)
    return report


def failure_of(excinfo: pytest.ExceptionInfo[BaseException]) -> dict[str, str] | None:
    """The exception's qualified class and the first line of its message; None for a skip."""
    if excinfo.errisinstance(pytest.skip.Exception):
        return None
    cls = excinfo.type
    module = "" if cls.__module__ == "builtins" else f"{cls.__module__}."
    text = str(excinfo.value).strip()
    return {
        "type": f"{module}{cls.__qualname__}",
        "message": text.splitlines()[0][:300] if text else "",
    }


def _failure(report: pytest.TestReport) -> dict[str, str] | None:
    for key, value in report.user_properties:
        if key == FAILURE_PROPERTY and isinstance(value, dict):
            return value
    return None
