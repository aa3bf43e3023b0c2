"""What a reader came for, taken out of the merged matrix: per stand-in, the cases that differ
from PostgreSQL, grouped by what the difference means to them (false confidence first), each
with its reason and what to do. Both reports open on this; the matrix comes after.

The verdict (whether a cell differs, and how) is decided in the merge (``Cell.difference``);
this module only selects and orders, so the reports cannot judge a case differently from
``results.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dbparity.report.merge import Cell, Column, Merged, Row
from dbparity.report.outcomes import CONSEQUENCES
from dbparity.report.verdicts import failure_text

#: Said when a difference has no declaration (so no remedy was written down).
UNDECLARED_REMEDY = (
    "not declared in the backend file: read the failure, then fix the case or declare the "
    "divergence with its reason and remedy"
)
#: Said when a divergence is declared without a remedy (a user's own backend files may).
NO_REMEDY = "no remedy declared: test this behaviour on PostgreSQL"


@dataclass(frozen=True)
class Finding:
    """One case that behaves differently on one stand-in."""

    case: str
    title: str
    suite: str
    consequence: str
    outcome: str
    reason: str
    remedy: str
    declared: bool


@dataclass
class StandIn:
    """One non-reference column and its differences, by consequence."""

    column: Column
    groups: dict[str, list[Finding]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(len(found) for found in self.groups.values())

    def count(self, consequence: str) -> int:
        return len(self.groups.get(consequence, []))


def anchor(case_id: str) -> str:
    """The id of a case's row in both reports, so a difference can be linked from an issue:
    ``case-`` and the case id, with anything but letters, digits, ``.``, ``_`` and ``-`` made
    a ``-`` (brackets and spaces of parametrize ids would need escaping in a URL)."""
    return "case-" + re.sub(r"[^A-Za-z0-9._-]+", "-", case_id).strip("-")


def stand_ins(merged: Merged) -> list[StandIn]:
    """Every column that is not the reference, with its differences: real stand-ins (another
    family than the reference's, such as SQLite) before other drivers and server versions of
    PostgreSQL, those with differences before those without, and those that did not run last
    (each in column order)."""
    references = [c for c in merged.columns if c.backend.reference and c.status == "run"]
    families = {c.backend.family for c in references}
    found = []
    for column in merged.columns:
        if column.backend.reference:
            continue
        stand_in = StandIn(column, {key: [] for key in CONSEQUENCES})
        if column.status == "run":
            for row in merged.rows:
                cell = row.cells[column.key]
                consequence = difference(cell)
                if consequence in CONSEQUENCES:
                    stand_in.groups[consequence].append(
                        Finding(
                            case=row.id,
                            title=row.title,
                            suite=row.suite,
                            consequence=consequence,
                            outcome=cell.outcome,
                            reason=_reason(cell, _failing(row, references)),
                            remedy=_remedy(cell),
                            declared=bool(_declared(cell)) and cell.outcome == "diverges",
                        )
                    )
        found.append(stand_in)
    return sorted(
        found,
        key=lambda s: (s.column.status != "run", s.column.backend.family in families, s.total == 0),
    )


def difference(cell: Cell) -> str | None:
    """The merge's verdict on a cell: a consequence, ``one-sided``, ``broken`` or None."""
    return cell.difference


def _declared(cell: Cell) -> dict[str, str]:
    return {k: v for k, v in (cell.declared or {}).items() if v}


def _failing(row: Row, references: list[Column]) -> Cell | None:
    """The reference's cell of a case when it did not pass there, for its error."""
    return next(
        (row.cells[r.key] for r in references if row.cells[r.key].outcome != "conforms"), None
    )


def _remedy(cell: Cell) -> str:
    if cell.outcome != "diverges":
        return UNDECLARED_REMEDY
    return _declared(cell).get("remedy") or NO_REMEDY


def _reason(cell: Cell, reference: Cell | None) -> str:
    """The declared reason when the case diverged as declared; else what the run said (the
    failure, or the reason recorded with the outcome); for a test that passes here, what it
    did on PostgreSQL (in a user's suite, PostgreSQL's error is the news)."""
    declared = _declared(cell)
    if cell.outcome == "diverges" and declared.get("reason"):
        return declared["reason"]
    if cell.failure:
        return failure_text(cell)
    if cell.outcome in ("conforms", "stale-expectation") and reference is not None:
        return f"passes here; on PostgreSQL: {failure_text(reference) or 'fails'}"
    return cell.reason or "passes here; fails on PostgreSQL"
