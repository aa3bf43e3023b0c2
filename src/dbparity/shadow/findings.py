"""What the shadow found in one test: the statements that differ, and how far it compared.

The per-test record goes into the results file as a case's ``statements`` (see
:mod:`dbparity.results`): ``{"shadow", "compared", "not_compared", "differences",
"desynchronised_at", "problem"}``. A test whose every compared statement agreed, and that was
never desynchronised, *agrees at the statement level*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dbparity.redact import redact
from dbparity.shadow.outcome import Difference, Outcome
from dbparity.shadow.statements import shown_parameters

#: Differences kept per test (a loop of differing statements would otherwise flood the file).
MAX_DIFFERENCES = 20


@dataclass
class StatementInfo:
    """The stand-in's statement as it ran, kept raw until it is shown."""

    text: str
    parameters: Any
    names: tuple[str, ...]
    location: str
    write: bool
    ordered: bool
    limited: bool
    #: Result columns whose type writes a new value each time (rule ``unstable-bind``).
    left_out: frozenset[int] = frozenset()


@dataclass
class TestShadow:
    shadow: str
    compared: int = 0
    not_compared: int = 0
    differences: list[dict[str, Any]] = field(default_factory=list)
    #: Index (among compared statements, from 1) of the statement that desynchronised the test.
    desynchronised_at: int | None = None
    #: The shadow itself failed (a one-line reason); what was compared before still stands.
    problem: str = ""
    #: Why the first statement that could not be run on PostgreSQL could not (compilation).
    not_compared_reason: str = ""
    wrote: bool = False
    more: int = 0

    @property
    def desynchronised(self) -> bool:
        return self.desynchronised_at is not None

    def add(
        self, info: StatementInfo, stand_in: Outcome, shadow: Outcome, diff: Difference
    ) -> None:
        if diff.desynchronises and self.desynchronised_at is None:
            self.desynchronised_at = self.compared
        if len(self.differences) >= MAX_DIFFERENCES:
            self.more += 1
            return
        self.differences.append(
            {
                "statement": redact(info.text.strip()),
                "parameters": shown_parameters(info.parameters, info.names),
                "location": info.location,
                "what": diff.what,
                "consequence": diff.consequence,
                "desynchronises": diff.desynchronises,
                "stand_in": stand_in.shown(),
                "shadow": shadow.shown(),
            }
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "shadow": self.shadow,
            "compared": self.compared,
            "not_compared": self.not_compared,
            "differences": self.differences,
            "desynchronised_at": self.desynchronised_at,
            "problem": self.problem,
        }
        if self.not_compared_reason:
            data["not_compared_reason"] = redact(self.not_compared_reason)
        if self.more:
            data["more_differences"] = self.more
        return data


def agrees_at_statement_level(statements: dict[str, Any] | None) -> bool:
    """A test agrees at the statement level when the shadow compared at least one of its
    statements, found no difference and was never desynchronised or broken."""
    return bool(
        statements
        and statements.get("compared", 0) > 0
        and not statements.get("differences")
        and statements.get("desynchronised_at") is None
        and not statements.get("problem")
    )
