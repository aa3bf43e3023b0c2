"""How a backend's server comes to exist for one run, and how it goes away again.

:func:`provision` is a context manager yielding a :class:`Target`: a plain, JSON-serialisable
description of where this run's databases live. The process that provisions owns the server and
removes it on exit; pytest-xdist workers receive the Target and only create their own databases
on it (see :mod:`dbparity.databases`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # not at run time: the reaper (python -m dbparity.provision.reaper) imports
    # this package, and a cluster's start-up waits for the reaper, so it must not load SQLAlchemy.
    from dbparity.backends import Backend


#: Provisioner names (the start of ``Target.provisioner``) of servers made for one run.
THROWAWAY_PROVISIONERS = ("local-cluster", "embedded-cluster", "container")


class NotProvisioned(RuntimeError):
    """The backend's server could not be had; the message says why and what to do.

    The run records every case as not run with this reason, never as conforming."""


class UnsafeDatabaseURL(ValueError):
    """A --db-url that may point at a database with real data in it."""


@dataclass(frozen=True)
class ProvisionOptions:
    db_url: str | None = None
    db_url_allow_any: bool = False
    postgres_image: str | None = None
    postgres_version: int | str | None = None
    postgres_source: str | None = None


@dataclass(frozen=True)
class Target:
    """Where this run's databases live.

    ``location`` is a directory for SQLite files, a libpq URL of a maintenance database for
    PostgreSQL, and empty for SQLite in memory. ``run_id`` prefixes every database the harness
    creates, so cleanup can only ever touch databases this run made.
    """

    backend_id: str
    provisioner: str
    location: str
    run_id: str
    server_version: str
    server_settings: dict[str, str] = field(default_factory=dict)

    @property
    def throwaway(self) -> bool:
        """The server exists for this run only and is removed with everything in it at the
        end, so dropping databases on it one by one (each DROP a checkpoint) is wasted time."""
        return self.provisioner.startswith(THROWAWAY_PROVISIONERS)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Target:
        return cls(**json.loads(text))


def new_run_id() -> str:
    return secrets.token_hex(4)


@contextmanager
def provision(backend: Backend, options: ProvisionOptions) -> Iterator[Target]:
    """Start (or find) the backend's server for the length of the ``with`` block."""
    run_id = new_run_id()
    if backend.provision in ("sqlite-memory", "sqlite-file"):
        from dbparity.provision import sqlite

        with sqlite.provision(backend, run_id) as target:
            yield target
    elif backend.provision == "postgres":
        from dbparity.provision import postgres

        with postgres.provision(backend, options, run_id) as target:
            yield target
    elif backend.provision == "pglite":
        from dbparity.provision import pglite

        with pglite.server() as server:
            yield Target(backend.id, "pglite", server.url, run_id, server.version, server.settings)
    else:  # pragma: no cover - backends.py rejects unknown provisioners
        raise NotProvisioned(f"unknown provisioner {backend.provision!r}")
