"""A guest in someone else's run: installed but not asked, dbparity changes nothing; asked, it
judges only what used its database.

Each suite here is generated to provoke the plugin: failures that quote dbparity's own messages
and asyncio's "attached to a different loop", fixtures of the project's own named ``session``,
``engine``, ``connection`` and ``backend``, an anyio test and pytest-asyncio's strict mode. Its
outcomes with the plugin must equal its outcomes without it (``-p no:dbparity``).
"""

from __future__ import annotations

import re

import pytest

STRICT_PYPROJECT = """
[tool.pytest.ini_options]
asyncio_mode = "strict"
asyncio_default_fixture_loop_scope = "function"
"""

OWN_FIXTURES = """
import pytest


@pytest.fixture
def session():
    return "my session"


@pytest.fixture
def engine():
    return "my engine"


@pytest.fixture
def connection():
    return "my connection"


@pytest.fixture
def backend():
    return "my backend"


def pytest_sessionfinish(session):
    names = sorted(
        f"{name}={getattr(plugin, '__name__', type(plugin).__name__)}"
        for name, plugin in session.config.pluginmanager.list_name_plugin()
        if plugin is not None and "dbparity" in f"{name}{getattr(plugin, '__module__', '')}"
    )
    print(f"\\nregistered: {names}")
"""

GUEST_TESTS = """
import asyncio

import pytest


def test_foreign_loop_words():
    raise RuntimeError("Task got Future attached to a different loop")


def test_quotes_dbparity():
    raise AssertionError(
        "dbparity: dbparity's session was used from another event loop; "
        "dbparity: no test used the database"
    )


def test_own_fixtures(session, engine, connection, backend):
    assert (session, engine, connection, backend) == (
        "my session", "my engine", "my connection", "my backend"
    )


def test_plain():
    assert True


@pytest.mark.anyio
async def test_on_anyio():
    await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_strict_asyncio_marked():
    await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_fails_on_its_own_loop():
    raise RuntimeError("got Future <Future pending> attached to a different loop")


def test_after_the_failures():
    assert True
"""

_TIMING = re.compile(r" in [0-9.]+s( \([0-9:]+\))?")
_PLUGINS_LINE = re.compile(r"^plugins: .*$", re.M)  # names the installed plugins, us among them


def _write_guest_suite(pytester: pytest.Pytester) -> None:
    (pytester.path / "pyproject.toml").write_text(STRICT_PYPROJECT, "utf-8")
    pytester.makeconftest(OWN_FIXTURES)
    pytester.makepyfile(test_guest=GUEST_TESTS)


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-rA", "-p", "no:randomly", "-p", "no:cacheprovider", *args, timeout=300
    )


def _outcomes(result: pytest.RunResult) -> list[str]:
    """Each test's outcome line from the short summary (``PASSED test_guest.py::x``...)."""
    found = [
        line.split(" - ")[0]
        for line in result.stdout.lines
        if line.startswith(("PASSED ", "FAILED ", "ERROR ", "SKIPPED ", "XFAIL ", "XPASS "))
    ]
    assert found, result.stdout.str()
    return sorted(found)


def test_without_a_backend_the_run_is_byte_for_byte_the_same(pytester: pytest.Pytester) -> None:
    _write_guest_suite(pytester)
    with_plugin = _run(pytester)
    without = _run(pytester, "-p", "no:dbparity")
    assert with_plugin.ret == without.ret == pytest.ExitCode.TESTS_FAILED
    # Same output, line for line, but for the timing and what the conftest prints of us.
    out_with = _PLUGINS_LINE.sub("", _TIMING.sub("", with_plugin.stdout.str()))
    out_without = _PLUGINS_LINE.sub("", _TIMING.sub("", without.stdout.str()))
    assert (
        out_with.replace("registered: ['dbparity=dbparity.plugin']", "registered: []")
        == out_without
    )
    # Only the entry point's module itself: no fixture, hook or run object of ours.
    assert "registered: ['dbparity=dbparity.plugin']" in out_with
    assert with_plugin.stderr.str() == without.stderr.str()
    assert "3 failed, 5 passed" in with_plugin.stdout.str()


def test_with_a_backend_the_projects_own_tests_keep_their_outcomes(
    pytester: pytest.Pytester,
) -> None:
    """Selected, the plugin records every test, but a test that never used its database is
    never stopped, failed or excused: not by a fixture's name, not by words in a message."""
    _write_guest_suite(pytester)
    results = pytester.path / "results.json"
    with_plugin = _run(pytester, "--backend=sqlite-memory", f"--dbparity-results={results}")
    without = _run(pytester, "-p", "no:dbparity")
    assert _outcomes(with_plugin) == _outcomes(without)
    assert "Interrupted" not in with_plugin.stdout.str()
    assert "8 did not use the database" in with_plugin.stdout.str()
    assert "dbparity-active" in with_plugin.stdout.str()  # it was active


def test_the_entry_point_loads_no_database_code(pytester: pytest.Pytester) -> None:
    """Not selecting a backend costs an import of two small modules, not SQLAlchemy's."""
    pytester.makepyfile(
        test_imports="""
        import sys

        def test_nothing_of_ours_beyond_the_options():
            ours = sorted(name for name in sys.modules if name.startswith("dbparity"))
            assert ours == ["dbparity", "dbparity.plugin", "dbparity.plugin.options"], ours
        """
    )
    result = _run(pytester, "-p", "no:asyncio", "-p", "no:anyio")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
