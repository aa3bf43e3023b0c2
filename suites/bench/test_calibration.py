"""Calibration: what the benchmark path itself costs, with nothing to measure.

Every other timing in these suites includes the ``loop runner`` overhead; the speed report
shows it so a reader can judge how much of a fast operation's time is the harness's."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from suites.bench.conftest import LoopRunner, scaled

pytestmark = pytest.mark.benchmark(group="calibration")

ROUNDS = 2000


async def noop() -> None:
    """Nothing: the coroutine every calibration case runs."""


def test_sync_call(benchmark: Any) -> None:
    """A plain function call (pytest-benchmark's own floor)"""
    benchmark.pedantic(lambda: None, rounds=scaled(ROUNDS), warmup_rounds=10)


def test_loop_runner(benchmark: Any, aio: LoopRunner) -> None:
    """No-op coroutine, loop runner (the path every benchmark uses)"""
    aio.bench(benchmark, noop, rounds=ROUNDS, warmup_rounds=10)


async def test_worker_thread(benchmark: Any) -> None:
    """No-op coroutine, worker thread + run_coroutine_threadsafe (rejected)"""
    loop = asyncio.get_running_loop()

    def target() -> None:
        asyncio.run_coroutine_threadsafe(noop(), loop).result()

    await asyncio.to_thread(benchmark.pedantic, target, rounds=scaled(ROUNDS), warmup_rounds=10)
