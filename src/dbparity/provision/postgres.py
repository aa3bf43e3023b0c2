"""PostgreSQL for one run: an explicit URL, else a container, else a local cluster, else not run.

Whatever the source, the run works in databases it creates itself (named ``test_dbparity_<run>_*``)
and drops only those, so a URL pointing at a server with other databases is left as it was.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from dbparity.backends import Backend
from dbparity.provision import (
    NotProvisioned,
    ProvisionOptions,
    Target,
    UnsafeDatabaseURL,
    binaries,
    container,
    leftovers,
    sources,
)
from dbparity.provision.local_cluster import ClusterError, LocalCluster
from dbparity.redact import redact

log = logging.getLogger(__name__)

URL_ENV = "DBPARITY_POSTGRES_URL"
IMAGE_ENV = "DBPARITY_POSTGRES_IMAGE"
DB_PREFIX = "test_dbparity_"


def database_prefix(run_id: str) -> str:
    return f"{DB_PREFIX}{run_id}_"


@contextmanager
def provision(backend: Backend, options: ProvisionOptions, run_id: str) -> Iterator[Target]:
    with ExitStack() as stack:
        url, provisioner = _find_server(backend, options, stack, run_id)
        version, settings = _server_facts(url)
        # Says "this run is live" to `dbparity clean` until the run's databases are dropped.
        stack.enter_context(leftovers.run_marker(url, run_id))
        target = Target(backend.id, provisioner, url, run_id, version, settings)
        try:
            yield target
        finally:
            if not target.throwaway:  # a throwaway server goes with everything on it
                drop_run_databases(url, run_id)


def _find_server(
    backend: Backend, options: ProvisionOptions, stack: ExitStack, run_id: str
) -> tuple[str, str]:
    explicit = options.db_url or os.environ.get(URL_ENV)
    if explicit:
        source = "--db-url" if options.db_url else URL_ENV
        return check_url(explicit, allow_any=options.db_url_allow_any, source=source), "url"
    choice = sources.choose(options)
    reasons = []
    if "container" in choice.order:
        image = options.postgres_image or os.environ.get(IMAGE_ENV)
        try:
            running = stack.enter_context(
                container.container(
                    backend.postgres_image,
                    image,
                    choice.version,
                    run_id,
                    start_engine=choice.explicit,
                )
            )
        except container.ContainerUnavailable as exc:
            reasons.append(f"container: {redact(str(exc))}")
        else:
            log.info("container %s ready in %.2fs", running.image, running.ready_s)
            return running.url, sources.describe_container(running)
    for kind in ("system", "embedded"):
        if kind not in choice.order:
            continue
        try:
            found = binaries.find(choice.version, kinds=(kind,))
        except LookupError as exc:
            reasons.append(f"{kind}: {exc}")
            continue
        cluster = LocalCluster(found.bindir)
        try:
            cluster.start()
        except ClusterError as exc:
            raise NotProvisioned(f"local cluster from {found.describe()} failed: {exc}") from exc
        stack.callback(cluster.stop)
        log.info("%s ready in %.2fs on port %s", found.describe(), cluster.startup_s, cluster.port)
        return cluster.url, sources.describe_cluster(found, cluster)
    raise NotProvisioned("; ".join(reasons) + ". " + sources.HOW_TO_GET_ONE)


def check_url(url: str, *, allow_any: bool, source: str = "--db-url") -> str:
    """The production guard: only a database whose name starts with ``test`` is used unasked.

    Returns a libpq URL (any SQLAlchemy ``+driver`` suffix removed). ``source`` names where the
    URL came from (the option or the environment variable), for the one-line errors."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        raise UnsafeDatabaseURL(
            f"{source} {redact(url)!r} is not a valid URL ({exc}); "
            "expected postgresql://USER@HOST:PORT/DBNAME"
        ) from None
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ("postgresql", "postgres"):
        got = f"scheme {parts.scheme!r}" if parts.scheme else "no scheme (a key=value string?)"
        raise UnsafeDatabaseURL(
            f"{source} {redact(url)!r}: expected a postgresql:// URL, got {got}; "
            "write it as postgresql://USER@HOST:PORT/DBNAME"
        )
    database = parts.path.lstrip("/")
    if not database.startswith("test") and not allow_any:
        raise UnsafeDatabaseURL(
            f"{source} names database {database or '(none)'!r}, whose name does not start with "
            "'test'; it may hold real data. Point it at a test database, or pass "
            "--db-url-allow-any if you are sure (dbparity only creates and drops its own "
            f"{DB_PREFIX}* databases there)"
        )
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, ""))


def _server_facts(url: str) -> tuple[str, dict[str, str]]:
    """The server's version and text settings; NotProvisioned (one line, password masked) when
    it does not answer, refuses us, or would not let us create this run's databases."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            version = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
            row = conn.execute(
                "SELECT datcollate, datctype, pg_encoding_to_char(encoding), "
                "(SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user) "
                "FROM pg_database WHERE datname = current_database()"
            ).fetchone()
    except psycopg.Error as exc:
        why = " ".join(redact(str(exc)).split())
        answered = "refused the connection" if "FATAL:" in why else "did not answer"
        raise NotProvisioned(f"PostgreSQL at {redact(url)} {answered}: {why}") from exc
    assert row is not None
    if not row[3]:
        raise NotProvisioned(
            f"PostgreSQL at {redact(url)}: this user may not create databases, and dbparity "
            "works in databases it creates; grant it CREATEDB, or use a server where it may"
        )
    settings = {"collate": str(row[0]), "ctype": str(row[1]), "encoding": str(row[2])}
    return f"PostgreSQL {version.split()[0]}", settings


def drop_run_databases(url: str, run_id: str) -> None:
    """Drop every database this run created (and nothing else)."""
    prefix = database_prefix(run_id)
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            names = [
                str(r[0])
                for r in conn.execute(
                    "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (prefix,)
                )
            ]
            for name in names:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
    except psycopg.Error as exc:
        why = " ".join(redact(str(exc)).split())
        log.warning("could not drop this run's databases (%s*): %s", prefix, why)
