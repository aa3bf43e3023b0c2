"""The fixtures and hooks that exist only once a backend is selected.

``activate`` (called by ``pytest_configure`` in that case, and only then) registers this module
as a plugin: pytest finds hooks and fixtures among a plugin's names, hence the imports.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import cast

import pytest

from dbparity.backends import BackendConfigError, load_for_run
from dbparity.plugin.checks import (
    check_rootdir,
    pytest_collection_modifyitems,
    pytest_sessionfinish,
    pytest_testnodedown,
)
from dbparity.plugin.fixtures import (
    backend,
    connection,
    dbparity_dsn,
    dbparity_metadata,
    dbparity_raw_connection,
    dbparity_schema,
    dbparity_session_class,
    dbparity_url,
    engine,
    isolation_strategy,
    session,
)
from dbparity.plugin.inputs import check_inputs
from dbparity.plugin.observer import ObserverHooks
from dbparity.plugin.recording import pytest_runtest_makereport
from dbparity.plugin.results_path import claim_results_path
from dbparity.plugin.run import RUN_KEY, DbparityRun
from dbparity.plugin.server_watch import ServerWatch
from dbparity.plugin.sync_fixtures import sync_connection, sync_engine, sync_session
from dbparity.results import SUITE_KINDS, SuiteKind

__all__ = [
    "activate",
    "backend",
    "connection",
    "dbparity_dsn",
    "dbparity_metadata",
    "dbparity_raw_connection",
    "dbparity_schema",
    "dbparity_session_class",
    "dbparity_url",
    "engine",
    "isolation_strategy",
    "pytest_collection_modifyitems",
    "pytest_runtest_makereport",
    "pytest_sessionfinish",
    "pytest_testnodedown",
    "session",
    "sync_connection",
    "sync_engine",
    "sync_session",
]


def activate(config: pytest.Config, backend_id: str) -> None:
    """Load the backend, claim the results file, and register the run, its observer and this
    module's fixtures and hooks."""
    check_rootdir(config)
    config.addinivalue_line(
        "markers",
        "isolation(strategy): how this test is isolated: 'rollback' (default) or 'truncate'",
    )
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
    config.pluginmanager.register(ObserverHooks(run.observer), "dbparity-observer")
    config.pluginmanager.register(sys.modules[__name__], "dbparity-active")
    if config.getoption("dbparity_shadow"):
        from dbparity.plugin.shadowing import register

        register(config, run, config.getoption("dbparity_shadow"), backends)
