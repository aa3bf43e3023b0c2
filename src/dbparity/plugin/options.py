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
    group.addoption(
        "--dbparity-env",
        action="append",
        default=None,
        metavar="NAME=FORM",
        help="URL mode: export this process's database under the environment variable NAME "
        "before any conftest is imported; FORM is async, sync or dsn (repeatable)",
    )
    group.addoption(
        "--dbparity-shadow",
        default=None,
        metavar="BACKEND",
        help="shadow mode: also run every statement sent to the backend's database on this "
        "PostgreSQL backend (e.g. postgres-asyncpg) and report the statements that differ",
    )
    parser.addini("dbparity_backend", "default backend id when --backend is not given")
    parser.addini(
        "dbparity_env",
        "URL mode: NAME=FORM lines, as --dbparity-env (FORM: async, sync or dsn)",
        type="linelist",
        default=[],
    )
    parser.addini(
        "dbparity_suite",
        "what the tests assert: 'application' (default: your app's behaviour) or "
        "'conformance' (PostgreSQL's behaviour, as dbparity's own suites do)",
        default="application",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """URL mode: before the project's conftests are imported, the database's URLs are in the
    environment (see ``dbparity.plugin.url_mode``). Nothing at all without a backend."""
    namespace = early_config.known_args_namespace
    backend_id = getattr(namespace, "backend", None) or early_config.getini("dbparity_backend")
    if not backend_id:
        return
    from dbparity.plugin import raw_drivers
    from dbparity.plugin.observer import observer_for
    from dbparity.plugin.url_mode import export_urls, requested

    early_config.add_cleanup(raw_drivers.install(observer_for(early_config)))
    requests = requested(early_config)
    if requests:
        export_urls(early_config, str(backend_id), requests)


def pytest_configure(config: pytest.Config) -> None:
    backend_id = config.getoption("backend") or config.getini("dbparity_backend") or None
    if not backend_id:
        return  # inert: a run that did not select a backend gets nothing of ours
    from dbparity.plugin.active import activate

    activate(config, str(backend_id))
