"""What a test is called in dbparity, and what its reports mean.

A case id is ``<suite>.<name>[param]``: the module name and the function name without their
``test_`` prefixes, so ``suites/test_filters.py::test_like_is_case_sensitive`` is
``filters.like_is_case_sensitive``. Outcomes are decided from pytest's reports of the three
phases (setup, call, teardown), so they come out the same in a single process and under xdist.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy.exc

from dbparity.divergences import ASSERTION, NO_RAISE, Divergence
from dbparity.results import Outcome

NOT_RUN_PREFIX = "dbparity: backend not run: "
XPASS_STRICT = "[XPASS(strict)]"
USER_PROPERTY = "dbparity_case"
#: A report property saying why a declared case's failure is not the declared one.
MISMATCH_PROPERTY = "dbparity_mismatch"
#: The declared divergence of an item, for the report hook.
DIVERGENCE = pytest.StashKey[Divergence]()


@dataclass(frozen=True)
class CaseName:
    id: str
    suite: str
    name: str
    title: str


def _strip_test(text: str) -> str:
    return text.removeprefix("test_")


def name_item(item: pytest.Item) -> CaseName:
    suite = suite_of_file(Path(str(item.path)))
    function = getattr(item, "originalname", None) or item.name.split("[", 1)[0]
    cls = getattr(item, "cls", None)
    name = _strip_test(function)
    if cls is not None:
        name = f"{cls.__name__}.{name}"
    callspec = getattr(item, "callspec", None)
    param = f"[{callspec.id}]" if callspec is not None else ""
    doc = getattr(getattr(item, "obj", None), "__doc__", None) or ""
    title = doc.strip().splitlines()[0].strip() if doc.strip() else ""
    return CaseName(id=f"{suite}.{name}{param}", suite=suite, name=f"{name}{param}", title=title)


def suite_of_file(path: Path) -> str:
    return _strip_test(path.stem)


def case_id_of_nodeid(nodeid: str) -> str:
    """The case id of a pytest node id (what :func:`name_item` gives for its item)."""
    path, _, rest = nodeid.partition("::")
    parts = rest.split("::")
    function, bracket, param = parts[-1].partition("[")
    name = ".".join([*parts[:-1], _strip_test(function)])
    return f"{suite_of_file(Path(path))}.{name}{bracket}{param}"


def unmatched_declaration(
    declared: Iterable[str], case_ids: Iterable[str], source: Path
) -> str | None:
    """The one-line error for a declaration naming no test of a suite that was collected
    (a typo in the name); None when every declaration of a collected suite names a test."""
    seen_ids: set[str] = set()
    seen_suites: set[str] = set()
    for case_id in case_ids:
        seen_ids.update({case_id, case_id.split("[", 1)[0]})
        seen_suites.add(case_id.split(".", 1)[0])
    for case_id in declared:
        suite = case_id.split(".", 1)[0]
        if suite in seen_suites and case_id not in seen_ids:
            return (
                f"{source}: key 'diverges.\"{case_id}\"' matches no test in suite {suite!r}; "
                "fix the case id or remove the entry"
            )
    return None


def suites_under(root: Path, patterns: Iterable[str], skip: Iterable[str]) -> set[str]:
    """The suite names of every test file under ``root`` (file names matching pytest's
    ``python_files`` patterns; directories matching ``norecursedirs`` skipped). Asked only when
    a run did not collect a declared suite, so that a run of one suite file still accepts
    declarations for the others, and a typo (``crdu.x``) is caught in any run."""
    patterns, skip = tuple(patterns), tuple(skip)
    found: set[str] = set()
    for _directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if not any(fnmatch(d, p) for p in skip)]
        found.update(
            suite_of_file(Path(name)) for name in files if any(fnmatch(name, p) for p in patterns)
        )
    return found


def case_properties(report: pytest.TestReport) -> dict[str, Any] | None:
    for key, value in report.user_properties:
        if key == USER_PROPERTY and isinstance(value, dict):
            return value
    return None


def _message(report: pytest.TestReport) -> str:
    """One line saying why: the skip reason or the exception's message."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        text = str(longrepr[2]).removeprefix("Skipped: ")
    else:
        crash = getattr(longrepr, "reprcrash", None)
        text = crash.message if crash is not None else str(longrepr or "")
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:300]


def _qualname(cls: type) -> str:
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def mismatch(divergence: Divergence, when: str, exc: BaseException) -> str | None:
    """Why a failure of a declared case is not the declared divergence; None when it is.

    Only the test body (the call phase) can diverge: a fixture that fails is a broken run. A
    DBAPIError whose connection was invalidated is a lost connection, never a divergence; and
    a raised DBAPIError matches only a declaration of exactly its class (never one of its bases
    such as DBAPIError or SQLAlchemyError), because a lost or refused connection raises
    OperationalError or InterfaceError, both subclasses of DBAPIError."""
    raised = _qualname(type(exc))
    said = f"declared to fail with {divergence.fails!r}"
    if divergence.sqlstate:
        said += f" (SQLSTATE {divergence.sqlstate})"
    if when != "call":
        return f"{said} in the test body, but its {when} failed ({raised})"
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return f"{said}, but the connection was lost ({raised})"
    if divergence.fails == NO_RAISE:
        if isinstance(exc, pytest.fail.Exception) and str(exc).startswith("DID NOT RAISE"):
            return None
        return f"{said} (pytest.raises saw no exception), but it raised {raised}"
    if divergence.fails == ASSERTION:
        if not isinstance(exc, AssertionError):
            return f"{said} (an assert of the test failed), but it raised {raised}"
        inside = _raised_inside_driver(exc)
        return f"{said}, but an assert inside {inside} failed" if inside else None
    expected = divergence.exception
    if expected is None:
        return None
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        code = driver_sqlstate(exc)
        if divergence.sqlstate and code is not None:  # the code decides, not the driver's class
            if code == divergence.sqlstate:
                return None
            return f"{said}, but it raised {raised} with SQLSTATE {code}"
        matched = type(exc) is expected
    else:
        matched = isinstance(exc, expected)
    return None if matched else f"{said}, but it raised {raised}"


def driver_sqlstate(exc: sqlalchemy.exc.DBAPIError) -> str | None:
    """The SQLSTATE the driver attached to a wrapped error, or None when it gave none (sqlite3).

    psycopg's errors carry it as ``sqlstate``; SQLAlchemy's asyncpg adapter copies asyncpg's
    onto its own error (``sqlstate``, ``pgcode``), whose ``__cause__`` is asyncpg's error."""
    orig = exc.orig
    for source in (orig, getattr(orig, "__cause__", None)):
        for attribute in ("sqlstate", "pgcode"):
            code = getattr(source, attribute, None)
            if isinstance(code, str) and code:
                return code
    return None


#: Packages whose own ``assert`` statements failing means a broken run, not the test's assert.
DRIVER_PACKAGES = ("sqlalchemy", "asyncpg", "psycopg", "aiosqlite", "sqlite3", "greenlet")


def _raised_inside_driver(exc: BaseException) -> str | None:
    """The package of the frame that raised, when it is SQLAlchemy or a driver."""
    package = raising_package(exc)
    return package if package in DRIVER_PACKAGES else None


def raising_package(exc: BaseException) -> str:
    """The top-level package of the innermost Python frame that raised ``exc`` ("" if none)."""
    tb = exc.__traceback__
    if tb is None:
        return ""
    while tb.tb_next is not None:
        tb = tb.tb_next
    return str(tb.tb_frame.f_globals.get("__name__", "")).split(".", 1)[0]


def enforce_declaration(
    item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport
) -> None:
    """Turn an expected failure that is not the declared divergence back into a failure, so
    it is recorded as ``unexpected-failure`` (or ``error`` outside the test body)."""
    divergence = item.stash.get(DIVERGENCE, None)
    if divergence is None or call.excinfo is None or not hasattr(report, "wasxfail"):
        return
    why = mismatch(divergence, call.when, call.excinfo.value)
    if why is None:
        return
    report.outcome = "failed"
    del report.wasxfail
    report.user_properties.append((MISMATCH_PROPERTY, why))


def render_briefly(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    """Have pytest render a declared case's expected failure as its one exception line, not a
    traceback. Called while the report is being made, before pytest renders the failure.

    An expected failure's traceback is never shown (pytest prints an xfail's reason, and the
    results file keeps the exception's class and message from the exception itself), yet
    rendering it, source lines and chained driver errors included, was three quarters of a
    SQLite conformance run. A failure that is not the declared one (it becomes an
    unexpected failure) and any run with ``--runxfail`` keep the full traceback."""
    divergence = item.stash.get(DIVERGENCE, None)
    excinfo = call.excinfo
    if divergence is None or excinfo is None or item.config.getoption("runxfail", False):
        return
    if mismatch(divergence, call.when, excinfo.value) is None:
        item.repr_failure = _exception_line  # type: ignore[method-assign]


def _exception_line(excinfo: pytest.ExceptionInfo[BaseException], style: str | None = None) -> str:
    return excinfo.exconly()


def _mismatch_of(report: pytest.TestReport) -> str | None:
    for key, value in report.user_properties:
        if key == MISMATCH_PROPERTY and isinstance(value, str):
            return value
    return None


def phase_outcome(report: pytest.TestReport, divergence: str | None) -> tuple[Outcome, str] | None:
    """What one phase's report says about the case; None when it says nothing new."""
    wasxfail = getattr(report, "wasxfail", None)
    if report.skipped:
        if wasxfail is not None:
            return "diverges", divergence or str(wasxfail)
        message = _message(report)
        if message.startswith(NOT_RUN_PREFIX):
            return "not-run", message.removeprefix(NOT_RUN_PREFIX)
        return "not-applicable", message
    if report.failed:
        if report.when == "call":
            text = str(report.longrepr or "")
            if divergence is not None and text.startswith(XPASS_STRICT):
                return (
                    "stale-expectation",
                    "declared to diverge but conformed; remove the divergence from the "
                    f"backend's TOML (it said: {divergence})",
                )
            why = _mismatch_of(report)
            message = _message(report)
            return "unexpected-failure", f"{why}: {message}" if why else message
        return "error", f"{report.when}: {_message(report)}"
    if report.when == "call":
        return "conforms", ""
    return None
