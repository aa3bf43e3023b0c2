"""The compatibility report as one static HTML page: no server, no external assets.

The page is rendered with Jinja2 (autoescaped) from ``templates/index.html.j2``; styling and
the filter script are inlined from the same folder, so the file works when opened from disk,
from a CI artifact or from GitHub Pages.
"""

from __future__ import annotations

from typing import Any

import jinja2

from dbparity.report.merge import Merged
from dbparity.report.notes import number_notes
from dbparity.report.outcomes import ATTENTION_LABELS, TERMS, VERDICT_RULE


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("dbparity.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(merged: Merged, speed_html: str | None = None) -> str:
    """The page. ``speed_html`` is the hook for the speed report: trusted HTML (rendered
    unescaped) placed in a ``<section id="speed">`` after the notes; None leaves it out."""
    template = _environment().get_template("index.html.j2")
    return template.render(**_context(merged), speed_html=speed_html)


def _context(merged: Merged) -> dict[str, Any]:
    notes = number_notes(merged)
    columns = [
        {
            "key": c.key,
            "id": c.backend.id,
            "label": c.backend.label,
            "reference": c.backend.reference,
            "title": c.title,
            "settings": ", ".join(f"{k} {v}" for k, v in c.server_settings.items()),
            "versions": ", ".join(f"{k} {v}" for k, v in c.driver_versions.items())
            or "none recorded",
            "numbers": [
                c.counts["conforms"],
                c.counts["diverges"],
                c.failing,
                c.counts["not-applicable"],
                c.counts["not-run"],
            ],
            "verdict": c.verdict,
        }
        for c in merged.columns
    ]
    suites = []
    for suite in merged.suites:
        rows = []
        for row in merged.rows_of(suite):
            cells = []
            for column in merged.columns:
                cell = row.cells[column.key]
                term = TERMS[cell.outcome]
                cells.append(
                    {
                        "col": column.key,
                        "outcome": cell.outcome,
                        "symbol": term.symbol,
                        "word": term.word,
                        "reason": cell.reason,
                        "note": notes.get(cell.reason) if cell.reason else None,
                    }
                )
            differs = any(cell["outcome"] != "conforms" for cell in cells)
            rows.append({"id": row.id, "title": row.title, "cells": cells, "differs": differs})
        suites.append({"name": suite, "rows": rows})
    attention = [
        {
            "kind": a.kind,
            "label": TERMS[a.kind].label if a.kind in TERMS else ATTENTION_LABELS[a.kind],
            "column": a.column,
            "case": a.case,
            "reason": a.reason,
        }
        for a in merged.attention
    ]
    reference = [
        f"{c.server_version} / {c.backend.driver} ({c.backend.id})"
        for c in merged.reference
        if c.status == "run"
    ]
    return {
        "reference": reference,
        "attention": attention,
        "columns": columns,
        "count_heads": [
            TERMS["conforms"].label,
            TERMS["diverges"].label,
            "failing",
            TERMS["not-applicable"].label,
            TERMS["not-run"].label,
        ],
        "suites": suites,
        "total": len(merged.rows),
        "terms": [
            {"outcome": key, "symbol": t.symbol, "word": t.word, "meaning": t.meaning}
            for key, t in TERMS.items()
        ],
        "verdict_rule": VERDICT_RULE,
        "notes": list(notes),
    }
