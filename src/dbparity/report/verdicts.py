"""Verdicts: does a backend's outcome of a case agree with the reference's outcome?

One rule for both kinds of suite. Each cell is reduced to what the test did (passed, failed,
was skipped, errored, or is unknown) and compared with what the same case did on the reference
(PostgreSQL):

- both did the same thing: the cell *agrees* (a test that fails everywhere agrees, and is
  marked ``broken``: a broken test, never a difference);
- the stand-in passed where the reference failed: ``false-confidence`` (the user's tests pass,
  production fails);
- the stand-in failed where the reference passed: ``false-alarm``, or, in dbparity's own
  conformance suites where a failure means "the stand-in does something else", what the failure
  says: a ``pytest.raises`` that saw nothing is ``false-confidence``, a failed assert is
  ``silent-drift``;
- skipped or errored on one side only: ``one-sided``.

A case that errored because its run's server had died (a broken run) gets no verdict at all,
on either side: it says nothing about the backend, and is shown under Needs attention only.

When the case failed as its backend file declares, the declared consequence is the difference.
In a user's (``application``) suite a declaration means "known and accepted": a declared case
whose outcome agrees with the reference is ``stale`` (the difference no longer shows), judged
here across backends rather than per run.

A conformance case states PostgreSQL's behaviour, so when no reference run checked it, it is
compared with what it states (a pass), and when the reference fails it the case itself is
broken (no verdict). An application test states nothing about PostgreSQL: no reference, no
verdict. Cases that did not use the database get no verdict either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from dbparity.results import SERVER_GONE

if TYPE_CHECKING:
    from dbparity.report.model import Cell, Column, Row

Side = Literal["pass", "fail", "skip", "error"]
Difference = Literal["false-confidence", "false-alarm", "silent-drift", "one-sided", "broken"]
DIFFERENCES: tuple[Difference, ...] = (
    "false-confidence",
    "false-alarm",
    "silent-drift",
    "one-sided",
    "broken",
)

_SIDES: dict[str, Side] = {
    "conforms": "pass",
    "stale-expectation": "pass",  # a strict expected failure that passed: the test passed
    "diverges": "fail",
    "unexpected-failure": "fail",
    "not-applicable": "skip",
    "error": "error",
}
_NO_RAISE = "DID NOT RAISE"


def side(outcome: str) -> Side | None:
    """What the test did; None when nothing is known (not run, shards in conflict)."""
    return _SIDES.get(outcome)


def server_gone(cell: Cell) -> bool:
    """Whether the case errored because its run's server had died: no outcome of the backend."""
    return cell.outcome == "error" and SERVER_GONE in cell.reason


def reference_side(cells: Iterable[Cell], kind: str) -> Side | None:
    """The reference's outcome of a case: what every reference run that checked it did. None
    when they disagree among themselves (then no stand-in can be judged against them)."""
    sides = {side(cell.outcome) for cell in cells if not server_gone(cell)} - {None}
    if len(sides) == 1:
        return sides.pop()
    if not sides and kind == "conformance":
        return "pass"
    return None


def judge(cell: Cell, reference: Side | None, kind: str) -> None:
    """Set ``cell.agrees``, ``cell.difference`` and ``cell.stale`` against the reference."""
    mine = side(cell.outcome)
    cell.agrees, cell.difference, cell.stale = None, None, False
    if not cell.used_database or mine is None or reference is None or server_gone(cell):
        return
    unchecked = {"skip", "error"}
    if mine in unchecked or reference in unchecked:
        if (mine in unchecked) != (reference in unchecked):
            cell.difference = "one-sided"
        return
    if kind == "conformance" and reference == "fail":
        cell.difference = "broken"  # the case does not state what PostgreSQL does
        return
    cell.agrees = mine == reference
    declared = cell.declared or {}
    if cell.agrees:
        if mine == "fail":
            cell.difference = "broken"
        if declared and kind == "application" and declared.get("consequence") != "silent-drift":
            cell.stale = True
        return
    consequence = declared.get("consequence") if cell.outcome == "diverges" else None
    if consequence:
        cell.difference = consequence  # type: ignore[assignment]
    elif mine == "pass":
        cell.difference = "false-confidence"
    elif kind == "conformance":
        cell.difference = _from_failure(cell)
    else:
        cell.difference = "false-alarm"


def _from_failure(cell: Cell) -> Difference:
    """A conformance case asserts PostgreSQL's behaviour; how the stand-in's run failed says
    what the difference means to a user whose tests rely on it."""
    failure = cell.failure or {}
    message = failure.get("message", "") or cell.reason
    if _NO_RAISE in message:
        return "false-confidence"
    if failure.get("type", "").endswith("AssertionError") or cell.reason.startswith(
        "AssertionError"
    ):
        return "silent-drift"
    return "false-alarm"


def apply(columns: list[Column], rows: list[Row], kind: str) -> None:
    """Judge every non-reference cell of every row. In a user's suite a difference may also be
    declared in the reference's file (a false confidence: the test fails on PostgreSQL, as
    declared); such a declaration is stale when no stand-in differs on the case any more."""
    references = [c for c in columns if c.backend.reference and c.status == "run"]
    for row in rows:
        ref = reference_side((row.cells[c.key] for c in references), kind)
        judged = []
        for column in columns:
            cell = row.cells[column.key]
            if column.backend.reference:
                cell.agrees, cell.difference, cell.stale = None, None, False
            else:
                judge(cell, ref, kind)
                judged.append(cell)
        if kind != "application":
            continue
        compared = [cell for cell in judged if cell.agrees is not None]
        for column in references:
            cell = row.cells[column.key]
            consequence = (cell.declared or {}).get("consequence")
            if cell.declared and consequence != "silent-drift" and compared:
                cell.stale = all(other.agrees for other in compared)


@dataclass(frozen=True)
class Differing:
    """One case that behaves differently on one stand-in column, for the report's first
    section: what the stand-in did and what the reference did, with their errors."""

    case: str
    title: str
    column: str
    difference: str
    outcome: str
    reason: str
    reference_outcome: str
    reference_reason: str
    declared_reason: str


#: The groups of "Differs from PostgreSQL", in the order a user should read them.
GROUPS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "Passes here, fails on PostgreSQL (false confidence)",
        ("false-confidence",),
        "your tests pass on the stand-in but the same code fails in production",
    ),
    (
        "Fails here only (false alarm)",
        ("false-alarm", "silent-drift"),
        # Neutral on purpose: the stand-in may reject what PostgreSQL accepts, or accept what
        # a test expects refused (an orphan row with SQLite's foreign keys off).
        "a test that passes on PostgreSQL fails on the stand-in, which behaves otherwise "
        "(refuses, accepts or computes what PostgreSQL does not)",
    ),
    (
        "Skipped or errored on one side only",
        ("one-sided",),
        "checked on one side only: no verdict, look at why",
    ),
)


def behave_differently(found: Iterable[Differing]) -> set[str]:
    """The cases of the headline "N tests behave differently": a pass on one side and a fail on
    the other. A case checked on one side only is listed apart, never counted."""
    return {d.case for d in found if d.difference != "one-sided"}


def differing(columns: list[Column], rows: list[Row]) -> list[Differing]:
    """Every (case, stand-in column) whose outcome differs from the reference's, with the
    reference's own wording of its outcome (its error, for a false confidence)."""
    references = [c for c in columns if c.backend.reference and c.status == "run"]
    found = []
    for row in rows:
        ref_cells = [row.cells[c.key] for c in references]
        ref = next(
            (c for c in ref_cells if side(c.outcome) is not None and not server_gone(c)), None
        )
        ref_declared = next((str(c.declared.get("reason")) for c in ref_cells if c.declared), "")
        for column in columns:
            cell = row.cells[column.key]
            if column.backend.reference or cell.difference in (None, "broken"):
                continue
            found.append(
                Differing(
                    case=row.id,
                    title=row.title,
                    column=column.key,
                    difference=cell.difference or "",
                    outcome=cell.outcome,
                    reason=failure_text(cell),
                    reference_outcome=ref.outcome if ref else "",
                    reference_reason=failure_text(ref) if ref else "",
                    declared_reason=str((cell.declared or {}).get("reason") or "") or ref_declared,
                )
            )
    return found


def failure_text(cell: Cell) -> str:
    """'type: message' of a failed cell, else its reason."""
    if cell.failure:
        return f"{cell.failure.get('type', '')}: {cell.failure.get('message', '')}".strip(": ")
    return cell.reason
