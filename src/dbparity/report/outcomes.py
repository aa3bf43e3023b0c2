"""The report's vocabulary: what each cell says, in words (no emoji: they render as empty boxes
where no emoji font is installed), what each kind of difference means to a user, and what
counts as agreeing with PostgreSQL. Markdown and HTML both read it, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from dbparity.results import Outcome

#: A merged cell is a case's outcome, or ``conflict`` when shards of one run disagree on it.
CellOutcome = Literal[Outcome, "conflict"]
CELL_OUTCOMES: tuple[str, ...] = get_args(CellOutcome)

#: Outcomes that count as checked but not agreeing, apart from ``diverges``.
FAILING: tuple[str, ...] = ("unexpected-failure", "stale-expectation", "error", "conflict")
#: Outcomes left out of the verdict's denominator: nothing was learnt about the behaviour.
UNCHECKED: tuple[str, ...] = ("not-applicable", "not-run")


#: Labels of the attention kinds that are not cell outcomes.
ATTENTION_LABELS = {
    "missing": "missing cases",
    "incomplete": "cut short",
    "no-database": "no database",
}


@dataclass(frozen=True)
class Term:
    word: str
    meaning: str
    #: A few words for where space is short (the first screen).
    short: str = ""

    @property
    def label(self) -> str:
        return self.word


TERMS: dict[str, Term] = {
    "conforms": Term("conforms", "behaves as PostgreSQL does"),
    "diverges": Term(
        "diverges",
        "differs from PostgreSQL exactly as the backend's TOML declares; the note gives the reason",
    ),
    "unexpected-failure": Term(
        "unexpected failure",
        "failed without a declared divergence: an undocumented difference or a broken case",
    ),
    "stale-expectation": Term(
        "stale expectation",
        "declared to diverge but behaved as PostgreSQL does: the TOML entry is out of date",
    ),
    "error": Term("error", "the case could not be run (setup or teardown failed)"),
    "conflict": Term(
        "conflict",
        "results files of the same backend and server version disagree on this case",
    ),
    "not-applicable": Term("not applicable", "skipped on this backend, with why"),
    "not-run": Term("not run", "no result: the backend did not run, or this case is missing"),
}
assert set(TERMS) == set(CELL_OUTCOMES)

#: A user's tests state what the application does, not what PostgreSQL does: their outcomes
#: in plain words (a failure on PostgreSQL is the application's outcome, not "unexpected").
APPLICATION_TERMS: dict[str, Term] = {
    **TERMS,
    "conforms": Term("passes", "the test passed"),
    "diverges": Term(
        "fails as declared",
        "failed the way your backend file declares: a known and accepted difference",
    ),
    "unexpected-failure": Term("fails", "the test failed"),
    "stale-expectation": Term(
        "passes (declared to fail)", "passed although your backend file declares it fails"
    ),
    "not-applicable": Term("skipped", "skipped on this backend, with why"),
}


def terms_for(kind: str) -> dict[str, Term]:
    """The words for cell outcomes in a report on this kind of suite."""
    return APPLICATION_TERMS if kind == "application" else TERMS


VERDICT_RULE = (
    "The verdict counts a behaviour as agreeing when its outcome on the backend is the "
    "reference's outcome (PostgreSQL's) on the same case: both pass, or both fail. Where the "
    "outcomes differ it counts against. Cases skipped, errored, not run or in conflict on either "
    "side, and tests that did not use the database, are left out of the denominator, because "
    "nothing was learnt about them. A case that fails on every backend is a broken test, not "
    "a difference."
)


#: What a difference from PostgreSQL means to a user, in the order the reports list them: the
#: dangerous kind first. Keys are the consequences of divergence declarations.
CONSEQUENCES: dict[str, Term] = {
    "false-confidence": Term(
        "false confidence",
        "the stand-in accepts what PostgreSQL rejects: your tests pass, production fails",
        "passes here, fails on PostgreSQL",
    ),
    "false-alarm": Term(
        "false alarm",
        "the stand-in rejects what PostgreSQL accepts: a test fails that would pass in production",
        "fails here, passes on PostgreSQL",
    ),
    "silent-drift": Term(
        "silent drift",
        "both succeed with different results: your tests check what production does not return",
        "both succeed, with different results",
    ),
}
