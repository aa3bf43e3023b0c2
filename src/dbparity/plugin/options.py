"""The plugin's options, and the one decision made for every run: was a backend selected?

Imports nothing but pytest: this module is loaded into every pytest run of every project that
installs dbparity, most of which never select a backend, and those must not pay for (or see)
SQLAlchemy, the drivers or the provisioning code. ``dbparity.plugin.active`` does the rest.
"""

from __future__ import annotations

import pytest


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
    backend_id = config.getoption("backend") or config.getini("dbparity_backend") or None
    if not backend_id:
        return  # inert: a run that did not select a backend gets nothing of ours
    from dbparity.plugin.active import activate

    activate(config, str(backend_id))
