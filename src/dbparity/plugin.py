"""The pytest plugin: ``--backend``, the database fixtures, divergences and result recording.

Installed through the ``pytest11`` entry point, so any project that installs dbparity can run
its own tests with ``pytest --backend sqlite-memory`` and get the same fixtures and results file.

Process roles: the process that runs pytest (the xdist controller, or the only process)
provisions the server and writes the results file; every process that runs tests (the only
process, or each xdist worker) creates its own database on that server.
"""

from __future__ import annotations

import gc
import platform
import socket
import sys
import time
from collections.abc import AsyncIterator, Generator
from contextlib import ExitStack
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any, cast

import pytest
import pytest_asyncio
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from dbparity import results as results_format
from dbparity.backends import (
    Backend,
    BackendConfigError,
    find_backends_dir,
    load_backends,
    without_divergences,
)
from dbparity.cases import (
    NOT_RUN_PREFIX,
    USER_PROPERTY,
    case_properties,
    name_item,
    phase_outcome,
)
from dbparity.databases import DatabaseSetupError, open_database
from dbparity.isolation import (
    STRATEGIES,
    Strategy,
    rollback_connection,
    session_on,
    truncating_connection,
)
from dbparity.provision import (
    NotProvisioned,
    ProvisionOptions,
    Target,
    UnsafeDatabaseURL,
    provision,
)

TARGET_KEY = "dbparity_target"
NOT_RUN_KEY = "dbparity_not_run"


class DbparityRun:
    """Everything the plugin knows about this run; kept on ``config.stash``."""

    def __init__(self, config: pytest.Config, backend: Backend) -> None:
        self.config = config
        self.backend = backend
        self.target: Target | None = None
        self.not_run_reason = ""
        self.stack = ExitStack()
        self.started = time.monotonic()
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.cases: dict[str, results_format.Case] = {}
        self.exit_status = 0

    @property
    def is_worker(self) -> bool:
        return hasattr(self.config, "workerinput")

    def start(self) -> None:
        if self.is_worker:
            workerinput: dict[str, Any] = self.config.workerinput  # type: ignore[attr-defined]
            self.not_run_reason = workerinput.get(NOT_RUN_KEY, "")
            if workerinput.get(TARGET_KEY):
                self.target = Target.from_json(workerinput[TARGET_KEY])
            return
        options = ProvisionOptions(
            db_url=self.config.getoption("db_url"),
            db_url_allow_any=self.config.getoption("db_url_allow_any"),
            postgres_image=self.config.getoption("postgres_image"),
        )
        try:
            self.target = self.stack.enter_context(provision(self.backend, options))
        except UnsafeDatabaseURL as exc:
            raise pytest.UsageError(str(exc)) from None
        except NotProvisioned as exc:
            self.not_run_reason = str(exc)

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
        """Name every case, mark declared divergences as strict expected failures, and refuse
        divergence entries that name no test of a collected suite. Runs first, so it sees the
        items before ``-k`` deselects any."""
        backend = self.backend
        seen_suites: set[str] = set()
        seen_ids: set[str] = set()
        for item in items:
            case = name_item(item)
            seen_suites.add(case.suite)
            seen_ids.update({case.id, case.id.split("[", 1)[0]})
            divergence = backend.divergence_for(case.id)
            properties = {
                "id": case.id,
                "suite": case.suite,
                "name": case.name,
                "title": case.title,
                "diverges": divergence.reason if divergence else None,
            }
            item.user_properties.append((USER_PROPERTY, properties))
            if self.not_run_reason:
                item.add_marker(pytest.mark.skip(reason=NOT_RUN_PREFIX + self.not_run_reason))
            elif divergence is not None:
                item.add_marker(pytest.mark.xfail(strict=True, reason=divergence.reason))
        for case_id in backend.divergences:
            suite = case_id.split(".", 1)[0]
            if suite in seen_suites and case_id not in seen_ids:
                raise pytest.UsageError(
                    f"{backend.source}: key 'diverges.\"{case_id}\"' matches no test in suite "
                    f"{suite!r}; fix the case id or remove the entry"
                )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.is_worker:  # the xdist controller, or the only process, records
            self.record(report)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker:
            return
        if self.not_run_reason and exitstatus == pytest.ExitCode.OK:
            # Never a silent pass: a backend that could not start fails the run.
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self.exit_status = int(session.exitstatus)
        path = self.config.getoption("dbparity_results")
        if path:
            results_format.write(self.results(), Path(path))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker:
            return
        results = self.results()
        counts = ", ".join(f"{n} {k}" for k, n in results.counts().items() if n)
        where = (
            f"{results.run.server_version} via {results.run.provisioner}"
            if results.run.status == "run"
            else f"NOT RUN: {results.run.reason}"
        )
        terminalreporter.write_sep("-", f"dbparity: {self.backend.id}")
        terminalreporter.write_line(where)
        terminalreporter.write_line(f"cases: {counts or 'none'}")
        path = self.config.getoption("dbparity_results")
        if path:
            terminalreporter.write_line(f"results: {path}")

    def pytest_unconfigure(self) -> None:
        self.stack.close()

    def record(self, report: pytest.TestReport) -> None:
        props = case_properties(report)
        if props is None:
            return
        found = phase_outcome(report, props.get("diverges"))
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
            )
            self.cases[report.nodeid] = case
        case.duration_s = round(case.duration_s + report.duration, 6)
        if found is None:
            return
        outcome, reason = found
        # A teardown error must not hide an earlier verdict, but it must not be hidden either.
        if report.when == "teardown" and case.outcome != "error":
            reason = f"{reason} (after the case {case.outcome})"
        case.outcome, case.reason = outcome, reason

    def results(self) -> results_format.Results:
        backend = results_format.BackendInfo(
            id=self.backend.id,
            label=self.backend.label,
            family=self.backend.family,
            driver=self.backend.driver,
            reference=self.backend.reference,
        )
        target = self.target
        run = results_format.RunInfo(
            status="run" if target else "not-run",
            reason=self.not_run_reason,
            provisioner=target.provisioner if target else "",
            server_version=target.server_version if target else "",
            server_settings=dict(target.server_settings) if target else {},
            driver_versions=driver_versions(self.backend),
            python=platform.python_version(),
            platform=platform.platform(),
            machine=machine_fingerprint(),
            started_at=self.started_at,
            duration_s=round(time.monotonic() - self.started, 3),
            workers=_worker_count(self.config),
            exit_status=self.exit_status,
        )
        return results_format.Results(backend=backend, run=run, cases=list(self.cases.values()))


RUN_KEY = pytest.StashKey[DbparityRun]()


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
    import os

    return f"{socket.gethostname()}/{platform.machine()}/{os.cpu_count()}cpu"


def _worker_count(config: pytest.Config) -> int:
    numprocesses = getattr(config.option, "numprocesses", None)
    if not isinstance(numprocesses, int) or numprocesses <= 0:
        return 1
    maxprocesses = getattr(config.option, "maxprocesses", None)  # xdist caps -n with it
    return min(numprocesses, maxprocesses) if maxprocesses else numprocesses


def _get_run(config: pytest.Config) -> DbparityRun | None:
    return config.stash.get(RUN_KEY, None)


# --- hooks -----------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dbparity", "dbparity: run tests on a database backend")
    group.addoption("--backend", default=None, metavar="ID", help="backend id to run on")
    group.addoption(
        "--dbparity-results", default=None, metavar="PATH", help="write the results JSON here"
    )
    group.addoption(
        "--dbparity-backends",
        default=None,
        metavar="DIR",
        help="directory of backend TOML files (default: ./backends, else the packaged ones)",
    )
    group.addoption(
        "--db-url",
        default=None,
        metavar="URL",
        help="use this PostgreSQL server (database name must start with 'test')",
    )
    group.addoption(
        "--db-url-allow-any",
        action="store_true",
        default=False,
        help="accept a --db-url whose database name does not start with 'test'",
    )
    group.addoption(
        "--postgres-image",
        default=None,
        metavar="IMAGE",
        help="container image when Docker is available (default: from the backend's TOML)",
    )
    parser.addini("dbparity_backend", "default backend id when --backend is not given")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Collect garbage before pytest renders a failure. On CPython 3.11 a collection that runs
    inside pytest's ``ast.parse`` of a traceback (SQLAlchemy's greenlets leave cycles behind)
    can crash the whole run with "SystemError: AST constructor recursion depth mismatch"
    (cpython#106905, pytest#10763)."""
    if call.excinfo is not None and sys.version_info < (3, 12):
        gc.collect()
    return (yield)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "isolation(strategy): how this test is isolated: 'rollback' (default) or 'truncate'",
    )
    backend_id = config.getoption("backend") or config.getini("dbparity_backend") or None
    if not backend_id:
        return
    directory = config.getoption("dbparity_backends")
    try:
        source, shipped = find_backends_dir(Path(directory) if directory else None)
        backends = load_backends(source)
        if shipped:
            backends = without_divergences(backends)
    except BackendConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    if backend_id not in backends:
        raise pytest.UsageError(
            f"--backend {backend_id!r}: unknown backend; valid ids: {', '.join(backends)}"
        )
    run = DbparityRun(config, backends[backend_id])
    config.stash[RUN_KEY] = run
    config.pluginmanager.register(run, "dbparity-run")


# --- fixtures --------------------------------------------------------------------------------


def _require_run(request: pytest.FixtureRequest) -> DbparityRun:
    run = _get_run(request.config)
    if run is None:
        raise pytest.UsageError(
            "dbparity: no backend selected; pass --backend ID or set dbparity_backend in the "
            "pytest configuration (see `dbparity backends` for the ids)"
        )
    return run


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> Backend:
    """The backend this run is on."""
    return _require_run(request).backend


@pytest.fixture(scope="session")
def dbparity_metadata() -> MetaData | None:
    """The schema to create in each test database. Override it in your conftest.py."""
    return None


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engine(
    request: pytest.FixtureRequest, dbparity_metadata: MetaData | None
) -> AsyncIterator[AsyncEngine]:
    """An engine on this process's own database, with the schema created."""
    run = _require_run(request)
    if run.target is None:
        pytest.skip(NOT_RUN_PREFIX + run.not_run_reason)
    try:
        async with open_database(run.backend, run.target, dbparity_metadata) as created:
            yield created
    except DatabaseSetupError as exc:
        pytest.fail(f"dbparity: {exc}", pytrace=False)


@pytest.fixture
def isolation_strategy(request: pytest.FixtureRequest) -> Strategy:
    """The test's isolation strategy, from its ``isolation`` marker (default ``rollback``)."""
    marker = request.node.get_closest_marker("isolation")
    strategy = marker.args[0] if marker and marker.args else "rollback"
    if strategy not in STRATEGIES:
        raise pytest.UsageError(
            f"{request.node.nodeid}: isolation({strategy!r}) is not a strategy; "
            f"use one of {', '.join(STRATEGIES)}"
        )
    return cast(Strategy, strategy)


@pytest_asyncio.fixture(loop_scope="session")
async def connection(
    engine: AsyncEngine, isolation_strategy: Strategy, dbparity_metadata: MetaData | None
) -> AsyncIterator[AsyncConnection]:
    """A connection for the test. Under ``rollback`` it sits inside a transaction that is
    rolled back afterwards; under ``truncate`` it is a plain connection and every table is
    emptied after the test."""
    if isolation_strategy == "rollback":
        async with rollback_connection(engine) as conn:
            yield conn
    else:
        async with truncating_connection(engine, dbparity_metadata) as conn:
            yield conn


@pytest_asyncio.fixture(loop_scope="session")
async def session(
    engine: AsyncEngine, connection: AsyncConnection, isolation_strategy: Strategy
) -> AsyncIterator[AsyncSession]:
    """An ``AsyncSession`` whose work never outlives the test, even if the code commits."""
    if isolation_strategy == "rollback":
        db_session = session_on(connection)
    else:
        db_session = AsyncSession(bind=engine, expire_on_commit=False)
    try:
        yield db_session
    finally:
        await db_session.close()
