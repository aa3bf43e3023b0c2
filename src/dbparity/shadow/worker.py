"""The shadow's own thread and event loop: one queue of jobs, run one at a time in the order the
stand-in's statements happened.

The user's code may be sync or async, on any event loop; the shadow's driver (asyncpg for
``postgres-asyncpg``) needs a loop of its own, so its connections live here. Statements are
handed over and compared in this thread while the user's code goes on: the stand-in's side is
captured before the hand-over, so the user's result is never waited for, only the end of the
test is (``drain``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
Job = Callable[[], Awaitable[Any]]


class ShadowWorker:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._queue: asyncio.Queue[tuple[Job, concurrent.futures.Future[Any] | None] | None]
        self._queue = asyncio.Queue()
        #: Jobs that raised with nobody waiting: the shadow's own failures, one line each.
        self.failures: list[str] = []
        self._thread = threading.Thread(target=self._run, name="dbparity-shadow", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._consume())

    async def _consume(self) -> None:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            job, future = item
            try:
                value = await job()
            except BaseException as exc:  # never the user's problem: recorded, run goes on
                if future is not None:
                    future.set_exception(exc)
                else:
                    self.failures.append(f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
            else:
                if future is not None:
                    future.set_result(value)

    def submit(self, job: Job) -> None:
        """Run ``job`` after every job submitted before it; do not wait."""
        self.loop.call_soon_threadsafe(self._queue.put_nowait, (job, None))

    def call(self, job: Callable[[], Awaitable[T]], timeout: float = 300) -> T:
        """Run ``job`` after every job submitted before it, and wait for its value."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self.loop.call_soon_threadsafe(self._queue.put_nowait, (job, future))
        return future.result(timeout)

    def close(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self._queue.put_nowait, None)
            self._thread.join(30)
        if not self._thread.is_alive():
            self.loop.close()
