""" "Which stand-in should I use?": agreement with PostgreSQL against speed, per backend.

One short entry per stand-in (any column whose server is not a PostgreSQL server: SQLite in its
variants, PGlite): how many of the cases that ran agree with PostgreSQL, the false-confidence
differences that remain (tests that pass on the stand-in and would fail in production), the
conformance session's wall time and the per-test isolation cost (the rollback strategy's median
from the benchmarks) against PostgreSQL's; for a backend file with SQLite settings, which
divergences each setting removes and adds. Then one chart of agreement against speed with every
column, PostgreSQL on each driver included.

The numbers come from the merged results and the speed report; the per-setting attribution from
the backend files (``[removes]``/``[adds]``, each claim checked by tests/test_sqlite_settings.py).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path

import pygal  # type: ignore[import-untyped]
from pygal.style import Style  # type: ignore[import-untyped]

from dbparity.backends import BackendConfigError, find_backends_dir, load_backends
from dbparity.report import inline
from dbparity.report.findings import anchor, base_id, stand_ins
from dbparity.report.merge import Column, Merged
from dbparity.report.sections import Section
from dbparity.report.speed import SpeedReport
from dbparity.report.speed.model import ISOLATION_GROUP, STRATEGY_KEY, TIMES
from dbparity.report.svg import static_svg

SECTION_ID = "standins"
TITLE = "Stand-ins compared"
#: The heading's anchor on GitHub (the markdown report links it from the answer at the top).
MARKDOWN_ANCHOR = "stand-ins-compared"
LISTED = 8  # false-confidence cases named per stand-in; the rest are counted
_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family="system-ui, sans-serif",
    title_font_size=16,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    colors=("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"),
)


@dataclass
class Entry:
    column: Column
    stand_in: bool
    agrees: int
    checked: int
    false_confidence: list[tuple[str, str]] = field(default_factory=list)  # (case id, title)
    suite_s: float = 0.0
    suite_ratio: float | None = None
    rollback_s: float | None = None
    rollback_ratio: float | None = None
    removes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    adds: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.column.backend.label

    @property
    def share(self) -> float | None:
        return self.agrees / self.checked if self.checked else None


def standins_section(
    merged: Merged, speed: SpeedReport | None, backends_dir: Path | None = None
) -> Section | None:
    entries = build_entries(merged, speed, backends_dir)
    if not any(e.stand_in for e in entries):
        return None
    return Section(SECTION_ID, render_markdown(entries), render_html(entries))


def build_entries(
    merged: Merged, speed: SpeedReport | None, backends_dir: Path | None = None
) -> list[Entry]:
    found = stand_ins(merged)
    # The reference, then the stand-ins in the differences' order (the usual one first).
    order = {s.column.key: n for n, s in enumerate(found, 1)}
    columns = sorted(
        (c for c in merged.columns if c.status == "run"),
        key=lambda c: 0 if c.backend.reference else order.get(c.key, len(order) + 1),
    )
    fc = {s.column.key: s.groups.get("false-confidence", []) for s in found}
    attributions = _attributions(backends_dir)
    reference = next((c for c in columns if c.backend.reference), None)
    reference_s = _suite_seconds(reference) if reference else 0.0
    rollback = _rollback_medians(speed)
    reference_rollback = rollback.get(reference.backend.id) if reference else None
    entries = []
    for column in columns:
        if _on_the_version_axis(column, reference):
            continue  # PostgreSQL at other versions has a section of its own
        suite_s = _suite_seconds(column)
        rollback_s = rollback.get(column.backend.id)
        removes, adds = attributions.get(column.backend.id, ({}, {}))
        entries.append(
            Entry(
                column=column,
                stand_in=not column.server_version.startswith("PostgreSQL"),
                agrees=column.agrees,
                checked=column.checked,
                false_confidence=[(f.case, f.title) for f in fc.get(column.key, [])],
                suite_s=suite_s,
                suite_ratio=suite_s / reference_s if reference_s else None,
                rollback_s=rollback_s,
                rollback_ratio=(
                    rollback_s / reference_rollback if rollback_s and reference_rollback else None
                ),
                removes=removes,
                adds=adds,
            )
        )
    return entries


def _on_the_version_axis(column: Column, reference: Column | None) -> bool:
    """A PostgreSQL run at another server version than the reference's: the question here is
    which stand-in to use, and the benchmarks (one per backend) were not run at that version."""
    return (
        reference is not None
        and not column.backend.reference
        and column.server_version.startswith("PostgreSQL")
        and column.server_version != reference.server_version
    )


def _suite_seconds(column: Column) -> float:
    return sum(shard.duration_s for shard in column.shards)


def _rollback_medians(speed: SpeedReport | None) -> dict[str, float]:
    if speed is None:
        return {}
    key = STRATEGY_KEY.format("rollback")
    for group in speed.groups:
        if group.name == ISOLATION_GROUP:
            for row in group.rows:
                if row.key == key:
                    return {backend: cell.median for backend, cell in row.cells.items()}
    return {}


def _attributions(
    backends_dir: Path | None,
) -> dict[str, tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]]:
    """Per backend id, what each SQLite setting removes and adds, from the backend files
    (those of ``backends_dir``; without it, where ``dbparity`` finds them)."""
    try:
        backends = load_backends(find_backends_dir(backends_dir)[0])
    except BackendConfigError:
        return {}
    return {b.id: (b.removes, b.adds) for b in backends.values() if b.removes or b.adds}


# --- markdown -------------------------------------------------------------------------------


def _folded(cases: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One (case, title) per behaviour: the first variant of a parametrised case."""
    first: dict[str, tuple[str, str]] = {}
    for case, title in cases:
        first.setdefault(base_id(case), (case, title))
    return list(first.values())


def _plain(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _pct(entry: Entry) -> str:
    share = entry.share
    return f"{entry.agrees} of {entry.checked} ({share:.0%})" if share is not None else "none"


def _ratio(value: float | None) -> str:
    return f"{value:.2g}{TIMES}" if value is not None else "n/a"


def _seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value * 1000:.3g} ms" if value < 1 else f"{value:.1f} s"


def render_markdown(entries: list[Entry]) -> str:
    lines = [
        f"## {TITLE}",
        "",
        "Agreement counts the cases that ran on both sides. Speed is this run's conformance "
        "session (wall time) and one test's isolation under the rollback fixture (benchmark "
        "median), each against PostgreSQL (asyncpg).",
        "",
        "| Backend | Agrees with PostgreSQL | False confidence left | Suites | vs PostgreSQL "
        "| Rollback per test | vs PostgreSQL |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        lines.append(
            f"| {e.label} | {_pct(e)} | {len(e.false_confidence) if e.stand_in else '-'} "
            f"| {_seconds(e.suite_s)} | {_ratio(e.suite_ratio)} | {_seconds(e.rollback_s)} "
            f"| {_ratio(e.rollback_ratio)} |"
        )
    for e in (e for e in entries if e.stand_in):
        lines += ["", f"### {e.label}", ""]
        lines.append(
            f"Agrees with PostgreSQL on {_pct(e)} cases that ran; the suites took "
            f"{_seconds(e.suite_s)} ({_ratio(e.suite_ratio)} PostgreSQL's), a test's rollback "
            f"isolation {_seconds(e.rollback_s)} ({_ratio(e.rollback_ratio)})."
        )
        if e.false_confidence:
            lines += ["", f"False confidence left ({len(e.false_confidence)}):", ""]
            listed = _folded(e.false_confidence)
            lines += [f"- [{inline.markdown(t, _plain)}](#{anchor(c)})" for c, t in listed[:LISTED]]
            if len(listed) > LISTED:
                lines.append(f"- and {len(listed) - LISTED} more behaviours (see above)")
        else:
            lines += ["", "No false-confidence difference left."]
        if e.removes or e.adds:
            lines += ["", "| Setting | Removes | Adds |", "|---|---|---|"]
            for setting in sorted({*e.removes, *e.adds}):
                removed = ", ".join(f"`{c}`" for c in e.removes.get(setting, ())) or "-"
                added = ", ".join(f"`{c}`" for c in e.adds.get(setting, ())) or "-"
                lines.append(f"| `{setting}` | {removed} | {added} |")
    lines += ["", "The chart of agreement against speed is in index.html.", ""]
    return "\n".join(lines)


# --- HTML -----------------------------------------------------------------------------------


def render_html(entries: list[Entry]) -> str:
    """The same content as the markdown, plus the chart (inline SVG, no script)."""
    esc = html.escape
    rows = "".join(
        f"<tr><th scope='row'>{esc(e.label)}</th><td>{esc(_pct(e))}</td>"
        f"<td>{len(e.false_confidence) if e.stand_in else '-'}</td>"
        f"<td>{esc(_seconds(e.suite_s))}</td><td>{esc(_ratio(e.suite_ratio))}</td>"
        f"<td>{esc(_seconds(e.rollback_s))}</td><td>{esc(_ratio(e.rollback_ratio))}</td></tr>"
        for e in entries
    )
    parts = [
        f"<h2>{esc(TITLE)}</h2>",
        "<table><thead><tr><th scope='col'>Backend</th><th scope='col'>Agrees with PostgreSQL"
        "</th><th scope='col'>False confidence left</th><th scope='col'>Suites</th>"
        "<th scope='col'>vs PostgreSQL</th><th scope='col'>Rollback per test</th>"
        f"<th scope='col'>vs PostgreSQL</th></tr></thead><tbody>{rows}</tbody></table>",
        chart(entries),
    ]
    for e in (e for e in entries if e.stand_in):
        listed = _folded(e.false_confidence)
        items = "".join(
            f"<li><a href='#{esc(anchor(c))}'>{inline.html(t)}</a></li>" for c, t in listed[:LISTED]
        )
        more = len(listed) - LISTED
        if more > 0:
            items += f"<li>and {more} more behaviours</li>"
        parts.append(
            f"<h3>{esc(e.label)}</h3><p>Agrees with PostgreSQL on {esc(_pct(e))} cases that "
            f"ran. False confidence left: {len(e.false_confidence)}.</p>"
            + (f"<ul>{items}</ul>" if items else "")
        )
        if e.removes or e.adds:
            body = "".join(
                f"<tr><th scope='row'><code>{esc(s)}</code></th>"
                f"<td>{esc(', '.join(e.removes.get(s, ())) or '-')}</td>"
                f"<td>{esc(', '.join(e.adds.get(s, ())) or '-')}</td></tr>"
                for s in sorted({*e.removes, *e.adds})
            )
            parts.append(
                "<table><thead><tr><th scope='col'>Setting</th><th scope='col'>Removes</th>"
                f"<th scope='col'>Adds</th></tr></thead><tbody>{body}</tbody></table>"
            )
    return "\n".join(parts)


def chart(entries: list[Entry]) -> str:
    """Agreement (%) against per-test speed: the rollback median where benchmarks ran, else
    the conformance session's time per case. One point per backend; log scale on speed."""
    use_bench = all(e.rollback_s for e in entries)
    points = []
    for e in entries:
        share = e.share
        if share is None:
            continue
        seconds = e.rollback_s if use_bench else (e.suite_s / e.checked if e.checked else None)
        if seconds:
            points.append((e.label, seconds * 1000, share * 100))
    if not points:
        return ""
    what = "rollback per test" if use_bench else "conformance time per case"
    # pygal's logarithmic option would scale both axes; take the logarithm of speed by hand.
    low = math.floor(math.log10(min(x for _, x, _ in points)))
    high = math.ceil(math.log10(max(x for _, x, _ in points)))
    ticks = [m * 10**e for e in range(low, high + 1) for m in (1, 2, 5)]
    xy = pygal.XY(
        style=_STYLE,
        js=(),
        disable_xml_declaration=True,
        stroke=False,
        width=900,
        height=520,
        dots_size=7,
        range=(0, 100),  # the whole scale: no exaggerated gaps between stand-ins
        xrange=(low, high),
        x_labels=[math.log10(t) for t in ticks],
        x_value_formatter=lambda v: f"{10**v:.4g}",
        legend_at_bottom_columns=2,
        title=f"Agreement with PostgreSQL against speed ({what}, ms, log scale)",
        x_title=f"{what} (ms)",
        y_title="agrees with PostgreSQL (%)",
        legend_at_bottom=True,
        truncate_legend=-1,
    )
    for label, x, y in points:
        xy.add(label, [(math.log10(x), y)])
    return static_svg(xy, "standins-chart")
