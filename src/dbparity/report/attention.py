"""What a reader must see before the matrix: backends that did not run, runs cut short, cases
missing or without a clean answer, and declarations that no longer hold."""

from __future__ import annotations

from dbparity.report.model import CUT_SHORT, NO_DATABASE, Attention, Column, Row
from dbparity.report.verdicts import server_gone
from dbparity.results import SERVER_GONE

#: What the report lists before the matrix, in this order: whole backends that did not run,
#: cases missing from a backend that ran, then per-case problems.
ATTENTION_KINDS = (
    "not-run",
    "no-database",
    "incomplete",
    "missing",
    "conflict",
    "unexpected-failure",
    "error",
    "stale-expectation",
)
_CASE_KINDS = ATTENTION_KINDS[4:]
#: In a user's suite a failure is the application's outcome, not a problem of the run: it is
#: listed under "Differs from PostgreSQL" (or as a broken test), not as needing attention.
_APPLICATION_CASE_KINDS = ("conflict", "error", "stale-expectation")


def attention(columns: list[Column], rows: list[Row], kind: str) -> list[Attention]:
    items: list[Attention] = []
    case_kinds = _APPLICATION_CASE_KINDS if kind == "application" else _CASE_KINDS
    for column in columns:
        if column.status != "run":
            items.append(Attention("not-run", column.key, "", column.reason))
            continue
        if rows and not any(
            row.used_database for row in rows if row.cells[column.key].outcome != "not-run"
        ):
            items.append(Attention("no-database", column.key, "", NO_DATABASE))
        for shard in column.shards:
            if shard.exit_status in CUT_SHORT:
                items.append(
                    Attention(
                        "incomplete",
                        column.key,
                        "",
                        f"{shard.source}: the run ended early ({CUT_SHORT[shard.exit_status]}, "
                        f"pytest exit {shard.exit_status}); its results are partial",
                    )
                )
        missing = [row.id for row in rows if row.cells[column.key].outcome == "not-run"]
        if missing:
            shown = ", ".join(missing[:5])
            if len(missing) > 5:
                shown += f" and {len(missing) - 5} more"
            items.append(
                Attention(
                    "missing", column.key, "", f"{len(missing)} cases have no result: {shown}"
                )
            )
        gone = [row.id for row in rows if server_gone(row.cells[column.key])]
        if gone:
            items.append(
                Attention(
                    "incomplete",
                    column.key,
                    "",
                    f"{SERVER_GONE}: {len(gone)} database cases errored after it died (first: "
                    f"{gone[0]}) and were not compared, nor counted as differences; re-run "
                    "this backend (its log says why the server stopped)",
                )
            )
        for row in rows:
            cell = row.cells[column.key]
            if server_gone(cell):  # said once above, for the whole broken run
                continue
            if cell.outcome in case_kinds:
                items.append(Attention(cell.outcome, column.key, row.id, cell.reason))
            elif cell.stale:
                declared = (cell.declared or {}).get("reason") or ""
                items.append(
                    Attention(
                        "stale-expectation",
                        column.key,
                        row.id,
                        "declared as a known difference that no longer shows (the same outcome "
                        "as on PostgreSQL): remove the entry from the backend's TOML (it said: "
                        f"{declared})",
                    )
                )
    order = {kind: i for i, kind in enumerate(ATTENTION_KINDS)}
    position = {column.key: i for i, column in enumerate(columns)}
    return sorted(items, key=lambda a: (order[a.kind], position[a.column], a.case))
