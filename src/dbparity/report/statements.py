"""The section "Statements that differ on PostgreSQL": what shadow mode found, per test.

A test's outcome can agree on both sides while one of its statements returned other rows on
PostgreSQL (the test asserted too little to notice). Shadow mode (``--dbparity-shadow``) ran
every statement on PostgreSQL too; this section lists, per test, each statement that differs:
the statement and parameters as the stand-in ran them, both results, the line of the user's
code that sent it, and what it means. A test whose every statement agreed *agrees at the
statement level*, which says more than agreeing in outcome.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from dbparity.report.sections import Section
from dbparity.shadow.findings import agrees_at_statement_level

if TYPE_CHECKING:
    from dbparity.report.merge import Merged

ID = "statements"
HEADING = "Statements that differ on PostgreSQL"
CONSEQUENCES = {
    "false-confidence": "False confidence: PostgreSQL raises where the stand-in did not",
    "false-alarm": "False alarm: the stand-in raises where PostgreSQL does not",
    "silent-drift": "Silent drift: PostgreSQL returns something else",
}
WHAT = {
    "error": "an error on one side only",
    "rows": "the rows differ",
    "order": "the same rows in another order (the statement has ORDER BY)",
    "row count": "another number of rows",
    "rowcount": "another number of rows changed",
    "generated key": "another generated key",
}


def _entries(merged: Merged) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(column title, case id, case title, statements) of every shadowed case, in order."""
    found = []
    for column in merged.columns:
        for row in merged.rows:
            cell = row.cells.get(column.key)
            if cell is not None and cell.statements:
                found.append((column.title, row.id, row.title, cell.statements))
    return found


def section(merged: Merged) -> Section | None:
    entries = _entries(merged)
    if not entries:
        return None
    return Section(ID, render_markdown(entries), render_html(entries))


def _summary(entries: list[tuple[str, str, str, dict[str, Any]]]) -> str:
    shadows = sorted({e[3].get("shadow", "") for e in entries})
    agreeing = sum(1 for e in entries if agrees_at_statement_level(e[3]))
    differing = [e for e in entries if e[3].get("differences")]
    statements = sum(int(e[3].get("compared", 0)) for e in entries)
    return (
        f"Shadow mode ran every statement of {len(entries)} tests on PostgreSQL "
        f"({', '.join(shadows)}) as well: {statements} statements compared. "
        f"{_tests(agreeing)} at the statement level (every statement returned the same "
        f"on PostgreSQL, which says more than agreeing in outcome); {len(differing)} "
        f"{'has' if len(differing) == 1 else 'have'} statements that differ."
    )


def _tests(count: int) -> str:
    return f"{count} test agrees" if count == 1 else f"{count} tests agree"


def _result(side: dict[str, Any]) -> str:
    error = side.get("error")
    if error:
        state = f" [{error['sqlstate']}]" if error.get("sqlstate") else ""
        return f"raises {error.get('type', '')}{state}: {error.get('message', '')}"
    parts = []
    if "rows" in side:
        count = side.get("row_count", len(side["rows"]))
        shown = ", ".join("(" + ", ".join(row) + ")" for row in side["rows"])
        more = f" (first {len(side['rows'])} shown)" if count > len(side["rows"]) else ""
        parts.append(
            f"{count} row{'s' if count != 1 else ''}{more}: {shown}" if count else "no rows"
        )
    if "rowcount" in side:
        parts.append(f"{side['rowcount']} rows changed")
    if "generated_keys" in side:
        parts.append(
            "generated key " + ", ".join("(" + ", ".join(k) + ")" for k in side["generated_keys"])
        )
    return "; ".join(parts) or "no rows"


def _tail(statements: dict[str, Any]) -> list[str]:
    notes = []
    if statements.get("desynchronised_at") is not None:
        notes.append(
            "From the statement marked desynchronising on, the two databases no longer hold "
            "the same data: later statements of this test were not compared."
        )
    if statements.get("more_differences"):
        notes.append(f"{statements['more_differences']} more differing statements not shown.")
    if statements.get("problem"):
        notes.append(f"The shadow itself failed: {statements['problem']}")
    return notes


def render_markdown(entries: list[tuple[str, str, str, dict[str, Any]]]) -> str:
    lines = [f"## {HEADING}", "", _summary(entries), ""]
    for column, case_id, title, statements in entries:
        differences = statements.get("differences") or []
        if not differences and statements.get("desynchronised_at") is None:
            continue
        lines += [f"### {column}: `{case_id}`", ""]
        lines += [title, ""] if title != case_id else []
        for found in differences:
            where = f" at `{found['location']}`" if found.get("location") else ""
            desync = " It desynchronises the test." if found.get("desynchronises") else ""
            lines += [
                f"- **{CONSEQUENCES[found['consequence']]}** ({WHAT[found['what']]}){where}."
                f"{desync}",
                "",
                "  ```sql",
                *[f"  {line}" for line in found["statement"].splitlines()],
                "  ```",
                "",
                f"  - parameters: `{found['parameters']}`",
                f"  - stand-in: {_result(found['stand_in'])}",
                f"  - PostgreSQL: {_result(found['shadow'])}",
                "",
            ]
        lines += [*_tail(statements), ""] if _tail(statements) else []
    return "\n".join(lines).rstrip() + "\n"


def render_html(entries: list[tuple[str, str, str, dict[str, Any]]]) -> str:
    e = html.escape
    parts = [f"<h2>{e(HEADING)}</h2>", f"<p>{e(_summary(entries))}</p>"]
    for column, case_id, title, statements in entries:
        differences = statements.get("differences") or []
        if not differences and statements.get("desynchronised_at") is None:
            continue
        shown_title = f"<p>{e(title)}</p>" if title != case_id else ""
        parts.append(f"<h3>{e(column)}: <code>{e(case_id)}</code></h3>{shown_title}<ul>")
        for found in differences:
            where = f" at <code>{e(found['location'])}</code>" if found.get("location") else ""
            desync = " It desynchronises the test." if found.get("desynchronises") else ""
            parts.append(
                f"<li><strong>{e(CONSEQUENCES[found['consequence']])}</strong> "
                f"({e(WHAT[found['what']])}){where}.{desync}"
                f"<pre><code>{e(found['statement'])}</code></pre><ul>"
                f"<li>parameters: <code>{e(found['parameters'])}</code></li>"
                f"<li>stand-in: {e(_result(found['stand_in']))}</li>"
                f"<li>PostgreSQL: {e(_result(found['shadow']))}</li></ul></li>"
            )
        parts.append("</ul>")
        parts += [f"<p>{e(note)}</p>" for note in _tail(statements)]
    return "\n".join(parts) + "\n"
