"""The "Differs from PostgreSQL" section that opens the report of a user's suite.

A user runs their own tests on a stand-in and on PostgreSQL to learn which of them would tell a
different story in production. This section answers that first: the tests whose outcome on a
stand-in differs from PostgreSQL's, in three groups (false confidence first, with PostgreSQL's
error), then the broken tests (failing everywhere) and the tests that never touched the database.
"""

from __future__ import annotations

from dbparity.report.merge import NO_DATABASE, Merged, tests
from dbparity.report.verdicts import GROUPS, Differing, behave_differently

TITLE = "## Differs from PostgreSQL"
_TEXT_LIMIT = 200


def render_differs(merged: Merged, limit: int | None = None) -> str:
    """The section as markdown; ``limit`` bounds the rows of each group (for step summaries)."""
    found = merged.differing()
    compared = sum(c.checked for c in merged.columns if not c.backend.reference)
    lines = [TITLE, ""]
    if merged.rows and not any(row.used_database for row in merged.rows):
        lines.append(f"**{NO_DATABASE[0].upper()}{NO_DATABASE[1:]}** (see the README).")
    elif not any(c.backend.reference and c.status == "run" for c in merged.columns):
        lines.append(
            "**Nothing compared:** no PostgreSQL (reference) run is among the inputs, so no "
            "test's outcome can be compared with production's. Run your suite on a PostgreSQL "
            "backend too (`dbparity run` does all of them)."
        )
    else:
        # Only a pass on one side and a fail on the other is a difference; a test skipped or
        # errored on one side is listed apart, never counted (a dead server's errors are not
        # even that: they are under Needs attention only).
        differ = behave_differently(found)
        one_sided = {d.case for d in found if d.difference == "one-sided"} - differ
        partial = [c.key for c in merged.columns if c.status == "run" and c.partial]
        if partial:
            lines.append(
                f"**Partial run:** {', '.join(f'`{k}`' for k in partial)} stopped before the end "
                "(see Needs attention), so not every test was compared: the counts below are a "
                "lower bound, not an answer."
            )
        if differ:
            lines.append(
                f"**{tests(len(differ))}** behave differently on a stand-in than on PostgreSQL, "
                "the reference. Declared differences (your backend files) are marked *known*."
            )
        else:
            lines.append(
                f"No test behaves differently on a stand-in than on PostgreSQL "
                f"({compared} database test outcomes compared)."
            )
        if one_sided:
            lines.append(
                f"{tests(len(one_sided))} more ran on one side only (skipped or errored on the "
                "other): no verdict, see below and Needs attention."
            )
    for title, kinds, meaning in GROUPS:
        group = [d for d in found if d.difference in kinds]
        if group:
            lines += [
                "",
                f"### {title}: {tests(len({d.case for d in group}))}",
                "",
                f"{meaning[0].upper()}{meaning[1:]}.",
                "",
            ]
            lines += _table(group, limit)
    broken = merged.broken()
    if broken:
        lines += ["", f"### Fails everywhere (broken tests): {tests(len(broken))}", ""]
        lines += [
            "These fail on PostgreSQL and on every stand-in alike: broken tests, not differences.",
            "",
        ]
        shown = broken if limit is None else broken[:limit]
        lines += [
            f"- `{row.id}`" + (f": {_text(row.title)}" if row.title != row.id else "")
            for row in shown
        ]
        if len(shown) < len(broken):
            lines.append(f"- … and {len(broken) - len(shown)} more")
    apart = [row for row in merged.rows if not row.used_database]
    if apart:
        lines += [
            "",
            f"{tests(len(apart))} did not use the database: left out of every verdict.",
        ]
    return "\n".join(lines)


def render_times(merged: Merged) -> str:
    """Each backend's wall time for the suite (its runs' durations, summed over shards), as a
    ratio to PostgreSQL's: the speed half of the user's question."""
    ran = [c for c in merged.columns if c.status == "run" and c.shards]
    reference = next((c for c in ran if c.backend.reference), None)
    base = sum(s.duration_s for s in reference.shards) if reference else 0.0
    lines = ["## Time of your suite", ""]
    lines += [
        "Each backend's pytest session, from start to end, as its results file records it: "
        "the server's start-up is included, Python's own start-up is not.",
        "",
    ]
    lines += ["| Backend | Wall time | Ratio to PostgreSQL |", "| --- | ---: | ---: |"]
    for column in ran:
        seconds = sum(s.duration_s for s in column.shards)
        if column.partial:
            ratio = f"none: partial run ({column.partial})"
        elif reference is not None and reference.partial:
            ratio = "none: PostgreSQL's run is partial"
        elif base > 0:
            ratio = f"{seconds / base:.2f}×"  # noqa: RUF001
        else:
            ratio = "no PostgreSQL run"
        lines.append(f"| `{column.key}` | {seconds:.1f} s | {ratio} |")
    machines = {s.machine for c in ran for s in c.shards}
    if len(machines) > 1:
        lines += ["", "The runs come from different machines: the ratios compare them too."]
    return "\n".join(lines)


def _table(group: list[Differing], limit: int | None) -> list[str]:
    """One row per test: the stand-ins on which it differs, what they and PostgreSQL did."""
    lines = [
        "| Test | Stand-ins | On the stand-in | On PostgreSQL | Known |",
        "| --- | --- | --- | --- | --- |",
    ]
    by_test: dict[str, list[Differing]] = {}
    for d in group:
        by_test.setdefault(d.case, []).append(d)
    shown = list(by_test.items()) if limit is None else list(by_test.items())[:limit]
    for case, found in shown:
        first = found[0]
        test = f"`{_text(case)}`"
        if first.title and first.title != case:
            test += f"<br>{_text(first.title)}"
        here = sorted({_outcome(d.outcome, d.reason) for d in found})
        known = sorted({_text(d.declared_reason) for d in found if d.declared_reason})
        cells = [
            test,
            "<br>".join(f"`{d.column}`" for d in found),
            "<br>".join(here),
            _outcome(first.reference_outcome, first.reference_reason),
            "<br>".join(known),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if len(shown) < len(by_test):
        lines.append(f"| … and {len(by_test) - len(shown)} more | | | | |")
    return lines


def _outcome(outcome: str, reason: str) -> str:
    word = {
        "conforms": "passes",
        "stale-expectation": "passes",
        "diverges": "fails",
        "unexpected-failure": "fails",
        "not-applicable": "skipped",
        "error": "error",
    }.get(outcome, outcome or "not run")
    return f"{word}: {_text(reason)}" if reason and word != "passes" else word


def _text(text: str) -> str:
    """One table-safe line, shortened."""
    one = " ".join(text.split()).replace("|", "\\|")
    return one if len(one) <= _TEXT_LIMIT else one[: _TEXT_LIMIT - 1] + "…"
