"""What a test is called in dbparity, and what its reports mean.

A case id is ``<suite>.<name>[param]``: the module name and the function name without their
``test_`` prefixes, so ``suites/test_filters.py::test_like_is_case_sensitive`` is
``filters.like_is_case_sensitive``. Outcomes are decided from pytest's reports of the three
phases (setup, call, teardown), so they come out the same in a single process and under xdist.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dbparity.results import Outcome

NOT_RUN_PREFIX = "dbparity: backend not run: "
XPASS_STRICT = "[XPASS(strict)]"
USER_PROPERTY = "dbparity_case"


@dataclass(frozen=True)
class CaseName:
    id: str
    suite: str
    name: str
    title: str


def _strip_test(text: str) -> str:
    return text.removeprefix("test_")


def name_item(item: pytest.Item) -> CaseName:
    suite = _strip_test(Path(str(item.path)).stem)
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
            return "unexpected-failure", _message(report)
        return "error", f"{report.when}: {_message(report)}"
    if report.when == "call":
        return "conforms", ""
    return None
