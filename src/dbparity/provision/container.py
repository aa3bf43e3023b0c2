"""PostgreSQL in a container, through testcontainers.

The container gets a random password and its port published on 127.0.0.1 only, so no other
machine (and, on the port, nothing without the password) can use it. Ryuk, testcontainers' own
reaper, is disabled: its image often cannot be pulled, and dbparity's reaper removes the
container when the run is killed. Where ``/.dockerenv`` exists testcontainers believes it runs
inside a container and would connect through the bridge gateway; the engine is local, so the
connection mode is ``docker_host`` and the URL names 127.0.0.1 and the published port.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

from dbparity.provision.docker_engine import Engine, EngineError, engine
from dbparity.provision.images import ImageError, requested_image, resolve
from dbparity.provision.local_cluster import THROWAWAY_SETTINGS
from dbparity.provision.reaper import Reaper

USER = "dbparity"
DATABASE = "postgres"
CONTAINER_PORT = 5432
LABEL = "org.dbparity.run"


class ContainerUnavailable(RuntimeError):
    """No container could be had; the message says why (no engine, no image, did not start)."""


@dataclass(frozen=True)
class RunningContainer:
    url: str
    image: str
    image_how: str
    image_s: float
    engine_started: bool
    ready_s: float


def _configure_testcontainers() -> None:
    from testcontainers.core.config import ConnectionMode, testcontainers_config

    testcontainers_config.ryuk_disabled = True
    testcontainers_config.connection_mode_override = ConnectionMode.docker_host


@contextmanager
def container(
    backend_image: str,
    explicit_image: str | None,
    version: int | None,
    run_id: str,
    start_engine: bool,
) -> Iterator[RunningContainer]:
    """A PostgreSQL container for the length of the block; removed at the end."""
    with ExitStack() as stack:
        try:
            found = stack.enter_context(engine(start_engine))
        except EngineError as exc:
            raise ContainerUnavailable(str(exc)) from exc
        yield stack.enter_context(_run(found, backend_image, explicit_image, version, run_id))


@contextmanager
def _run(
    found: Engine, backend_image: str, explicit_image: str | None, version: int | None, run_id: str
) -> Iterator[RunningContainer]:
    from docker.errors import DockerException
    from testcontainers.community.postgres import PostgresContainer

    remote = remote_host(found.host)
    if remote:
        raise ContainerUnavailable(
            f"the Docker engine at {remote} is not on this machine, and dbparity publishes a "
            "container's port on 127.0.0.1 only; use a local engine, or run PostgreSQL there "
            "and pass --db-url"
        )
    _configure_testcontainers()
    client = found.client()
    wanted = requested_image(explicit_image, backend_image, version)
    try:
        image = resolve(client, found.environment(), wanted, version)
    except (ImageError, DockerException) as exc:
        raise ContainerUnavailable(str(exc)) from exc
    password = secrets.token_urlsafe(24)
    started = time.perf_counter()
    pg = PostgresContainer(
        image.image,
        username=USER,
        password=password,
        dbname=DATABASE,
        driver=None,
        docker_client_kw={"environment": found.environment() or None},
        labels={LABEL: run_id},
    )
    pg.with_env("POSTGRES_INITDB_ARGS", "--no-sync")
    pg.with_command(["postgres", *THROWAWAY_SETTINGS])
    # Published on loopback only, on a port the engine picks (docker-py: (host_ip,)).
    cast(dict[Any, Any], pg.ports)[CONTAINER_PORT] = ("127.0.0.1",)
    reaper: Reaper | None = None
    try:
        pg.start()
        reaper = container_reaper(found, pg.get_container_id())
        port = int(pg.get_exposed_port(CONTAINER_PORT))
    except BaseException as exc:
        _remove(pg)
        if isinstance(exc, Exception):
            raise ContainerUnavailable(f"container {image.image} did not start: {exc}") from exc
        raise
    try:
        yield RunningContainer(
            url=f"postgresql://{USER}:{password}@127.0.0.1:{port}/{DATABASE}",
            image=image.image,
            image_how=image.how,
            image_s=image.seconds,
            engine_started=found.started,
            ready_s=time.perf_counter() - started,
        )
    finally:
        _remove(pg)
        if reaper is not None:
            reaper.release()
        client.close()


def container_reaper(found: Engine, container_id: str) -> Reaper:
    """A watcher that removes the container if this process dies before it does."""
    return Reaper([], [], containers=[container_id], docker_host=found.host)


def _remove(pg: Any) -> None:
    """testcontainers' stop() is ``remove(force=True, v=True)``; gone already is fine. Then its
    client's connections are closed: an engine this run started waits for open API
    connections before it shuts down."""
    with contextlib.suppress(Exception):
        pg.stop()
    with contextlib.suppress(Exception):
        pg.get_docker_client().client.close()


def remote_host(docker_host: str) -> str:
    """The host of a ``DOCKER_HOST`` that names another machine; empty for a local engine."""
    parts = urlsplit(docker_host)
    if parts.scheme in ("", "unix", "npipe"):
        return ""
    host = parts.hostname or ""
    return "" if host in ("localhost", "127.0.0.1", "::1") else host
