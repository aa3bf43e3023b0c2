"""The plugin's options, and choosing this run's backend from them."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from dbparity.backends import BackendConfigError, load_for_run
from dbparity.plugin.checks import check_rootdir
from dbparity.plugin.inputs import check_inputs
from dbparity.plugin.results_path import claim_results_path
from dbparity.plugin.run import RUN_KEY, DbparityRun
from dbparity.plugin.server_watch import ServerWatch
from dbparity.results import SUITE_KINDS, SuiteKind


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
    group.addoption(
        "--postgres-version",
        default=None,
        metavar="MAJOR",
        help="PostgreSQL major version to run (13, 15, 17 in containers; 15 and others from "
        "local binaries; 16, 18 embedded); default: what the source has",
    )
    group.addoption(
        "--postgres-source",
        default=None,
        choices=["auto", "container", "local", "embedded"],
        help="where PostgreSQL comes from when no --db-url is given: container, local "
        "(system binaries), embedded (dbparity[server]) or auto (that order; default)",
    )
    parser.addini("dbparity_backend", "default backend id when --backend is not given")
    parser.addini(
        "dbparity_suite",
        "what the tests assert: 'application' (default: your app's behaviour) or "
        "'conformance' (PostgreSQL's behaviour, as dbparity's own suites do)",
        default="application",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "isolation(strategy): how this test is isolated: 'rollback' (default) or 'truncate'",
    )
    check_rootdir(config)
    backend_id = config.getoption("backend") or config.getini("dbparity_backend") or None
    if not backend_id:
        return
    kind = config.getini("dbparity_suite") or "application"
    if kind not in SUITE_KINDS:
        raise pytest.UsageError(
            f"{config.inipath or 'pytest configuration'}: dbparity_suite = {kind!r}; use "
            "'application' (your tests assert what your application does) or 'conformance'"
        )
    directory = config.getoption("dbparity_backends")
    try:
        backends = load_for_run(Path(directory) if directory else None, kind)
    except BackendConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    if backend_id not in backends:
        raise pytest.UsageError(
            f"--backend {backend_id!r}: unknown backend; valid ids: {', '.join(backends)}"
        )
    run = DbparityRun(config, backends[backend_id], cast(SuiteKind, kind))
    check_inputs(config, run.backend)
    claim_results_path(config, run)  # before anything can fail: never a stale results file
    config.stash[RUN_KEY] = run
    config.pluginmanager.register(run, "dbparity-run")
    config.pluginmanager.register(ServerWatch(run), "dbparity-server-watch")
