"""The report section "Changes between PostgreSQL versions": for each PostgreSQL backend that
ran on more than one server version, the cases whose outcome is not the same on all of them.

Columns are keyed by backend and server version (see :mod:`dbparity.report.merge`), so the
version axis (``nox -t versions``) gives one column per version; this section reads them side by
side, so a behaviour that changed between releases is called out rather than hidden in a wide
matrix. Only cases checked on every version count: not-run and not-applicable are no change.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dbparity.report.sections import Section

if TYPE_CHECKING:
    from dbparity.report.merge import Cell, Column, Merged

ID = "version-changes"
HEADING = "## Changes between PostgreSQL versions"
UNCHECKED = {"not-run", "not-applicable"}


@dataclass(frozen=True)
class Change:
    backend: str
    case: str
    title: str
    outcomes: dict[str, str]  # column key -> outcome (with the reason when it failed)


def _version_columns(merged: Merged) -> dict[str, list[Column]]:
    by_backend: dict[str, list[Column]] = {}
    for column in merged.columns:
        if column.backend.family == "postgresql" and column.status == "run":
            by_backend.setdefault(column.backend.id, []).append(column)
    return {b: sorted(cols, key=_order) for b, cols in by_backend.items() if len(cols) > 1}


def _order(column: Column) -> tuple[int, ...]:
    """Oldest server version first."""
    return tuple(int(n) for n in re.findall(r"\d+", column.server_version))


def changes(merged: Merged) -> tuple[dict[str, list[Column]], list[Change]]:
    """The backends with several versions, and every case whose outcome differs among them."""
    groups = _version_columns(merged)
    found = []
    for backend, columns in groups.items():
        for row in merged.rows:
            cells = {c.key: row.cells[c.key] for c in columns}
            if any(cell.outcome in UNCHECKED for cell in cells.values()):
                continue
            if len({cell.outcome for cell in cells.values()}) > 1:
                outcomes = {
                    key: cell.outcome if cell.outcome == "conforms" else _with_reason(cell)
                    for key, cell in cells.items()
                }
                found.append(Change(backend, row.id, row.title, outcomes))
    return groups, found


def _with_reason(cell: Cell) -> str:
    outcome = str(cell.outcome)
    reason = str((cell.failure or {}).get("type") or cell.reason or "")
    short = reason.splitlines()[0][:120] if reason else ""
    return f"{outcome}: {short}" if short else outcome


def _version(column: Column) -> str:
    return column.server_version or column.key


def section(merged: Merged) -> Section | None:
    groups, found = changes(merged)
    if not groups:
        return None
    md = [HEADING, ""]
    parts = [f'<h2 id="{ID}">Changes between PostgreSQL versions</h2>']
    for backend, columns in groups.items():
        mine = [c for c in found if c.backend == backend]
        versions = ", ".join(_version(c) for c in columns)
        md.append(
            f"**{backend}** on {versions}: "
            + (f"{len(mine)} cases change outcome." if mine else "no case changes outcome.")
        )
        parts.append(
            f"<p><strong>{html.escape(backend)}</strong> on {html.escape(versions)}: "
            + (f"{len(mine)} cases change outcome.</p>" if mine else "no case changes outcome.</p>")
        )
        if not mine:
            md.append("")
            continue
        md += ["", "| case | " + " | ".join(_version(c) for c in columns) + " |"]
        md.append("|---" * (len(columns) + 1) + "|")
        rows = []
        for change in mine:
            cells = [change.outcomes[c.key].replace("|", "\\|") for c in columns]
            md.append(f"| `{change.case}` | " + " | ".join(cells) + " |")
            rows.append(
                "<tr><td><code>"
                + html.escape(change.case)
                + "</code></td>"
                + "".join(f"<td>{html.escape(change.outcomes[c.key])}</td>" for c in columns)
                + "</tr>"
            )
        head = "".join(f"<th>{html.escape(_version(c))}</th>" for c in columns)
        parts.append(f"<table><tr><th>case</th>{head}</tr>{''.join(rows)}</table>")
        md.append("")
    return Section(ID, "\n".join(md).rstrip() + "\n", "\n".join(parts))
