"""The compatibility report as GitHub-flavoured markdown.

:func:`render_markdown` leads with the answer: per stand-in, the differences from PostgreSQL
(false confidence, then false alarm, then silent drift), each with its reason and what to do;
then what needs attention, the summary, the legend, the full matrix (an anchor per case) and
the numbered notes. :func:`render_summary` is the compact part (counts of differences, what
needs attention, one line per column) and stays small whatever the number of cases, for CI
step summaries.
"""

from __future__ import annotations

from collections.abc import Sequence

from dbparity.report import inline
from dbparity.report.differs import render_differs, render_times
from dbparity.report.findings import Behaviour, StandIn, anchor, difference, stand_ins
from dbparity.report.merge import Cell, Column, Merged
from dbparity.report.notes import number_notes
from dbparity.report.outcomes import (
    ATTENTION_LABELS,
    CONSEQUENCES,
    TERMS,
    VERDICT_RULE,
    terms_for,
)
from dbparity.report.sections import Section

TITLE = "# dbparity compatibility report"
#: The summary lists this many attention items at most, then says how many more there are.
SUMMARY_ATTENTION_LIMIT = 50
_REASON_LIMIT = 300


def render_summary(merged: Merged, attention_limit: int | None = SUMMARY_ATTENTION_LIMIT) -> str:
    """Reference, attention list and summary table; bounded in size when ``attention_limit``
    is set (a few hundred bytes per column plus at most that many attention lines)."""
    parts = [TITLE, reference_statement(merged), _differences_overview(merged, attention_limit)]
    if merged.suite_kind == "application":
        parts.append(render_times(merged))
    parts += [_attention(merged, attention_limit), _summary_table(merged)]
    return "\n\n".join(parts) + "\n"


def render_markdown(merged: Merged, sections: Sequence[Section] = ()) -> str:
    """The full report: differences first, then any extra ``sections``, attention, summary,
    legend, matrix, notes."""
    notes = number_notes(merged)
    parts = [TITLE, reference_statement(merged)]
    if merged.attention:
        count = len(merged.attention)
        parts.append(
            f"> **{count} {'item needs' if count == 1 else 'items need'} attention** (runs or "
            "cases that did not give a clean answer): see [Needs attention](#needs-attention)."
        )
    parts += [section.markdown.strip("\n") for section in sections if section.lead]
    if merged.suite_kind == "application":  # a user's suite: each test across the stand-ins
        parts += [render_differs(merged), render_times(merged)]
    else:
        parts.append(_differences(stand_ins(merged)))
    parts += [section.markdown.strip("\n") for section in sections if not section.lead]
    parts += [_attention(merged, None), _summary_table(merged), _legend(merged.suite_kind)]
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


def _differences(found: list[StandIn]) -> str:
    kinds = "; ".join(f"**{term.word}**: {term.short}" for term in CONSEQUENCES.values())
    lines = [
        "## Differences from PostgreSQL",
        "",
        f"Per stand-in, the dangerous kind first: {kinds}. Each behaviour links to its row in "
        "the [matrix](#matrix); the [legend](#legend) says more.",
    ]
    if not found:
        lines += ["", "No stand-in in these results: only the reference ran."]
    for stand_in in found:
        column = stand_in.column
        lines += ["", f"### {column_name(column)}", ""]
        if column.status != "run":
            lines.append(f"Not run ({_short(column.reason)}): nothing is known about it.")
            continue
        lines.append(f"{_sentence(column.verdict)}. {_counts(stand_in)}.")
        for key, term in CONSEQUENCES.items():
            findings = stand_in.groups[key]
            if not findings:
                continue
            rows = stand_in.behaviours(key)
            lines += ["", f"#### {term.word.capitalize()} ({_how_many(len(findings), rows)})", ""]
            lines += [_table_row(["Behaviour", "Why", "What to do"]), "| --- | --- | --- |"]
            for b in rows:
                behaviour = f"[{title_text(b.first.title)}](#{anchor(b.first.case)})"
                behaviour += f"<br><sub>`{b.case}`{_reported(b.reported)}</sub>"
                lines.append(_table_row([behaviour, _cell_text(b.reason), _cell_text(b.remedy)]))
    return "\n".join(lines)


def _how_many(cases: int, rows: list[Behaviour]) -> str:
    """'3', or '50 cases, 44 behaviours' when parametrised variants were folded."""
    return str(cases) if cases == len(rows) else f"{cases} cases, {len(rows)} behaviours"


def _reported(count: int) -> str:
    """How many user reports (the catalog's ledger) the difference it tests has, if any."""
    return f" · {count} user report{'s' * (count != 1)}" if count else ""


def title_text(title: str) -> str:
    """A case title for a table cell: its reStructuredText code spans as markdown code."""
    return inline.markdown(title, _escape_cell)


def _differences_overview(merged: Merged, limit: int | None) -> str:
    if merged.suite_kind == "application":
        return render_differs(merged, limit=limit)
    found = stand_ins(merged)
    lines = ["## Differences from PostgreSQL", ""]
    for stand_in in found:
        if stand_in.column.status == "run":
            lines.append(f"- {column_name(stand_in.column)}: {_counts(stand_in)}")
        else:
            lines.append(f"- {column_name(stand_in.column)}: not run")
    if not found:
        lines.append("No stand-in in these results: only the reference ran.")
    lines += ["", "Each with its reason and what to do: see compatibility.md or index.html."]
    return "\n".join(lines)


def column_name(column: Column) -> str:
    return f"`{column.backend.id}`: {_cell_text(column.title)}"


def _counts(stand_in: StandIn) -> str:
    if not stand_in.total:
        return "No differences from PostgreSQL"
    return " · ".join(
        f"{term.word} {stand_in.count(key)}" for key, term in CONSEQUENCES.items()
    ).capitalize()


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


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
        terms_for(merged.suite_kind)["conforms"].label,
        terms_for(merged.suite_kind)["diverges"].label,
        "failing",
        terms_for(merged.suite_kind)["not-applicable"].label,
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


def _legend(kind: str = "conformance") -> str:
    lines = ["## Legend", ""]
    lines += [f"- {term.label}: {term.meaning}." for term in terms_for(kind).values()]
    lines += [f"- **{term.word}**: {term.meaning}." for term in CONSEQUENCES.values()]
    failing = (
        "failed tests, errors and conflicts"
        if kind == "application"
        else "unexpected failures, stale expectations, errors and conflicts"
    )
    lines.append(f"- **failing** in the summary counts {failing}.")
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
            title = f'<a id="{anchor(row.id)}"></a>{title_text(row.title)}'
            cells = [f"{title}<br><sub>`{row.id}`</sub>"]
            for column in merged.columns:
                cell = row.cells[column.key]
                text = cell_label(cell, merged.suite_kind)
                if cell.reason:
                    text += f" [^{notes[cell.reason]}]"
                cells.append(text)
            lines.append(_table_row(cells))
    return "\n".join(lines)


def cell_label(cell: Cell, kind: str = "conformance") -> str:
    """The outcome in words, and what the difference means when there is one."""
    consequence = CONSEQUENCES.get(difference(cell) or "")
    word = terms_for(kind)[cell.outcome].label
    return f"{word}: **{consequence.word}**" if consequence else word


def _notes(notes: dict[str, int]) -> str:
    lines = ["## Notes", ""]
    lines += [f"[^{n}]: {_one_line(reason)}" for reason, n in notes.items()]
    return "\n".join(lines)


def _table_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cell_text(text: str) -> str:
    """Text that cannot break a table: one line, pipes escaped, and no HTML (a message such
    as "DID NOT RAISE <class ...>" would otherwise vanish as an unknown tag)."""
    return _escape_cell(_one_line(text))


def _escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _short(text: str) -> str:
    text = _one_line(text)
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 1] + "…"
