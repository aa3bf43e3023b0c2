"""The merged matrix: columns (a backend on a server version), rows (a case), cells, and what
needs attention. Built by :mod:`dbparity.report.merge`, judged by :mod:`dbparity.report.verdicts`,
read by every renderer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dbparity.report import verdicts
from dbparity.report.outcomes import FAILING, CellOutcome
from dbparity.results import UNFINISHED, BackendInfo

MISSING_BACKEND = "no results file for this backend among the inputs"
MISSING_CASE = "no result for this case in this backend's results (a shard missing?)"
NO_REFERENCE = "not compared: no PostgreSQL (reference) run among the inputs"
NO_DATABASE = "no test used the database: wire your fixtures to dbparity's session"


@dataclass(frozen=True)
class Shard:
    """One results file that went into a column, kept for provenance."""

    source: str
    provisioner: str
    started_at: str
    duration_s: float
    workers: int
    python: str
    platform: str
    machine: str
    exit_status: int = 0


#: pytest exit statuses after which a run's cases are partial (UNFINISHED: the placeholder a
#: run writes before it starts, still there because the run was killed).
CUT_SHORT = {
    2: "interrupted",
    3: "internal error",
    UNFINISHED: "killed before it wrote its results",
}


@dataclass
class Column:
    key: str
    backend: BackendInfo
    status: str
    reason: str
    server_version: str
    server_settings: dict[str, str]
    driver_versions: dict[str, str]
    shards: list[Shard] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    #: Database-using cases compared with the reference, and those that agree with it.
    compared: int = 0
    agreeing: int = 0
    #: Cases that did not use the database (left out of the verdict).
    no_database: int = 0
    #: Database cases that errored because the run's server had died (not compared).
    gone: int = 0
    suite_kind: str = "conformance"
    #: Whether a reference (PostgreSQL) column ran among the inputs.
    reference_ran: bool = True

    @property
    def title(self) -> str:
        """'PostgreSQL 15.18 / asyncpg', or the backend's label when it did not run."""
        if self.status != "run":
            return f"{self.backend.label}: not run"
        server = self.server_version or "unknown server version"
        return f"{server} / {self.backend.driver}"

    @property
    def checked(self) -> int:
        return self.compared

    @property
    def failing(self) -> int:
        return sum(self.counts.get(outcome, 0) for outcome in FAILING)

    @property
    def agrees(self) -> int:
        return self.agreeing

    @property
    def partial(self) -> str:
        """Why this column's results are partial (a run cut short), or ""."""
        return next(
            (CUT_SHORT[s.exit_status] for s in self.shards if s.exit_status in CUT_SHORT), ""
        )

    @property
    def verdict(self) -> str:
        if self.status != "run":
            return f"not run: {self.reason}"
        if self.partial:
            return f"PARTIAL RUN ({self.partial}): {self._verdict()}"
        return self._verdict()

    def _verdict(self) -> str:
        if self.no_database and not sum(self.counts.values()):
            return NO_DATABASE
        if self.checked == 0 and not self.reference_ran and any(self.counts.values()):
            return NO_REFERENCE
        if self.checked == 0:
            return "no behaviour checked"
        if self.backend.reference:
            what = "tests pass" if self.suite_kind == "application" else "cases hold as written"
            apart = self._apart()
            return f"reference: {self.agrees} of {self.checked} {what}{apart}"
        apart = self._apart()
        return f"agrees with PostgreSQL on {self.agrees} of {self.checked} behaviours{apart}"

    def _apart(self) -> str:
        apart = []
        if self.no_database:
            apart.append(f"{tests(self.no_database)} without the database left out")
        if self.gone:
            apart.append(f"{tests(self.gone)} not compared: the server was gone")
        return f" ({'; '.join(apart)})" if apart else ""


@dataclass(frozen=True)
class Claim:
    """What one shard said about a conflicting case."""

    source: str
    outcome: str
    reason: str


@dataclass
class Cell:
    outcome: CellOutcome
    reason: str = ""
    claims: list[Claim] = field(default_factory=list)
    #: {type, message} of a failed case, from the results file.
    failure: dict[str, str] | None = None
    #: The backend file's declaration for this case, as the results file carries it.
    declared: dict[str, str | None] | None = None
    used_database: bool = True
    #: Whether the outcome agrees with the reference's; None when not compared (the reference
    #: cell itself, a side that did not check it, a case without the database).
    agrees: bool | None = None
    #: None, or what the difference means: see :mod:`dbparity.report.verdicts`.
    difference: verdicts.Difference | None = None
    #: A declaration in a user's suite whose difference no longer shows.
    stale: bool = False
    #: Shadow mode: the case's statements compared on PostgreSQL (dbparity.shadow.findings).
    statements: dict[str, Any] | None = None


@dataclass
class Row:
    id: str
    suite: str
    name: str
    title: str
    cells: dict[str, Cell] = field(default_factory=dict)
    #: False when no backend's run of this case touched the database.
    used_database: bool = True


@dataclass(frozen=True)
class Attention:
    """Something a reader must see before the matrix."""

    kind: str
    column: str
    case: str
    reason: str


@dataclass
class Merged:
    columns: list[Column]
    rows: list[Row]
    attention: list[Attention]
    #: What the cases assert: "conformance" (PostgreSQL's behaviour) or "application".
    suite_kind: str = "conformance"
    #: User reports per case id as the catalog names them (see dbparity.report.reported):
    #: the order of each stand-in's differences. Empty without a catalog: the matrix's order.
    reported: dict[str, int] = field(default_factory=dict)

    def differing(self) -> list[verdicts.Differing]:
        """Cases whose outcome on a stand-in differs from the reference's, for the report's
        "Differs from PostgreSQL" section."""
        return verdicts.differing(self.columns, self.rows)

    def broken(self) -> list[Row]:
        """Database tests that fail on every backend that ran them: broken, not a difference."""
        return [
            row
            for row in self.rows
            if any(cell.difference == "broken" for cell in row.cells.values())
            and all(verdicts.side(cell.outcome) in ("fail", None) for cell in row.cells.values())
        ]

    @property
    def suites(self) -> list[str]:
        return sorted({row.suite for row in self.rows})

    @property
    def reference(self) -> list[Column]:
        return [c for c in self.columns if c.backend.reference]

    def rows_of(self, suite: str) -> list[Row]:
        return [row for row in self.rows if row.suite == suite]


def tests(count: int) -> str:
    """'1 test', '3 tests'."""
    return f"{count} test" + "s" * (count != 1)
