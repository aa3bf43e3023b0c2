"""Setup mistakes, caught before any test runs and said once.

A wrong event-loop scope, pytest-asyncio off or in strict mode, or a rootdir
that an option's value moved would otherwise show up as one failure per database test, each
looking like a backend difference. Each check here stops the run with one line saying what to
change, in the syntax of the user's own configuration file.
"""

from __future__ import annotations

import inspect
import itertools
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from dbparity.plugin.database_use import DATABASE_FIXTURES, uses_database

#: Options whose value is a path: given as ``--opt VALUE`` (space form), pytest's first look at
#: the command line, made before any plugin can register them, takes VALUE for a test path.
PATH_OPTIONS = ("--dbparity-results", "--dbparity-backends")
_SESSION_LOOP = {
    "asyncio_default_fixture_loop_scope": "session",
    "asyncio_default_test_loop_scope": "session",
}


def where_to_add(config: pytest.Config, settings: Mapping[str, str]) -> str:
    """'add to pyproject.toml under [tool.pytest.ini_options]: a = "b", c = "d"', in the
    syntax of the configuration file pytest uses here (or a new pytest.ini)."""
    path = config.inipath
    if path is not None and path.name == "pyproject.toml":
        lines = ", ".join(f'{k} = "{v}"' for k, v in settings.items())
        return f"add to {path} under [tool.pytest.ini_options]: {lines}"
    lines = ", ".join(f"{k} = {v}" for k, v in settings.items())
    section = "[tool:pytest]" if path is not None and path.name == "setup.cfg" else "[pytest]"
    return f"add to {path or 'a pytest.ini beside your tests'} under {section}: {lines}"


def check_rootdir(config: pytest.Config) -> None:
    """Stop when a path option's value, given in space form, moved pytest's rootdir or its
    configuration file: the project's settings (asyncio mode, loop scopes) would be lost."""
    if hasattr(config, "workerinput"):
        return  # the controller checked its own command line
    args = list(config.invocation_params.args)
    spaced = [
        (option, value)
        for option, value in itertools.pairwise(args)
        if option in PATH_OPTIONS and Path(config.invocation_params.dir, value).exists()
    ]
    if not spaced:
        return
    found = _setup_without(config)
    if found is None or found == (config.rootpath, config.inipath):
        return
    option, value = spaced[0]
    raise pytest.UsageError(
        f"dbparity: pytest took the value of {option} for a test path, which moved its rootdir "
        f"to {config.rootpath} (configuration: {config.inipath or 'none'}) instead of "
        f"{found[0]} ({found[1] or 'none'}); write {option}={value} (with '=')"
    )


def _setup_without(config: pytest.Config) -> tuple[Path, Path | None] | None:
    """pytest's rootdir and configuration file for the command line as the plugin reads it
    (path options' values are not test paths); None if this pytest cannot say."""
    try:
        from _pytest.config.findpaths import determine_setup
    except ImportError:  # pragma: no cover - a pytest without it
        return None
    ns = config.known_args_namespace
    offered: dict[str, Any] = {
        "inifile": ns.inifilename,
        "override_ini": ns.override_ini,
        "args": list(ns.file_or_dir),
        "rootdir_cmd_arg": ns.rootdir or None,
        "invocation_dir": config.invocation_params.dir,
    }
    accepted = inspect.signature(determine_setup).parameters
    try:
        found = determine_setup(**{k: v for k, v in offered.items() if k in accepted})
    except (TypeError, pytest.UsageError):
        return None
    return found[0], found[1]


#: How an xdist worker hands its setup error to the controller (workeroutput key).
WORKER_ERROR_KEY = "dbparity_setup_error"
WORKER_SHADOWED_KEY = "dbparity_shadowed_fixtures"
_ERRORS = pytest.StashKey[list[str]]()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """After deselection: the database tests that will run, checked once for the lot. An xdist
    worker cannot stop the run with a usage error (xdist would crash on it), so it runs
    nothing and hands the line to the controller, which says it once."""
    try:
        check_items(config, items)
    except pytest.UsageError as exc:
        if not hasattr(config, "workerinput"):
            raise
        config.workeroutput[WORKER_ERROR_KEY] = str(exc)  # type: ignore[attr-defined]
        items[:] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: collect the workers' setup errors."""
    output = getattr(node, "workeroutput", {})
    said = node.config.stash.setdefault(SHADOWED_KEY, [])
    said += [line for line in output.get(WORKER_SHADOWED_KEY, []) if line not in said]
    message = output.get(WORKER_ERROR_KEY)
    if message:
        errors = node.config.stash.setdefault(_ERRORS, [])
        if message not in errors:
            errors.append(message)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """xdist controller: a worker's setup error is the run's one usage error."""
    for message in session.config.stash.get(_ERRORS, []):
        sys.stderr.write(f"ERROR: {message}\n")
        session.exitstatus = pytest.ExitCode.USAGE_ERROR


def check_items(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Only registered once a backend is selected; judges only the tests that get dbparity's
    database fixtures (a project's own fixtures are the project's business)."""
    database = [item for item in items if uses_database(item)]
    if database:
        check_anyio(database)
        check_asyncio(config, database)
    shadowed = shadowed_fixtures(items)
    config.stash[SHADOWED_KEY] = shadowed
    if hasattr(config, "workerinput"):  # the controller says it (pytest_testnodedown)
        config.workeroutput[WORKER_SHADOWED_KEY] = shadowed  # type: ignore[attr-defined]


#: Fixture mode: the project's own fixtures that replace dbparity's, as one line each.
SHADOWED_KEY = pytest.StashKey[list[str]]()


def shadowed_fixtures(items: list[pytest.Item]) -> list[str]:
    """'your fixture 'session' (tests/conftest.py:12) replaces dbparity's in 8 tests' per
    project fixture that takes a name of dbparity's without wrapping it."""
    found: dict[str, tuple[str, int]] = {}
    for item in items:
        for name, defs in _fixturedefs(item).items():
            if name not in DATABASE_FIXTURES or not defs:
                continue
            own = defs[-1]
            func = getattr(own.func, "__func__", own.func)
            if str(getattr(func, "__module__", "")).startswith("dbparity."):
                continue
            if name in own.argnames:
                continue  # wraps dbparity's: still dbparity's database
            where, count = found.get(name, (_location(func), 0))
            found[name] = (where, count + 1)
    return [
        f"your fixture {name!r} ({where}) replaces dbparity's in {count} tests, so they run on "
        "your database, not the backend's: use URL mode (dbparity run --env NAME=FORM), or "
        "rename it"
        for name, (where, count) in sorted(found.items())
    ]


def _location(func: Any) -> str:
    code = getattr(func, "__code__", None)
    if code is None:
        return "?"
    try:
        path = Path(code.co_filename).relative_to(Path.cwd())
    except ValueError:
        path = Path(code.co_filename)
    return f"{path}:{code.co_firstlineno}"


def check_anyio(items: list[pytest.Item]) -> None:
    """anyio runs a marked test on a loop of its own; dbparity's fixture-mode engine lives on
    pytest-asyncio's session loop, and a connection cannot cross loops."""
    marked = [item for item in items if item.get_closest_marker("anyio") is not None]
    if marked:
        raise pytest.UsageError(
            f"dbparity: {len(marked)} database tests run on anyio's own loop "
            f"(@pytest.mark.anyio, e.g. {marked[0].nodeid}), but dbparity's engine, connection "
            "and session live on pytest-asyncio's session loop; run the suite in URL mode "
            "(dbparity run --env DATABASE_URL=async), where your own anyio fixtures connect"
        )


def check_asyncio(config: pytest.Config, items: list[pytest.Item]) -> None:
    """pytest-asyncio on, in auto mode or with markers, and every database test and async
    fixture on the session's event loop, where dbparity's engine lives."""
    async_items = [item for item in items if _is_async(getattr(item, "obj", None))]
    if not async_items:
        return
    if not config.pluginmanager.hasplugin("asyncio"):
        raise pytest.UsageError(
            "dbparity: async database tests need pytest-asyncio, which is not active here "
            "(remove -p no:asyncio, or install pytest-asyncio>=1.0)"
        )
    unmarked = [item for item in async_items if item.get_closest_marker("asyncio") is None]
    unmarked_fixtures = sorted(
        {name for item in async_items for name, fd in _user_async_fixtures(item) if not _forced(fd)}
    )
    if unmarked or (unmarked_fixtures and _mode(config) == "strict"):
        example = unmarked[0].nodeid if unmarked else f"fixture {unmarked_fixtures[0]!r}"
        raise pytest.UsageError(
            f"dbparity: pytest-asyncio is in strict mode and does not run async tests and "
            f"fixtures without its markers (e.g. {example}); "
            + where_to_add(config, {"asyncio_mode": "auto", **_SESSION_LOOP})
        )
    wrong = [item for item in async_items if _test_loop_scope(config, item) != "session"]
    wrong_fixtures = sorted(
        {
            name
            for item in async_items
            for name, fd in _user_async_fixtures(item)
            if _fixture_loop_scope(config, fd) != "session" and _needs_database(item, fd)
        }
    )
    if wrong or wrong_fixtures:
        example = wrong[0].nodeid if wrong else f"fixture {wrong_fixtures[0]!r}"
        count = f"{len(wrong)} database tests" if wrong else f"{len(wrong_fixtures)} fixtures"
        raise pytest.UsageError(
            f"dbparity: {count} run on another event loop than the session's, where dbparity's "
            f"engine lives (e.g. {example}; asyncpg then fails with 'attached to a different "
            "loop'); " + where_to_add(config, _SESSION_LOOP)
        )


def _is_async(func: Any) -> bool:
    return inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)


def _mode(config: pytest.Config) -> str:
    return str(config.getoption("asyncio_mode", None) or config.getini("asyncio_mode") or "strict")


def _fixturedefs(item: pytest.Item) -> Mapping[str, Any]:
    info = getattr(item, "_fixtureinfo", None)
    return getattr(info, "name2fixturedefs", {}) if info is not None else {}


def _user_async_fixtures(item: pytest.Item) -> Iterable[tuple[str, Any]]:
    """The async fixtures of the test's closure that are not dbparity's own."""
    for name, defs in _fixturedefs(item).items():
        if not defs:
            continue
        fd = defs[-1]
        func = getattr(fd.func, "__func__", fd.func)
        if _is_async(func) and not getattr(func, "__module__", "").startswith("dbparity."):
            yield name, fd


def _forced(fd: Any) -> bool:
    func = getattr(fd.func, "__func__", fd.func)
    return bool(getattr(func, "_force_asyncio_fixture", False))


def _test_loop_scope(config: pytest.Config, item: pytest.Item) -> str:
    marker = item.get_closest_marker("asyncio")
    scope = marker.kwargs.get("loop_scope") or marker.kwargs.get("scope") if marker else None
    return str(scope or config.getini("asyncio_default_test_loop_scope") or "function")


def _fixture_loop_scope(config: pytest.Config, fd: Any) -> str:
    """As pytest-asyncio decides it: the fixture's own loop_scope, else the ini default
    (where "match" means the fixture's scope), else the fixture's scope."""
    func = getattr(fd.func, "__func__", fd.func)
    default = config.getini("asyncio_default_fixture_loop_scope")
    if default == "match":
        default = fd.scope
    return str(getattr(func, "_loop_scope", None) or default or fd.scope)


def _needs_database(item: pytest.Item, fd: Any) -> bool:
    """Whether a fixture depends, directly or not, on one of dbparity's database fixtures."""
    defs = _fixturedefs(item)
    seen: set[str] = set()
    todo = list(fd.argnames)
    while todo:
        name = todo.pop()
        if name in DATABASE_FIXTURES:
            return True
        if name in seen or not defs.get(name):
            continue
        seen.add(name)
        todo.extend(defs[name][-1].argnames)
    return False
