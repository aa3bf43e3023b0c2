"""Bad input is refused before the run touches anything (its results file included).

Each check raises ``pytest.UsageError`` with one line saying what is wrong, where it came from
and what to do; pytest prints it without a traceback.
"""

from __future__ import annotations

import os

import pytest

from dbparity.backends import Backend
from dbparity.provision import UnsafeDatabaseURL
from dbparity.provision.postgres import URL_ENV, check_url


def check_inputs(config: pytest.Config, backend: Backend) -> None:
    """The production guard on --db-url / DBPARITY_POSTGRES_URL, before the results file is
    claimed (provisioning checks again; this only makes a refused URL leave no trace)."""
    if backend.provision != "postgres" or hasattr(config, "workerinput"):
        return
    option = config.getoption("db_url")
    url = option or os.environ.get(URL_ENV)
    if not url:
        return
    try:
        check_url(
            url,
            allow_any=config.getoption("db_url_allow_any"),
            source="--db-url" if option else URL_ENV,
        )
    except UnsafeDatabaseURL as exc:
        raise pytest.UsageError(str(exc)) from None
