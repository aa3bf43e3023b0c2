"""The benchmark harness: async bodies timed by pytest-benchmark on the session's event loop.

pytest-benchmark only times plain callables. Two ways to hand it a coroutine were measured with
the calibration cases (a no-op coroutine through each path, see ``test_calibration.py``):

- **loop runner** (used): the benchmark test is a *sync* test; the event loop that
  pytest-asyncio runs the session-scoped fixtures on (engine, pools) is idle while it runs, so
  each round is ``loop.run_until_complete(body())`` on that same loop. The engine's connections
  stay on the loop they were made on (asyncpg insists), and the cost per round is one Task plus
  one loop start/stop: the smallest and steadiest overhead we found.
- **worker thread**: an async test runs ``benchmark.pedantic`` in a thread and submits each
  round to the running loop with ``asyncio.run_coroutine_threadsafe``. Every round then pays
  two cross-thread wake-ups (and the GIL hand-off), which is both larger and noisier.

``asyncio.run`` per round is never used: it would create a new loop per round, and the
engine's connections belong to the session loop.

Rounds are explicit (``benchmark.pedantic``) so a run's length is known in advance; the
``DBPARITY_BENCH_MODE`` environment variable picks ``short`` (the default ``nox`` run) or
``full`` rounds.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from dbparity.plugin.recording import driver_versions
from dbparity.plugin.run import RUN_KEY

MODE_ENV = "DBPARITY_BENCH_MODE"
MODES = {"short": 0.15, "full": 1.0}
MIN_ROUNDS = 5


def bench_mode() -> str:
    mode = os.environ.get(MODE_ENV, "full")
    if mode not in MODES:
        raise pytest.UsageError(
            f"{MODE_ENV}={mode!r} is not a benchmark mode; use one of {', '.join(MODES)}"
        )
    return mode


def scaled(rounds: int) -> int:
    """``rounds`` in full mode, a fraction of it (never under MIN_ROUNDS) in short mode."""
    return max(MIN_ROUNDS, round(rounds * MODES[bench_mode()]))


LOAD_KEY = pytest.StashKey[float]()


def pytest_configure(config: pytest.Config) -> None:
    bench_mode()  # a typo in the mode fails before any server starts
    config.stash[LOAD_KEY] = os.getloadavg()[0]


def pytest_benchmark_update_machine_info(
    config: pytest.Config, machine_info: dict[str, Any]
) -> None:
    """Record which backend (and which server and drivers) produced these timings."""
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return
    target = run.target
    machine_info["dbparity"] = {
        "backend": run.backend.id,
        "label": run.backend.label,
        "reference": run.backend.reference,
        "server_version": target.server_version if target else "",
        "provisioner": target.provisioner if target else "",
        "status": "run" if target else "not-run",
        "reason": run.not_run_reason,
        "driver_versions": driver_versions(run.backend),
        "mode": bench_mode(),
        # One-minute load averages when the run started and ended: a busy machine inflates
        # every timing, and the report says so.
        "load": [round(config.stash.get(LOAD_KEY, -1.0), 2), round(os.getloadavg()[0], 2)],
    }


class LoopRunner:
    """Runs coroutines to completion on the session loop from a sync benchmark test."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def run(self, make: Callable[[], Awaitable[Any]]) -> Any:
        return self.loop.run_until_complete(make())  # type: ignore[arg-type]

    def bench(
        self,
        benchmark: Any,
        body: Callable[..., Awaitable[Any]],
        *,
        rounds: int,
        setup: Callable[[], Awaitable[tuple[Any, ...]]] | None = None,
        teardown: Callable[..., Awaitable[Any]] | None = None,
        warmup_rounds: int = 2,
    ) -> Any:
        """Time ``body`` for ``rounds`` rounds (scaled by the mode), one call per round.

        ``setup`` (untimed) returns the positional arguments of that round's ``body`` call;
        ``teardown`` (untimed) gets the same arguments after it."""
        loop = self.loop

        def target(*args: Any) -> Any:
            return loop.run_until_complete(body(*args))  # type: ignore[arg-type]

        def sync_setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
            assert setup is not None
            return loop.run_until_complete(setup()), {}  # type: ignore[arg-type]

        def sync_teardown(*args: Any) -> None:
            assert teardown is not None
            loop.run_until_complete(teardown(*args))  # type: ignore[arg-type]

        return benchmark.pedantic(
            target,
            setup=sync_setup if setup else None,
            teardown=sync_teardown if teardown else None,
            rounds=scaled(rounds),
            warmup_rounds=warmup_rounds,
            iterations=1,
        )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def session_loop() -> asyncio.AbstractEventLoop:
    """The loop the session-scoped engine lives on."""
    return asyncio.get_running_loop()


@pytest.fixture
def aio(session_loop: asyncio.AbstractEventLoop) -> LoopRunner:
    return LoopRunner(session_loop)


@pytest.fixture(autouse=True)
def _label_benchmark(request: pytest.FixtureRequest) -> None:
    """Put the backend and the benchmark's label in its JSON entry."""
    if "benchmark" not in request.fixturenames:
        return
    benchmark = request.getfixturevalue("benchmark")
    run = request.config.stash.get(RUN_KEY, None)
    benchmark.extra_info["backend"] = run.backend.id if run else ""
    doc = (getattr(request.function, "__doc__", None) or "").strip().splitlines()
    benchmark.extra_info["label"] = doc[0].rstrip(".") if doc else request.node.name
