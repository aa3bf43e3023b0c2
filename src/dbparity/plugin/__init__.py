"""The pytest plugin: ``--backend``, the database fixtures, divergences and result recording.

Installed through the ``pytest11`` entry point (this package), so any project that installs
dbparity can run its own tests with ``pytest --backend sqlite-memory`` and get the same
fixtures and results file. pytest finds hooks and fixtures among this module's names, so every
hook and fixture of the submodules is imported here:

- ``options``: command-line and ini options, choosing the backend
- ``checks``: setup mistakes (loop scope, asyncio mode, no backend, a moved rootdir), said once
- ``run``: the run object (provisioning, xdist hand-over, per-run hooks)
- ``recording``: naming cases, turning pytest's reports into outcomes, the results file
- ``fixtures``: ``backend``, ``engine``, ``connection``, ``session`` and friends
"""

from __future__ import annotations

from dbparity.plugin.checks import (
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
    dbparity_url,
    engine,
    isolation_strategy,
    session,
)
from dbparity.plugin.options import pytest_addoption, pytest_configure
from dbparity.plugin.recording import driver_versions, pytest_runtest_makereport
from dbparity.plugin.run import RUN_KEY, DbparityRun

__all__ = [
    "RUN_KEY",
    "DbparityRun",
    "backend",
    "connection",
    "dbparity_dsn",
    "dbparity_metadata",
    "dbparity_raw_connection",
    "dbparity_schema",
    "dbparity_url",
    "driver_versions",
    "engine",
    "isolation_strategy",
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_runtest_makereport",
    "pytest_sessionfinish",
    "pytest_testnodedown",
    "session",
]
