"""The merged data as ``reports/results.json``, described by ``schema/merged.schema.json``.

Other tools (CI summaries, dashboards) read this file instead of re-merging the inputs, so
everything the reports show is here, plus where each column's results came from.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from importlib import resources
from typing import Any

from dbparity.report.merge import Cell, Merged

FORMAT = "dbparity-merged/1"
SCHEMA_RESOURCE = "schema/merged.schema.json"


def to_json(merged: Merged) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "reference": [c.key for c in merged.reference if c.status == "run"],
        "suites": merged.suites,
        "suite_kind": merged.suite_kind,
        "columns": [
            {
                "key": c.key,
                "title": c.title,
                "backend": asdict(c.backend),
                "status": c.status,
                "reason": c.reason,
                "server_version": c.server_version,
                "server_settings": c.server_settings,
                "driver_versions": c.driver_versions,
                "counts": c.counts,
                "checked": c.checked,
                "agrees": c.agrees,
                "failing": c.failing,
                "no_database": c.no_database,
                "verdict": c.verdict,
                "shards": [asdict(s) for s in c.shards],
            }
            for c in merged.columns
        ],
        "cases": [
            {
                "id": row.id,
                "suite": row.suite,
                "name": row.name,
                "title": row.title,
                "used_database": row.used_database,
                "cells": {key: _cell(cell) for key, cell in row.cells.items()},
            }
            for row in merged.rows
        ],
        "attention": [asdict(a) for a in merged.attention],
    }


def dumps(merged: Merged) -> str:
    """Stable text: sorted keys, fixed indentation, a final newline."""
    return json.dumps(to_json(merged), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema() -> dict[str, Any]:
    text = (resources.files("dbparity.report") / SCHEMA_RESOURCE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _cell(cell: Cell) -> dict[str, Any]:
    data: dict[str, Any] = {
        "outcome": cell.outcome,
        "reason": cell.reason,
        "agrees": cell.agrees,
        "difference": cell.difference,
        "used_database": cell.used_database,
    }
    if cell.stale:
        data["stale"] = True
    if cell.failure:
        data["failure"] = cell.failure
    if cell.declared:
        data["declared"] = cell.declared
    if cell.statements:
        data["statements"] = cell.statements
    if cell.claims:
        data["claims"] = [asdict(claim) for claim in cell.claims]
    return data
