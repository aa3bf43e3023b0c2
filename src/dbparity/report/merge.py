"""Merge results files into one behaviour-by-column matrix.

A column is a backend plus the server version that ran (``postgres-asyncpg`` on ``PostgreSQL
15.18``), so a CI matrix over server versions gives one column per version. Several files for
the same column are shards of one run (xdist, CI splits): their cases are pooled, and a case
on which they disagree becomes a ``conflict`` cell that is reported, never resolved silently.

:func:`merge` is a pure function: it reads nothing but its arguments, its output does not
depend on the order of the inputs, and it adds no clock readings of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from dbparity.report import verdicts
from dbparity.report.attention import ATTENTION_KINDS, attention
from dbparity.report.model import (
    MISSING_BACKEND,
    MISSING_CASE,
    NO_DATABASE,
    Attention,
    Cell,
    Claim,
    Column,
    Merged,
    Row,
    Shard,
    tests,
)
from dbparity.report.outcomes import CELL_OUTCOMES
from dbparity.results import BackendInfo, Case, Results, ResultsFileError

__all__ = [
    "ATTENTION_KINDS",
    "MISSING_BACKEND",
    "MISSING_CASE",
    "NO_DATABASE",
    "Attention",
    "Cell",
    "Claim",
    "Column",
    "Merged",
    "Row",
    "Shard",
    "check_types",
    "merge",
    "suite_kind",
    "tests",
]


def merge(inputs: Sequence[tuple[str, Results]], expected: Iterable[BackendInfo] = ()) -> Merged:
    """Merge named results into columns and rows; ``expected`` backends without any results
    become columns that did not run. Raises :class:`ResultsFileError` for a file whose fields
    have the wrong types, naming it."""
    for source, results in inputs:
        check_types(source, results)
    kind = suite_kind(inputs)
    if kind == "application":
        expected = ()  # a user's matrix is the backends they ran, not every known one
    groups: dict[tuple[str, str, str], list[tuple[str, Results]]] = {}
    for source, results in sorted(inputs, key=lambda item: item[0]):
        groups.setdefault(_column_id(results), []).append((source, results))
    columns: list[Column] = []
    cells: dict[str, dict[str, Cell]] = {}
    meta: dict[str, dict[str, Case]] = {}
    for group in groups.values():
        column, cells[column.key], meta[column.key] = _merge_column(group)
        columns.append(column)
    seen = {c.backend.id for c in columns}
    for backend in expected:
        if backend.id not in seen:
            column = _missing_column(backend)
            columns.append(column)
            cells[column.key], meta[column.key] = {}, {}
            seen.add(backend.id)
    columns.sort(key=_column_order)
    rows = _rows(columns, cells, meta)
    verdicts.apply(columns, rows, kind)
    reference_ran = any(c.backend.reference and c.status == "run" for c in columns)
    for column in columns:
        column.suite_kind, column.reference_ran = kind, reference_ran
        counts = dict.fromkeys(CELL_OUTCOMES, 0)
        for row in rows:
            cell = row.cells[column.key]
            if not row.used_database:  # shown apart, never among the behaviours
                column.no_database += 1
                continue
            counts[cell.outcome] += 1
            if verdicts.server_gone(cell):
                column.gone += 1
            elif column.backend.reference and row.used_database:
                ran = verdicts.side(cell.outcome)
                column.compared += ran in ("pass", "fail")
                column.agreeing += ran == "pass"
            elif cell.agrees is not None:
                column.compared += 1
                column.agreeing += cell.agrees
        column.counts = counts
    return Merged(
        columns=columns, rows=rows, attention=attention(columns, rows, kind), suite_kind=kind
    )


def suite_kind(inputs: Sequence[tuple[str, Results]]) -> str:
    """The kind of suite the inputs ran; one report is about one kind."""
    kinds = {results.run.suite_kind for _, results in inputs} - {""}
    if len(kinds) > 1:
        named = ", ".join(
            f"{source} ({r.run.suite_kind})" for source, r in sorted(inputs) if r.run.suite_kind
        )
        raise ResultsFileError(
            f"results of different kinds of suite cannot be merged into one report: {named}; "
            "report dbparity's conformance runs and your own suite's runs separately"
        )
    # Files from before the kind was recorded take their companions' kind; alone, they were
    # dbparity's own conformance runs (the only ones that were reported then).
    return kinds.pop() if kinds else "conformance"


def _column_id(results: Results) -> tuple[str, str, str]:
    version = results.run.server_version if results.run.status == "run" else ""
    return (results.backend.id, results.run.status, version)


def _column_key(backend_id: str, status: str, version: str) -> str:
    if status != "run":
        return f"{backend_id}@not run"
    return f"{backend_id}@{version or 'unknown version'}"


def _version_numbers(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def _column_order(column: Column) -> tuple[object, ...]:
    """Reference first, then by backend id; versions in numeric order; not run last."""
    return (
        not column.backend.reference,
        column.backend.id,
        column.status != "run",
        _version_numbers(column.server_version),
        column.server_version,
    )


def _merge_column(
    group: list[tuple[str, Results]],
) -> tuple[Column, dict[str, Cell], dict[str, Case]]:
    """One column from its shards: the cells by case id, and each case's name and title."""
    first = group[0][1]
    column = Column(
        key=_column_key(*_column_id(first)),
        backend=first.backend,
        status=first.run.status,
        reason=_pick(r.run.reason for _, r in group),
        server_version=first.run.server_version if first.run.status == "run" else "",
        server_settings=_union(r.run.server_settings for _, r in group),
        driver_versions=_union(r.run.driver_versions for _, r in group),
        shards=[
            Shard(
                source=source,
                provisioner=r.run.provisioner,
                started_at=r.run.started_at,
                duration_s=r.run.duration_s,
                workers=r.run.workers,
                python=r.run.python,
                platform=r.run.platform,
                machine=r.run.machine,
                exit_status=r.run.exit_status,
            )
            for source, r in group
        ],
    )
    claims: dict[str, list[tuple[str, Case]]] = {}
    for source, results in group:
        for case in results.cases:
            claims.setdefault(case.id, []).append((source, case))
    cells: dict[str, Cell] = {}
    meta: dict[str, Case] = {}
    for case_id, said in claims.items():
        outcomes = {case.outcome for _, case in said}
        sample = min((c for _, c in said), key=lambda c: (c.reason, str(c.failure)))
        if len(outcomes) == 1:
            cells[case_id] = Cell(
                outcome=sample.outcome,
                reason=_pick(c.reason for _, c in said),
                failure=sample.failure,
                declared=sample.declared,
            )
        else:
            cells[case_id] = Cell(
                outcome="conflict",
                reason="shards disagree: " + "; ".join(f"{s} says {c.outcome}" for s, c in said),
                claims=[Claim(s, c.outcome, c.reason) for s, c in said],
                declared=sample.declared,
            )
        cells[case_id].used_database = any(c.used_database for _, c in said)
        cells[case_id].statements = next((c.statements for _, c in said if c.statements), None)
        meta[case_id] = min((c for _, c in said), key=lambda c: (not c.title, c.title, c.suite))
    return column, cells, meta


def _missing_column(backend: BackendInfo) -> Column:
    return Column(
        key=_column_key(backend.id, "not-run", ""),
        backend=backend,
        status="not-run",
        reason=MISSING_BACKEND,
        server_version="",
        server_settings={},
        driver_versions={},
    )


def _rows(
    columns: list[Column], cells: dict[str, dict[str, Cell]], meta: dict[str, dict[str, Case]]
) -> list[Row]:
    """One row per case id seen anywhere; a column without a result for it says not run."""
    about: dict[str, Case] = {}
    for column in columns:  # in column order, so the reference's wording wins
        for case_id, case in sorted(meta[column.key].items()):
            if case_id not in about or (not about[case_id].title and case.title):
                about[case_id] = case
    rows = []
    for case_id in sorted(about, key=lambda i: (about[i].suite, i)):
        case = about[case_id]
        row = Row(id=case_id, suite=case.suite, name=case.name, title=case.title or case_id)
        for column in columns:
            found = cells[column.key].get(case_id)
            if found is not None:
                row.cells[column.key] = found
            elif column.status != "run":
                row.cells[column.key] = Cell(outcome="not-run", reason=column.reason)
            else:
                row.cells[column.key] = Cell(outcome="not-run", reason=MISSING_CASE)
        row.used_database = any(
            cells[c.key][case_id].used_database for c in columns if case_id in cells[c.key]
        )
        for cell in row.cells.values():
            cell.used_database = row.used_database
        rows.append(row)
    return rows


def _pick(values: Iterable[str]) -> str:
    """One value for shards that agree on an outcome but word it differently: the first
    non-empty in sorted order, so the input order cannot change the result."""
    return min((v for v in values if v), default="")


def _union(maps: Iterable[dict[str, str]]) -> dict[str, str]:
    """Merge shards' version maps; a key with different values lists all of them."""
    values: dict[str, set[str]] = {}
    for mapping in maps:
        for key, value in mapping.items():
            values.setdefault(key, set()).add(value)
    return {key: ", ".join(sorted(found)) for key, found in sorted(values.items())}


def check_types(source: str, results: Results) -> None:
    """``results.load`` checks the shape; this checks the field types the report relies on."""

    def need_str(where: str, value: object) -> None:
        if not isinstance(value, str):
            raise ResultsFileError(
                f"{source}: {where} must be a string, not {type(value).__name__}"
            )

    for name in ("id", "label", "family", "driver"):
        need_str(f"backend.{name}", getattr(results.backend, name))
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", results.backend.id):
        raise ResultsFileError(f"{source}: backend.id {results.backend.id!r} is not a backend id")
    for name in ("reason", "server_version", "provisioner", "started_at"):
        need_str(f"run.{name}", getattr(results.run, name))
    for name in ("server_settings", "driver_versions"):
        mapping = getattr(results.run, name)
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise ResultsFileError(f"{source}: run.{name} must map strings to strings")
    for index, case in enumerate(results.cases):
        for name in ("id", "suite", "name", "title", "reason"):
            need_str(f"cases[{index}].{name}", getattr(case, name))
