"""The results file: one JSON document per run of the suites on one backend.

This module owns the format. Everything downstream (reports, CI merging) reads results through
:func:`load`, so a format change happens here and nowhere else.

Shape (``format`` is ``dbparity-results/1``)::

    {
      "format": "dbparity-results/1",
      "backend": {"id", "label", "family", "driver", "reference"},
      "run": {"status": "run" | "not-run", "reason", "provisioner", "server_version",
              "server_settings", "driver_versions", "python", "platform", "machine",
              "started_at", "duration_s", "workers", "exit_status", "suite_kind", "shadow"},
      "cases": [{"id", "suite", "name", "title", "outcome", "reason", "duration_s", "nodeid",
                 "failure", "used_database", "declared", "statements"}]
    }

``run.suite_kind`` says what the cases assert: ``conformance`` (dbparity's own suites: each
case states PostgreSQL's behaviour) or ``application`` (a user's suite: each test states what
the application does). A file without ``run.suite_kind`` or a case's ``used_database`` was
written by an older dbparity, before user suites were told apart: :func:`from_json` refuses it
in one line (re-run it) rather than guess. Other fields added later (``exit_status``,
``failure``, ``declared``, ``statements``, ``run.shadow``) have defaults, so such files still load.
``declared`` is the backend file's divergence declaration for the case, whatever the outcome.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from dbparity.redact import redact_all

FORMAT = "dbparity-results/1"

Outcome = Literal[
    "conforms",
    "diverges",
    "unexpected-failure",
    "stale-expectation",
    "not-applicable",
    "not-run",
    "error",
]
OUTCOMES: tuple[str, ...] = get_args(Outcome)

RunStatus = Literal["run", "not-run"]
SuiteKind = Literal["conformance", "application"]
SUITE_KINDS: tuple[str, ...] = get_args(SuiteKind)

#: The exit status of the placeholder a run writes before it starts: if the run is killed, the
#: placeholder (never the previous run's file) is what the report finds, and flags.
UNFINISHED = -1
#: In the reason of an ``error`` case: the run's server had died (the server watch). Such a case
#: says nothing about the backend's behaviour: the report shows it under Needs attention only.
SERVER_GONE = "the server is gone"


class ResultsFileError(ValueError):
    """A results file that cannot be read as dbparity results; the message names the file."""


@dataclass
class Case:
    """One behaviour checked on one backend."""

    id: str
    suite: str
    name: str
    title: str
    outcome: Outcome
    reason: str = ""
    duration_s: float = 0.0
    nodeid: str = ""
    #: For a failed case: {"type": qualified exception class, "message": its first line}.
    failure: dict[str, str] | None = None
    #: Whether the test touched the database (dbparity's fixtures); others stay out of verdicts.
    used_database: bool = True
    #: The backend file's declaration for this case: {reason, fails, consequence, remedy}.
    declared: dict[str, str | None] | None = None
    #: Shadow mode: the statements of this test that differ on PostgreSQL, and how many were
    #: compared (``dbparity.shadow.findings``); None when no shadow ran.
    statements: dict[str, Any] | None = None


@dataclass
class BackendInfo:
    id: str
    label: str
    family: str
    driver: str
    reference: bool = False


@dataclass
class RunInfo:
    status: RunStatus
    reason: str = ""
    provisioner: str = ""
    server_version: str = ""
    server_settings: dict[str, str] = field(default_factory=dict)
    driver_versions: dict[str, str] = field(default_factory=dict)
    python: str = ""
    platform: str = ""
    machine: str = ""
    started_at: str = ""
    duration_s: float = 0.0
    workers: int = 1
    #: pytest's exit status: 2 (interrupted) or 3 (internal error) mean the cases are partial;
    #: UNFINISHED (-1): the run started but ended before writing its results (killed).
    exit_status: int = 0
    #: Always in a file (a file without it is refused); "" only for a RunInfo built in memory
    #: without a kind, whose merge then takes the other inputs' kind.
    suite_kind: SuiteKind | Literal[""] = ""
    #: Shadow mode: {"backend", "server_version", "reason"} of the shadow; empty without one.
    shadow: dict[str, str] = field(default_factory=dict)


@dataclass
class Results:
    backend: BackendInfo
    run: RunInfo
    cases: list[Case] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "backend": asdict(self.backend),
            "run": asdict(self.run),
            "cases": [asdict(c) for c in sorted(self.cases, key=lambda c: c.id)],
        }

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for case in self.cases:
            counts[case.outcome] += 1
        return counts


def dumps(results: Results) -> str:
    """The file's text; passwords in any text (a reason quoting a URL) are masked."""
    return json.dumps(redact_all(results.to_json()), indent=2, sort_keys=True) + "\n"


def write(results: Results, path: Path) -> None:
    """Write atomically, so a reader never sees half a file even if the run is interrupted."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    text = dumps(results)
    try:
        tmp.write_text(text, "utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def load(path: Path) -> Results:
    """Read a results file, or raise :class:`ResultsFileError` saying in one line what is wrong."""
    try:
        raw = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise ResultsFileError(f"{path}: no such results file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsFileError(f"{path}: not valid JSON ({exc}); is it truncated?") from None
    return from_json(raw, source=str(path))


def from_json(raw: Any, source: str = "<results>") -> Results:
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        found = raw.get("format") if isinstance(raw, dict) else type(raw).__name__
        raise ResultsFileError(
            f"{source}: not a dbparity results file (format {found!r}, expected {FORMAT!r})"
        )
    raw = redact_all(raw)  # a file written elsewhere, or by an older dbparity, may carry one
    older = _older_fields(raw)
    if older:
        raise ResultsFileError(
            f"{source}: written by an older dbparity (no {older}), so what its cases mean is "
            "unknown; re-run it with this version"
        )
    try:
        backend = BackendInfo(**raw["backend"])
        run = RunInfo(**raw["run"])
        cases = [Case(**c) for c in raw["cases"]]
    except (KeyError, TypeError) as exc:
        raise ResultsFileError(f"{source}: malformed results ({exc})") from None
    for case in cases:
        if case.outcome not in OUTCOMES:
            raise ResultsFileError(
                f"{source}: case {case.id!r} has unknown outcome {case.outcome!r}; "
                f"expected one of {', '.join(OUTCOMES)}"
            )
    if run.suite_kind not in (*SUITE_KINDS, ""):
        raise ResultsFileError(
            f"{source}: run suite_kind {run.suite_kind!r} is not one of {', '.join(SUITE_KINDS)}"
        )
    if run.status not in get_args(RunStatus):
        raise ResultsFileError(f"{source}: run status {run.status!r} is not 'run' or 'not-run'")
    return Results(backend=backend, run=run, cases=cases)


def _older_fields(raw: dict[str, Any]) -> str:
    """The fields a file of this format has carried since verdicts began that this one lacks
    ("run.suite_kind", "used_database"), or empty. Without them the report would have to guess
    whether a case states PostgreSQL's behaviour or the application's, and whether it touched
    the database at all (a run where nothing did would pass for a clean one)."""
    run, cases = raw.get("run"), raw.get("cases")
    lacking = []
    if isinstance(run, dict) and "suite_kind" not in run:
        lacking.append("run.suite_kind")
    if isinstance(cases, list) and any(
        isinstance(c, dict) and "used_database" not in c for c in cases
    ):
        lacking.append("used_database")
    return " or ".join(lacking)
