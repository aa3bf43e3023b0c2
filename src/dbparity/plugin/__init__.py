"""The pytest plugin, installed through the ``pytest11`` entry point (this package).

A guest in someone else's test run: this module loads only the options and
``pytest_configure`` (pytest alone, no SQLAlchemy). Until a backend is selected (``--backend`` or
``dbparity_backend``) nothing else is imported or registered, so a run that did not ask for
dbparity has no fixture, hook or output of ours. Once one is, ``dbparity.plugin.active``
registers the rest. The plugin's parts, by job:

- provide: ``options`` (choosing the backend), ``active`` (what a selected backend registers),
  ``run`` (provisioning, xdist hand-over), ``fixtures`` (``engine``, ``connection``, ``session``)
- observe: ``observer`` (which tests used the provisioned database, and from which event loop),
  ``loops`` (the foreign-loop setup mistake), ``server_watch`` (a server that died),
  ``checks`` (setup mistakes caught before any test runs)
- record: ``recording`` (pytest's reports into cases), ``results_path`` (the results file)
"""

from __future__ import annotations

from dbparity.plugin.options import (
    pytest_addoption,
    pytest_configure,
    pytest_load_initial_conftests,
)

__all__ = ["pytest_addoption", "pytest_configure", "pytest_load_initial_conftests"]
