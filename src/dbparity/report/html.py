"""The compatibility report as one static HTML page: no server, no external assets.

The page is rendered with Jinja2 (autoescaped) from ``templates/index.html.j2``; styling and
the filter script are inlined from the same folder, so the file works when opened from disk,
from a CI artifact or from GitHub Pages. It leads with the differences per stand-in; the full
matrix follows, one collapsed ``<details>`` per suite. Everything is readable without
JavaScript (the script adds the filters and the cell detail panel) and printable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jinja2

from dbparity.report import inline
from dbparity.report.findings import anchor, difference, stand_ins
from dbparity.report.merge import Merged
from dbparity.report.notes import number_notes
from dbparity.report.outcomes import (
    ATTENTION_LABELS,
    CONSEQUENCES,
    TERMS,
    VERDICT_RULE,
    terms_for,
)
from dbparity.report.sections import Section


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("dbparity.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["code_spans"] = inline.html  # a title's ``code`` as <code>
    return environment


def render_html(
    merged: Merged, speed_html: str | None = None, sections: Sequence[Section] = ()
) -> str:
    """The page. ``speed_html`` is the hook for the speed report: trusted HTML (rendered
    unescaped) placed in a ``<section id="speed">`` after the notes; None leaves it out.
    ``sections`` go after the differences (see :mod:`dbparity.report.sections`)."""
    template = _environment().get_template("index.html.j2")
    return template.render(**_context(merged), speed_html=speed_html, sections=sections)


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
                term = terms_for(merged.suite_kind)[cell.outcome]
                consequence = difference(cell)
                cells.append(
                    {
                        "col": column.key,
                        "outcome": cell.outcome,
                        "word": term.word,
                        "consequence": consequence if consequence in CONSEQUENCES else None,
                        "consequence_word": CONSEQUENCES[consequence].word
                        if consequence in CONSEQUENCES
                        else "",
                        "reason": cell.reason,
                        "note": notes.get(cell.reason) if cell.reason else None,
                    }
                )
            differs = any(cell["outcome"] != "conforms" or cell["consequence"] for cell in cells)
            rows.append(
                {
                    "id": row.id,
                    "anchor": anchor(row.id),
                    "title": row.title,
                    "cells": cells,
                    "differs": differs,
                }
            )
        differing = sum(1 for r in rows if r["differs"])
        suites.append({"name": suite, "rows": rows, "differing": differing})
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
        "standins": _stand_ins(merged),
        "consequences": [
            {"key": key, "word": t.word, "meaning": t.meaning, "short": t.short}
            for key, t in CONSEQUENCES.items()
        ],
        "reference": reference,
        "attention": attention,
        "columns": columns,
        "count_heads": [
            terms_for(merged.suite_kind)["conforms"].label,
            terms_for(merged.suite_kind)["diverges"].label,
            "failing",
            terms_for(merged.suite_kind)["not-applicable"].label,
            TERMS["not-run"].label,
        ],
        "suites": suites,
        "total": len(merged.rows),
        "terms": [
            {"outcome": key, "word": t.word, "meaning": t.meaning}
            for key, t in terms_for(merged.suite_kind).items()
        ],
        "verdict_rule": VERDICT_RULE,
        "notes": list(notes),
    }


def _stand_ins(merged: Merged) -> list[dict[str, Any]]:
    return [
        {
            "id": s.column.backend.id,
            "key": s.column.key,
            "label": s.column.backend.label,
            "title": s.column.title,
            "run": s.column.status == "run",
            "reason": s.column.reason,
            "verdict": s.column.verdict,
            "total": s.total,
            "groups": [
                {
                    "key": key,
                    "word": term.word,
                    "meaning": term.meaning,
                    "cases": len(s.groups[key]),
                    "findings": [
                        {
                            "case": b.case,
                            "cases": b.cases,
                            "anchor": anchor(b.first.case),
                            "title": b.first.title,
                            "reason": b.reason,
                            "remedy": b.remedy,
                            "reported": b.reported,
                        }
                        for b in s.behaviours(key)
                    ],
                }
                for key, term in CONSEQUENCES.items()
            ],
        }
        for s in stand_ins(merged)
    ]
