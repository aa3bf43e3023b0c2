"""The three lines both reports open with: "Which stand-in should I use?" answered from this
run's numbers. What each stand-in misses (its false-confidence cases: tests that pass on it and
fail on PostgreSQL), what it saves (its time per test against PostgreSQL's: the rollback
isolation benchmark, else the conformance run's wall time), and the conclusion those two give.

Every figure comes from :mod:`dbparity.report.standins` (the same entries as the section that
compares the stand-ins in detail), so the lines cannot disagree with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dbparity.report import inline
from dbparity.report.findings import stand_ins
from dbparity.report.sections import Section
from dbparity.report.standins import MARKDOWN_ANCHOR, SECTION_ID, Entry, build_entries

if TYPE_CHECKING:
    from dbparity.report.merge import Merged
    from dbparity.report.speed import SpeedReport

ANSWER_ID = "answer"
TITLE = "Which stand-in should I use?"


def section(
    merged: Merged, speed: SpeedReport | None, backends_dir: Path | None = None
) -> Section | None:
    """The lead section, or None when no stand-in ran (nothing to choose between)."""
    lines = answer(merged, build_entries(merged, speed, backends_dir))
    if not lines:
        return None
    more = f"[Each stand-in in detail](#{MARKDOWN_ANCHOR}): agreement against speed."
    md = "\n".join([f"## {TITLE}", "", *(f"- {_md(line)}" for line in lines), "", more])
    items = "".join(f"<li>{_html(line)}</li>" for line in lines)
    html = (
        f"<h2>{TITLE}</h2>\n<ul class='answer'>{items}</ul>\n"
        f"<p><a href='#{SECTION_ID}'>Each stand-in in detail</a>: agreement against speed.</p>"
    )
    return Section(ANSWER_ID, md + "\n", html, lead=True)


def answer(merged: Merged, entries: list[Entry]) -> list[str]:
    """Three lines of text (``code`` in backquotes, **bold** left out: the renderers add
    nothing but the code), or none when no stand-in ran."""
    order = {s.column.key: n for n, s in enumerate(stand_ins(merged))}
    chosen = sorted((e for e in entries if e.stand_in), key=lambda e: order[e.column.key])
    if not chosen:
        return []
    reference = next((e for e in entries if e.column.backend.reference), None)
    misses = " · ".join(f"`{e.column.backend.id}` {len(e.false_confidence)}" for e in chosen)
    lines = [f"Misses (cases that pass on it and fail on PostgreSQL): {misses}."]
    ratios, basis = _speed(chosen, reference)
    if not ratios:
        lines.append("Saves: not measured (no benchmarks and no conformance times).")
    else:
        shown = " · ".join(
            f"`{e.column.backend.id}` {_times(ratios[e.column.key])}" for e in chosen
        )
        slower = "nothing, each takes longer: " if all(r >= 1 for r in ratios.values()) else ""
        lines.append(f"Saves ({basis}): {slower}{shown}.")
    lines.append(_conclusion(chosen, ratios))
    return lines


def _speed(chosen: list[Entry], reference: Entry | None) -> tuple[dict[str, float], str]:
    """Each stand-in's time against PostgreSQL's: per test when every one was benchmarked,
    else the conformance run's wall time; empty when neither was measured."""
    if all(e.rollback_ratio for e in chosen):
        per_test = reference.rollback_s if reference else None
        basis = "time per test under rollback isolation, against PostgreSQL's"
        if per_test:
            basis += f" {per_test * 1000:.3g} ms"
        return {e.column.key: e.rollback_ratio or 0.0 for e in chosen}, basis
    if all(e.suite_ratio for e in chosen):
        basis = "the conformance run's wall time, against PostgreSQL's"
        return {e.column.key: e.suite_ratio or 0.0 for e in chosen}, basis
    return {}, ""


def _conclusion(chosen: list[Entry], ratios: dict[str, float]) -> str:
    least = min(chosen, key=lambda e: len(e.false_confidence))
    named = f"`{least.column.backend.id}` misses least ({len(least.false_confidence)})"
    faster = [e for e in chosen if ratios.get(e.column.key, 1.0) < 1]
    if not ratios:
        return f"So: {named}; whether it saves time was not measured."
    if not faster:
        return (
            "So: run your tests on PostgreSQL: no stand-in is faster here, and each lets "
            f"some bugs through; if you must use one, {named}."
        )
    best = min(faster, key=lambda e: (len(e.false_confidence), ratios[e.column.key]))
    return (
        f"So: of the stand-ins that save time, `{best.column.backend.id}` misses least "
        f"({len(best.false_confidence)}, at {_times(ratios[best.column.key])} PostgreSQL's "
        "time); run those cases' behaviours on PostgreSQL too."
    )


def _times(ratio: float) -> str:
    return f"{ratio:.2g}\u00d7"


def _html(line: str) -> str:
    word, _, rest = line.partition(" ")
    return f"<strong>{word}</strong> {inline.html(rest)}"


def _md(line: str) -> str:
    """The line's lead word in bold (Misses, Saves, So), the rest with its code spans."""
    word, _, rest = line.partition(" ")
    return f"**{word}** " + inline.markdown(rest, str)
