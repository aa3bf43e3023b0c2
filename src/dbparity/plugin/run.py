"""The run object: what the plugin knows about this run, and the hooks that need it.

Process roles: the process that runs pytest (the xdist controller, or the only process)
provisions the server and writes the results file; every process that runs tests (the only
process, or each xdist worker) creates its own database on that server.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL

from dbparity import results as results_format
from dbparity.backends import Backend
from dbparity.cases import (
    DIVERGENCE,
    NOT_RUN_PREFIX,
    USER_PROPERTY,
    case_id_of_nodeid,
    name_item,
    suites_under,
    unmatched_declaration,
)
from dbparity.plugin.checks import SHADOWED_KEY
from dbparity.plugin.database_use import uses_database
from dbparity.plugin.observer import observer_for
from dbparity.plugin.recording import Recorder, worker_count
from dbparity.provision import (
    NotProvisioned,
    ProvisionOptions,
    Target,
    UnsafeDatabaseURL,
    provision,
)
from dbparity.provision.sources import SourceError
from dbparity.results import SuiteKind

TARGET_KEY = "dbparity_target"
NOT_RUN_KEY = "dbparity_not_run"
NO_DATABASE_LINE = (
    "dbparity: no test used the database: wire your fixtures to dbparity's session "
    "(see README, 'Use it on your own suite')"
)


class DbparityRun:
    """Everything the plugin knows about this run; kept on ``config.stash``."""

    def __init__(self, config: pytest.Config, backend: Backend, suite_kind: SuiteKind) -> None:
        self.config = config
        self.backend = backend
        self.suite_kind = suite_kind
        self.target: Target | None = None
        self.not_run_reason = ""
        self.stack = ExitStack()
        self.recorder = Recorder(version_axis(config, backend), suite_kind)
        self.exit_status = 0
        self.xdist_checked = False
        self.observer = observer_for(config)

    @property
    def is_worker(self) -> bool:
        return hasattr(self.config, "workerinput")

    @property
    def cases(self) -> dict[str, results_format.Case]:
        return self.recorder.cases

    def check_suite_names(self) -> None:
        """Refuse a declaration whose suite has no test file under the rootdir (a typo such as
        ``crdu.x``). Done here, not at collection, so it also holds under xdist (where this
        process collects nothing) and in a run of some of the suites only."""
        suites = {d.suite for d in self.backend.divergences.values()}
        if not suites:
            return
        skip = [".*", "__pycache__", "node_modules", *self.config.getini("norecursedirs")]
        found = suites_under(self.config.rootpath, self.config.getini("python_files"), skip)
        for case_id, divergence in self.backend.divergences.items():
            if divergence.suite not in found:
                raise pytest.UsageError(
                    f"{self.backend.source}: key 'diverges.\"{case_id}\"' names suite "
                    f"{divergence.suite!r}, but no test file of that name (test_{divergence.suite}"
                    f".py) is under {self.config.rootpath}; fix the suite name or remove the entry"
                )

    def start(self) -> None:
        if self.is_worker:
            workerinput: dict[str, Any] = self.config.workerinput  # type: ignore[attr-defined]
            self.not_run_reason = workerinput.get(NOT_RUN_KEY, "")
            if workerinput.get(TARGET_KEY):
                self.target = Target.from_json(workerinput[TARGET_KEY])
        else:
            self.check_suite_names()
            early = self.config.stash.get(EARLY_TARGET_KEY, None)
            if early is not None:  # URL mode provisioned before the conftests were imported
                self.target, self.not_run_reason = early
            else:
                self.target, self.not_run_reason = provision_for(
                    self.backend, lambda name: self.config.getoption(name), self.stack
                )
        url = self.config.stash.get(PROCESS_URL_KEY, None)
        if url is not None:
            self.observer.watch(url)

    # --- hooks of this run (registered as a plugin object by pytest_configure) ---------------

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.start()

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist controller: hand each worker the server this process provisioned."""
        node.workerinput[TARGET_KEY] = self.target.to_json() if self.target else ""
        node.workerinput[NOT_RUN_KEY] = self.not_run_reason

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Name every case, mark declared divergences as expected failures (strict in a
        conformance suite; in a user's suite a declared difference is known and accepted, and
        the report judges it against PostgreSQL), and refuse divergence entries that name no
        test of a collected suite. Runs first, so it sees the items before ``-k`` deselects."""
        backend = self.backend
        seen_ids: set[str] = set()
        for item in items:
            case = name_item(item)
            seen_ids.add(case.id)
            divergence = backend.divergence_for(case.id)
            properties = {
                "id": case.id,
                "suite": case.suite,
                "name": case.name,
                "title": case.title,
                "diverges": divergence.reason if divergence else None,
                "declared": divergence.declared() if divergence else None,
                "used_database": uses_database(item),
            }
            item.user_properties.append((USER_PROPERTY, properties))
            if self.not_run_reason:
                item.add_marker(pytest.mark.skip(reason=NOT_RUN_PREFIX + self.not_run_reason))
            elif divergence is not None:
                strict = self.suite_kind == "conformance"
                item.stash[DIVERGENCE] = divergence
                item.add_marker(pytest.mark.xfail(strict=strict, reason=divergence.reason))
        if not self.is_worker:  # under xdist the controller checks, once workers collected
            problem = unmatched_declaration(backend.divergences, seen_ids, backend.source)
            if problem:
                raise pytest.UsageError(problem)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """xdist controller: the same check on the first worker's collection (a worker that
        raised would crash the run). Left out when -k, -m or --deselect narrowed it."""
        option = self.config.option
        if self.xdist_checked or option.keyword or option.markexpr or option.deselect:
            return
        self.xdist_checked = True
        case_ids = [case_id_of_nodeid(nodeid) for nodeid in ids]
        problem = unmatched_declaration(self.backend.divergences, case_ids, self.backend.source)
        if problem:
            pytest.exit(problem, returncode=pytest.ExitCode.USAGE_ERROR)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.is_worker:  # the xdist controller, or the only process, records
            self.recorder.record(report)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker:
            return
        if self.not_run_reason and exitstatus == pytest.ExitCode.OK:
            # Never a silent pass: a backend that could not start fails the run.
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        cases = self.recorder.cases.values()
        if cases and not any(c.used_database for c in cases) and exitstatus == 0:
            # Nor is a run in which no test touched the backend.
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self.exit_status = int(session.exitstatus)
        path = self.config.getoption("dbparity_results")
        if path:
            results_format.write(self.results(), Path(path))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker:
            return
        results = self.results()
        database = [c for c in results.cases if c.used_database]
        found = results_format.Results(results.backend, results.run, database).counts()
        words = _APPLICATION_WORDS if self.suite_kind == "application" else {}
        counts = ", ".join(f"{n} {words.get(k, k)}" for k, n in found.items() if n)
        if len(database) < len(results.cases):
            apart = f"{len(results.cases) - len(database)} did not use the database"
            counts = f"{counts}; {apart}" if counts else apart
        where = (
            f"{results.run.server_version} via {results.run.provisioner}"
            if results.run.status == "run"
            else f"NOT RUN: {results.run.reason}"
        )
        terminalreporter.write_sep("-", f"dbparity: {self.backend.id}")
        terminalreporter.write_line(where)
        terminalreporter.write_line(f"cases: {counts or 'none'}")
        url_mode = self.config.stash.get(PROCESS_URL_KEY, None) is not None
        for line in [] if url_mode else self.config.stash.get(SHADOWED_KEY, []):
            terminalreporter.write_line(f"dbparity: {line}", yellow=True)
        if results.cases and not any(case.used_database for case in results.cases):
            terminalreporter.write_line(NO_DATABASE_LINE, yellow=True, bold=True)
        path = self.config.getoption("dbparity_results")
        if path:
            terminalreporter.write_line(f"results: {path}")

    def pytest_unconfigure(self) -> None:
        self.stack.close()

    def results(self) -> results_format.Results:
        return self.recorder.results(
            self.target, self.not_run_reason, worker_count(self.config), self.exit_status
        )


RUN_KEY = pytest.StashKey[DbparityRun]()
#: URL mode: the target provisioned before pytest_configure, and why it was not (or "").
EARLY_TARGET_KEY = pytest.StashKey[tuple[Target | None, str]]()
#: URL mode: this process's database, which the observer watches.
PROCESS_URL_KEY = pytest.StashKey[URL]()


def provision_for(
    backend: Backend, option: Callable[[str], Any], stack: ExitStack
) -> tuple[Target | None, str]:
    """Start (or find) the backend's server for the rest of ``stack``: (target, "") or (None,
    why not). A refused URL or source is a usage error, said in one line."""
    options = ProvisionOptions(
        db_url=option("db_url"),
        db_url_allow_any=option("db_url_allow_any"),
        postgres_image=option("postgres_image"),
        postgres_version=option("postgres_version"),
        postgres_source=option("postgres_source"),
    )
    try:
        return stack.enter_context(provision(backend, options)), ""
    except (UnsafeDatabaseURL, SourceError) as exc:
        raise pytest.UsageError(str(exc)) from None
    except NotProvisioned as exc:
        return None, str(exc)


#: A user's tests state what the application does: their outcomes in plain words.
_APPLICATION_WORDS = {
    "conforms": "passed",
    "unexpected-failure": "failed",
    "diverges": "failed as declared",
    "not-applicable": "skipped",
}


def get_run(config: pytest.Config) -> DbparityRun | None:
    return config.stash.get(RUN_KEY, None)


def version_axis(config: pytest.Config, backend: Backend) -> Backend:
    """A run at an explicit server version (``--postgres-version``) other than the reference's
    own (its image's major: the version the project's runs pin) is a column of the version
    axis: compared with the reference, never the reference itself, so one report has one
    reference column however many versions it shows."""
    from dataclasses import replace

    from dbparity.provision.images import major_of
    from dbparity.provision.sources import VERSION_ENV

    asked = config.getoption("postgres_version", None) or os.environ.get(VERSION_ENV)
    if backend.reference and asked and str(asked).strip() != str(major_of(backend.postgres_image)):
        return replace(backend, reference=False)
    return backend
