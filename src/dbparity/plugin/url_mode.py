"""URL mode in pytest: the database's URLs in the environment before any conftest is imported.

pytest imports the initial conftests (and with them, often, a project's engine built from
``os.environ["DATABASE_URL"]`` at import time) before ``pytest_configure``; an entry-point
plugin's ``pytest_load_initial_conftests`` runs before that. So the backend is provisioned
here, in the process that runs pytest (the xdist controller, or the only process). Its workers
inherit the environment, with the run's target in it, and each creates a database of its own.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

import pytest

from dbparity.backends import BackendConfigError, load_for_run
from dbparity.plugin.run import EARLY_TARGET_KEY, PROCESS_URL_KEY, provision_for
from dbparity.provision import Target
from dbparity.urls import EnvRequest, EnvSpecError, parse_requests, process_database

#: How the controller hands its target to xdist workers, which start with its environment.
TARGET_ENV = "DBPARITY_URL_MODE_TARGET"


def requested(config: pytest.Config) -> list[EnvRequest]:
    """The NAME=FORM requests of the command line, else of the configuration file."""
    given = list(getattr(config.known_args_namespace, "dbparity_env", None) or [])
    where = "--dbparity-env"
    if not given:
        given, where = list(config.getini("dbparity_env")), "dbparity_env"
    try:
        return parse_requests(given, where)
    except EnvSpecError as exc:
        raise pytest.UsageError(f"dbparity: {exc}") from None


def export_urls(config: pytest.Config, backend_id: str, requests: list[EnvRequest]) -> None:
    """Provision (or, in a worker, adopt) the target, create this process's database, and put
    its URLs in ``os.environ``; everything is undone when pytest's config is cleaned up."""
    stack = ExitStack()
    config.add_cleanup(stack.close)
    namespace = config.known_args_namespace
    directory = getattr(namespace, "dbparity_backends", None)
    kind = config.getini("dbparity_suite") or "application"
    try:
        backend = load_for_run(Path(directory) if directory else None, kind).get(backend_id)
    except BackendConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    if backend is None:
        return  # pytest_configure says the id is unknown, in its own words
    if backend.sqlite and backend.id == "sqlite-hardened":
        raise pytest.UsageError(
            "dbparity: sqlite-hardened changes dbparity's own engines; in URL mode your engine "
            "is yours: switch its settings on in your conftest (README: 'hardened SQLite') "
            "and run sqlite-memory or sqlite-file"
        )
    inherited = os.environ.get(TARGET_ENV)
    if "PYTEST_XDIST_WORKER" in os.environ and inherited:
        target: Target | None = Target.from_json(inherited)
        reason = ""
    else:
        target, reason = provision_for(backend, lambda name: getattr(namespace, name, None), stack)
        config.stash[EARLY_TARGET_KEY] = (target, reason)
    if target is None:
        return  # not run: every test is reported so, and nothing is exported
    os.environ[TARGET_ENV] = target.to_json()
    database = stack.enter_context(process_database(backend, target))
    config.stash[PROCESS_URL_KEY] = database.async_url
    for request in requests:
        previous = os.environ.get(request.name)
        os.environ[request.name] = database.render(request.form)
        stack.callback(_restore, request.name, previous)
    stack.callback(os.environ.pop, TARGET_ENV, None)


def _restore(name: str, previous: str | None) -> None:
    if previous is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = previous
