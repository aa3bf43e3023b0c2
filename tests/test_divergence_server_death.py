"""A PostgreSQL server that dies mid-run never lets a declared case pass for a divergence.

The issue this guards against: with the server killed mid-run, a case declared to diverge on
asyncpg (``value_too_long_raises_data_error``, which raises a plain DBAPIError there) was
recorded as ``diverges``, because any failure of a declared case counted. The tiny suite runs on
a real server the harness provisions (a throwaway local cluster, or a container), kills it from
inside the run, then runs declared cases.
"""

from __future__ import annotations

import pytest

from tests.conftest import TinySuite

BACKEND = "postgres-asyncpg"

SUITE = '''
import asyncio
import os

import pytest
from sqlalchemy import column, insert, table, text
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

items = table("items", column("id"), column("name"))


async def test_a_server_that_stops(engine):
    """The server stops, killed like a crash (SIGQUIT to the postmaster), when asked to."""
    if not os.environ.get("STRICTNESS_KILL_SERVER"):
        return
    try:
        async with engine.connect() as conn:
            data = await conn.scalar(text("SHOW data_directory"))
            pid_file = os.path.join(data, "postmaster.pid")
            await conn.execute(
                text(f"COPY (SELECT 1) TO PROGRAM 'kill -QUIT $(head -1 {pid_file})'")
            )
    except DBAPIError:
        pass  # the server took this connection down with it
    probe = create_async_engine(engine.url, poolclass=NullPool)
    for _ in range(300):
        try:
            async with probe.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the server did not stop")
    await probe.dispose()


async def test_value_too_long_raises_data_error(engine):
    """A value too long for its column raises DataError (asyncpg: a plain DBAPIError)."""
    async with engine.connect() as conn:
        with pytest.raises(DataError):
            await conn.execute(insert(items).values(name="x" * 51))


async def test_value_too_long_in_a_session(session):
    """The same, through the session fixture."""
    with pytest.raises(DataError):
        await session.execute(insert(items).values(name="x" * 51))
'''

DECLARED = ("integrity.value_too_long_raises_data_error", "integrity.value_too_long_in_a_session")


def declarations() -> str:
    return "".join(
        f'\n[diverges."{case_id}"]\nreason = "asyncpg raises a plain DBAPIError"\n'
        'fails = "DBAPIError"\n'
        for case_id in DECLARED
    )


@pytest.mark.slow
@pytest.mark.parametrize("kill", [False, True], ids=["server-alive", "server-killed"])
def test_killed_server_never_yields_diverges(
    tiny_suite: TinySuite, monkeypatch: pytest.MonkeyPatch, kill: bool
) -> None:
    """Alive (the control): both declared cases diverge as declared. Killed before they run:
    neither is 'diverges', and the run fails."""
    if kill:
        monkeypatch.setenv("STRICTNESS_KILL_SERVER", "1")
    else:
        monkeypatch.delenv("STRICTNESS_KILL_SERVER", raising=False)
    tiny_suite.write_tests("test_integrity.py", SUITE)
    tiny_suite.use_backends_with({BACKEND: declarations()})
    result = tiny_suite.run(BACKEND)
    results = tiny_suite.results(BACKEND)
    assert results["run"]["status"] == "run", results["run"]
    outcomes = {c["id"]: c["outcome"] for c in results["cases"]}
    assert outcomes["integrity.a_server_that_stops"] == "conforms"
    if not kill:
        assert result.ret == pytest.ExitCode.OK, result.stdout.str()
        assert {outcomes[case_id] for case_id in DECLARED} == {"diverges"}
        return
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    # The body's failure is no declared one (unexpected-failure by the matching rule; the
    # server watch then calls every case after a server death an error); the fixture's is error.
    assert outcomes["integrity.value_too_long_raises_data_error"] in {"unexpected-failure", "error"}
    assert outcomes["integrity.value_too_long_in_a_session"] == "error"
