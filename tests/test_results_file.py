"""The results file a run writes: every outcome word, titles, ids, versions."""

from __future__ import annotations

import pytest

from dbparity import results as results_format
from tests.conftest import TinySuite

SUITE = '''
import pytest


async def test_passes(session):
    """It passes."""


async def test_fails_as_declared(session):
    """It fails the way the backend file says."""
    assert False


async def test_fails_unexpectedly(session):
    """It fails with nobody expecting it."""
    assert 1 == 2, "one is not two"


async def test_declared_but_passes(session):
    """Declared to diverge, yet it conforms."""


async def test_not_applicable(session):
    """Cannot apply here."""
    pytest.skip("no such feature on this backend")


@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")


async def test_fixture_error(broken):
    """Its fixture fails."""


@pytest.mark.parametrize("n", [1, 2])
async def test_param(session, n):
    """Parametrized."""
'''

DIVERGENCES = """
[diverges."outcomes.fails_as_declared"]
reason = "Declared difference."
fails = "assertion"

[diverges."outcomes.declared_but_passes"]
reason = "Out of date."
fails = "assertion"
"""


def test_each_outcome_word(tiny_suite: TinySuite) -> None:
    tiny_suite.write_tests("test_outcomes.py", SUITE)
    tiny_suite.use_backends_with({"sqlite-memory": DIVERGENCES})
    result = tiny_suite.run("sqlite-memory")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    loaded = results_format.load(tiny_suite.path / "sqlite-memory.json")
    cases = {c.id: c for c in loaded.cases}
    assert {k: c.outcome for k, c in cases.items()} == {
        "outcomes.passes": "conforms",
        "outcomes.fails_as_declared": "diverges",
        "outcomes.fails_unexpectedly": "unexpected-failure",
        "outcomes.declared_but_passes": "stale-expectation",
        "outcomes.not_applicable": "not-applicable",
        "outcomes.fixture_error": "error",
        "outcomes.param[1]": "conforms",
        "outcomes.param[2]": "conforms",
    }
    assert cases["outcomes.passes"].title == "It passes."
    assert cases["outcomes.fails_as_declared"].reason == "Declared difference."
    assert "one is not two" in cases["outcomes.fails_unexpectedly"].reason
    assert "Out of date." in cases["outcomes.declared_but_passes"].reason
    assert cases["outcomes.not_applicable"].reason == "no such feature on this backend"
    assert "fixture exploded" in cases["outcomes.fixture_error"].reason
    assert cases["outcomes.param[2]"].suite == "outcomes"
    assert loaded.run.status == "run"
    assert loaded.run.server_version.startswith("SQLite 3.")
    assert set(loaded.run.driver_versions) == {"sqlalchemy", "aiosqlite"}
    assert loaded.backend.id == "sqlite-memory"


def test_backend_that_cannot_start_is_not_run(
    tiny_suite: TinySuite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that does not answer: every case not run, with the reason, and a failed run."""
    tiny_suite.write_tests("test_outcomes.py", SUITE)
    result = tiny_suite.run("postgres-asyncpg", "--db-url=postgresql://x@127.0.0.1:9/test_nothing")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    loaded = results_format.load(tiny_suite.path / "postgres-asyncpg.json")
    assert loaded.run.status == "not-run"
    assert "did not answer" in loaded.run.reason
    assert {c.outcome for c in loaded.cases} == {"not-run"}
    assert len(loaded.cases) == 8
    assert "NOT RUN" in result.stdout.str()


@pytest.mark.parametrize(
    "url",
    ["postgresql://u@127.0.0.1:9/production", "postgresql+asyncpg://u:secret@db.example/app"],
)
def test_production_guard_refuses_non_test_database(tiny_suite: TinySuite, url: str) -> None:
    tiny_suite.write_tests("test_outcomes.py", SUITE)
    result = tiny_suite.run("postgres-asyncpg", f"--db-url={url}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    error = result.stderr.str()
    assert "does not start with 'test'" in error
    assert "--db-url-allow-any" in error
    assert "secret" not in error
    assert not (tiny_suite.path / "postgres-asyncpg.json").exists()
