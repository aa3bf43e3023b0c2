"""What a reader came for, taken out of the merged matrix: per stand-in, the cases that differ
from PostgreSQL, grouped by what the difference means to them (false confidence first), each
with its reason and what to do. Both reports open on this; the matrix comes after.

The verdict (whether a cell differs, and how) is decided in the merge (``Cell.difference``);
this module only selects, orders and folds, so the reports cannot judge a case differently from
``results.json``. Order: the stand-in most users run first (:data:`USUAL`); within a stand-in
and a consequence, the differences users report most often first (``Merged.reported``, from the
catalog's ledger), else the matrix's order; the parametrised variants of one behaviour
(``suite.name[param]``) folded into one :class:`Behaviour`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dbparity.report.merge import Cell, Column, Merged, Row
from dbparity.report.outcomes import CONSEQUENCES
from dbparity.report.reported import hits
from dbparity.report.verdicts import failure_text

#: Said when a difference has no declaration (so no remedy was written down).
UNDECLARED_REMEDY = (
    "not declared in the backend file: read the failure, then fix the case or declare the "
    "divergence with its reason and remedy"
)
#: Said when a divergence is declared without a remedy (a user's own backend files may).
NO_REMEDY = "no remedy declared: test this behaviour on PostgreSQL"
#: The stand-ins most users run, most common first: SQLite in memory is what SQLAlchemy's and
#: most frameworks' testing guides set up, a SQLite file the next step. Other stand-ins follow
#: in column order.
USUAL = ("sqlite-memory", "sqlite-file")


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
    #: User reports (the catalog's ledger) of the documented differences this case tests.
    reported: int = 0


@dataclass(frozen=True)
class Behaviour:
    """One row of a differences table: a case, or every variant of a parametrised case
    (``suite.name[a]``, ``suite.name[b]``) with the same consequence on one stand-in."""

    findings: tuple[Finding, ...]

    @property
    def first(self) -> Finding:
        return self.findings[0]

    @property
    def case(self) -> str:
        """The case id, or ``suite.name[a, b]`` for folded variants."""
        if len(self.findings) == 1:
            return self.first.case
        params = ", ".join(f.case.partition("[")[2].removesuffix("]") for f in self.findings)
        return f"{base_id(self.first.case)}[{params}]"

    @property
    def cases(self) -> list[str]:
        return [f.case for f in self.findings]

    @property
    def reported(self) -> int:
        return max(f.reported for f in self.findings)

    @property
    def reason(self) -> str:
        return _joined([f.reason for f in self.findings])

    @property
    def remedy(self) -> str:
        return _joined([f.remedy for f in self.findings])


def base_id(case_id: str) -> str:
    """``suite.name`` of ``suite.name[param]``."""
    return case_id.partition("[")[0]


def _joined(texts: list[str]) -> str:
    """One text when the variants agree (the usual case), else each distinct one once."""
    return " / ".join(dict.fromkeys(texts))


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

    def behaviours(self, consequence: str) -> list[Behaviour]:
        """The consequence's findings with parametrised variants folded into one row each,
        in the findings' order (a folded row sits where its first variant was)."""
        folded: dict[str, list[Finding]] = {}
        for finding in self.groups.get(consequence, []):
            folded.setdefault(base_id(finding.case), []).append(finding)
        return [Behaviour(tuple(found)) for found in folded.values()]


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
                            reported=hits(row.id, merged.reported),
                        )
                    )
        for key, findings in stand_in.groups.items():
            stand_in.groups[key] = _most_reported_first(findings)
        found.append(stand_in)
    return sorted(
        found,
        key=lambda s: (
            s.column.status != "run",
            s.column.backend.family in families,
            _usual_rank(s.column.backend.id),
            s.total == 0,
        ),
    )


def _usual_rank(backend_id: str) -> int:
    return USUAL.index(backend_id) if backend_id in USUAL else len(USUAL)


def _most_reported_first(findings: list[Finding]) -> list[Finding]:
    """Stable: equals keep the matrix's order; a behaviour's variants move together, by the
    most reported of them."""
    per_behaviour: dict[str, int] = {}
    for f in findings:
        base = base_id(f.case)
        per_behaviour[base] = max(per_behaviour.get(base, 0), f.reported)
    return sorted(findings, key=lambda f: -per_behaviour[base_id(f.case)])


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
