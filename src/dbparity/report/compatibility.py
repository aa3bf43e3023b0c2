"""The compatibility report as GitHub-flavoured markdown.

:func:`render_summary` is the compact part (reference, what needs attention, one line per
column) and stays small whatever the number of cases, for CI step summaries;
:func:`render_markdown` adds the legend, the matrix and the numbered notes.
"""

from __future__ import annotations

from dbparity.report.differs import render_differs, render_times
from dbparity.report.merge import Column, Merged
from dbparity.report.notes import number_notes
from dbparity.report.outcomes import ATTENTION_LABELS, TERMS, VERDICT_RULE

TITLE = "# dbparity compatibility report"
#: The summary lists this many attention items at most, then says how many more there are.
SUMMARY_ATTENTION_LIMIT = 50
_REASON_LIMIT = 300


def render_summary(merged: Merged, attention_limit: int | None = SUMMARY_ATTENTION_LIMIT) -> str:
    """Reference, attention list and summary table; bounded in size when ``attention_limit``
    is set (a few hundred bytes per column plus at most that many attention lines)."""
    parts = [TITLE]
    if merged.suite_kind == "application":  # a user's suite: what differs comes first
        parts += [render_differs(merged, limit=attention_limit), render_times(merged)]
    parts += [reference_statement(merged), _attention(merged, attention_limit)]
    parts.append(_summary_table(merged))
    return "\n\n".join(parts) + "\n"


def render_markdown(merged: Merged) -> str:
    """The full report: the summary without a limit, then legend, matrix and notes."""
    notes = number_notes(merged)
    parts = [render_summary(merged, attention_limit=None).rstrip("\n"), _legend()]
    parts.append(_matrix(merged, notes))
    if notes:
        parts.append(_notes(notes))
    return "\n\n".join(parts) + "\n"


def reference_statement(merged: Merged) -> str:
    """Which run the other columns are compared with; said once, at the top."""
    rule = (
        "Each case states what PostgreSQL does; a backend *diverges* where it does otherwise, "
        "as declared with a reason in its `backends/<id>.toml`."
    )
    if merged.suite_kind == "application":
        rule = (
            "Each test states what your application does; a stand-in agrees where a test has "
            "the outcome it has on PostgreSQL (both pass, or both fail)."
        )
    ran = [c for c in merged.reference if c.status == "run"]
    if not ran:
        return (
            "**No reference backend ran**, so no case was confirmed on PostgreSQL in these "
            f"results. {rule}"
        )
    runs = ", ".join(f"{c.server_version} / {c.backend.driver}" for c in ran)
    ids = ", ".join(sorted({f"`{c.backend.id}`" for c in ran}))
    return f"**Reference:** {runs} ({ids}). {rule}"


def column_heading(column: Column) -> str:
    return f"`{column.backend.id}`<br>{_cell_text(column.title)}"


def _attention(merged: Merged, limit: int | None) -> str:
    if not merged.attention:
        return (
            "## Needs attention\n\nNothing: every backend ran, with no unexpected failures, "
            "stale expectations, errors, conflicts or missing cases."
        )
    lines = ["## Needs attention", ""]
    shown = merged.attention if limit is None else merged.attention[:limit]
    for item in shown:
        term = TERMS.get(item.kind)
        label = term.label if term else ATTENTION_LABELS[item.kind]
        where = f"`{item.column}`" + (f" · `{item.case}`" if item.case else "")
        lines.append(f"- {label} · {where}: {_short(item.reason)}")
    if len(shown) < len(merged.attention):
        lines.append(
            f"- … and {len(merged.attention) - len(shown)} more; see compatibility.md or "
            "results.json"
        )
    return "\n".join(lines)


def _summary_table(merged: Merged) -> str:
    head = [
        "Backend",
        "Server / driver",
        "Versions",
        TERMS["conforms"].label,
        TERMS["diverges"].label,
        "failing",
        TERMS["not-applicable"].label,
        TERMS["not-run"].label,
        "Verdict",
    ]
    lines = ["## Summary", "", _table_row(head), _table_row(["---"] * 3 + ["---:"] * 5 + ["---"])]
    for column in merged.columns:
        reference = " (reference)" if column.backend.reference else ""
        settings = ", ".join(f"{k} {v}" for k, v in column.server_settings.items())
        server = _cell_text(column.title) + (
            f"<br><sub>{_cell_text(settings)}</sub>" if settings else ""
        )
        versions = (
            ", ".join(f"{k} {v}" for k, v in column.driver_versions.items()) or "none recorded"
        )
        counts = column.counts
        lines.append(
            _table_row(
                [
                    f"`{column.backend.id}`{reference}",
                    server,
                    _cell_text(versions),
                    str(counts["conforms"]),
                    str(counts["diverges"]),
                    str(column.failing),
                    str(counts["not-applicable"]),
                    str(counts["not-run"]),
                    _cell_text(_short(column.verdict)),
                ]
            )
        )
    return "\n".join(lines)


def _legend() -> str:
    lines = ["## Legend", ""]
    lines += [f"- {term.label}: {term.meaning}." for term in TERMS.values()]
    lines.append(
        "- **failing** in the summary counts unexpected failures, stale expectations, errors "
        "and conflicts."
    )
    lines.append(f"- **Verdict:** {VERDICT_RULE}")
    lines.append(
        "- A column is one backend on one server version; results files for the same column "
        "are shards of one run and are merged."
    )
    return "\n".join(lines)


def _matrix(merged: Merged, notes: dict[str, int]) -> str:
    lines = ["## Matrix"]
    for suite in merged.suites:
        rows = merged.rows_of(suite)
        lines += ["", f"### {suite} ({len(rows)} cases)", ""]
        lines.append(_table_row(["Case", *(column_heading(c) for c in merged.columns)]))
        lines.append(_table_row(["---"] * (len(merged.columns) + 1)))
        for row in rows:
            cells = [f"{_cell_text(row.title)}<br><sub>`{row.id}`</sub>"]
            for column in merged.columns:
                cell = row.cells[column.key]
                text = TERMS[cell.outcome].label
                if cell.reason:
                    text += f" [^{notes[cell.reason]}]"
                cells.append(text)
            lines.append(_table_row(cells))
    return "\n".join(lines)


def _notes(notes: dict[str, int]) -> str:
    lines = ["## Notes", ""]
    lines += [f"[^{n}]: {_one_line(reason)}" for reason, n in notes.items()]
    return "\n".join(lines)


def _table_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cell_text(text: str) -> str:
    """Text that cannot break a table: one line, pipes escaped."""
    return _one_line(text).replace("|", "\\|")


def _short(text: str) -> str:
    text = _one_line(text)
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 1] + "…"
