"""A declared case's expected failure is reported as one exception line, not a rendered
traceback (rendering them was most of a SQLite conformance run); a failure that is not the
declared one keeps its full traceback, so the run still shows what went wrong.

A tiny suite on sqlite-memory through the real plugin; its conftest writes what pytest put in
each call report (``longrepr``) to a file, which is what rendering produced.
"""

from __future__ import annotations

import json

from tests.conftest import CONFTEST, TinySuite

BACKEND = "sqlite-memory"

SUITE = '''
from sqlalchemy import column, func, insert, select, table

items = table("items", column("id"), column("name"))


async def test_like_is_case_sensitive(engine):
    """LIKE distinguishes upper from lower case (not on SQLite)."""
    async with engine.begin() as conn:
        await conn.execute(insert(items).values(name="Apple"))
        found = await conn.scalar(select(func.count()).where(items.c.name.like("apple")))
        await conn.rollback()
    assert found == 0


async def test_declared_wrongly(engine):
    """Fails with an assertion, declared as an IntegrityError."""
    async with engine.begin() as conn:
        found = await conn.scalar(select(func.count()).select_from(items))
        await conn.rollback()
    assert found == 1
'''

RECORDER = """

import json
import pathlib


def pytest_runtest_logreport(report):
    if report.when == "call" and not report.passed:
        path = pathlib.Path(__file__).parent / "longreprs.json"
        seen = json.loads(path.read_text()) if path.exists() else {}
        seen[report.nodeid.split("::")[-1]] = {
            "kind": type(report.longrepr).__name__,
            "text": str(report.longrepr),
        }
        path.write_text(json.dumps(seen))
"""

DECLARED = """
[diverges."items.like_is_case_sensitive"]
reason = "SQLite's LIKE ignores ASCII case"
fails = "assertion"

[diverges."items.declared_wrongly"]
reason = "declared with the wrong failure"
fails = "IntegrityError"
"""


def run(tiny_suite: TinySuite, *args: str) -> dict[str, dict[str, str]]:
    tiny_suite.pytester.makeconftest(CONFTEST + RECORDER)
    tiny_suite.write_tests("test_items.py", SUITE)
    tiny_suite.use_backends_with({BACKEND: DECLARED})
    result = tiny_suite.run(BACKEND, *args)
    assert result.ret == 1, result.stdout.str()  # the wrongly declared case fails the run
    assert tiny_suite.outcomes(BACKEND) == {
        "items.like_is_case_sensitive": "diverges",
        "items.declared_wrongly": "unexpected-failure",
    }
    seen: dict[str, dict[str, str]] = json.loads((tiny_suite.path / "longreprs.json").read_text())
    return seen


def test_declared_failure_is_one_line_and_a_mismatch_keeps_its_traceback(
    tiny_suite: TinySuite,
) -> None:
    seen = run(tiny_suite)
    expected = seen["test_like_is_case_sensitive"]
    assert expected["kind"] == "str"
    assert expected["text"].startswith("AssertionError: assert 1 == 0")
    assert "async def test_like_is_case_sensitive" not in expected["text"]
    wrong = seen["test_declared_wrongly"]
    assert wrong["kind"] == "ExceptionChainRepr"
    assert "async def test_declared_wrongly(engine):" in wrong["text"]  # the rendered source
    assert "assert 0 == 1" in wrong["text"]


def test_runxfail_renders_every_failure(tiny_suite: TinySuite) -> None:
    """With --runxfail pytest shows expected failures as failures: they keep their traceback."""
    tiny_suite.pytester.makeconftest(CONFTEST + RECORDER)
    tiny_suite.write_tests("test_items.py", SUITE)
    tiny_suite.use_backends_with({BACKEND: DECLARED})
    tiny_suite.run(BACKEND, "--runxfail")
    seen = json.loads((tiny_suite.path / "longreprs.json").read_text())
    assert seen["test_like_is_case_sensitive"]["kind"] == "ExceptionChainRepr"
    assert "async def test_like_is_case_sensitive" in seen["test_like_is_case_sensitive"]["text"]
