"""The speed section's charts: one static SVG bar chart per benchmark group (pygal)."""

from __future__ import annotations

import re

import pygal  # type: ignore[import-untyped]
from pygal.style import Style  # type: ignore[import-untyped]

from dbparity.report.speed.model import GROUP_TITLES, Group
from dbparity.report.svg import static_svg

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family="system-ui, sans-serif",
    colors=("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"),
)


def bar_chart(group: Group, backends: list[str]) -> str:
    """An inline SVG: one bar per backend for each benchmark of the group (medians).

    A logarithmic axis when the group spans more than two orders of magnitude, else the fast
    rows would be invisible. No script and no external assets, so the page stays
    self-contained; the chart id is derived from the group name, so output is reproducible."""
    medians = [c.median for row in group.rows for c in row.cells.values() if c.median > 0]
    if not medians:
        return ""
    unit, scale = _chart_unit(max(medians))
    logarithmic = max(medians) / min(medians) > 100
    chart = pygal.HorizontalBar(
        style=_STYLE,
        js=(),
        disable_xml_declaration=True,
        logarithmic=logarithmic,
        width=800,
        height=max(220, 40 + 22 * len(group.rows) * max(1, len(backends))),
        title=f"{GROUP_TITLES.get(group.name, group.name)}: median, {unit}"
        + (" (log scale)" if logarithmic else ""),
        legend_at_bottom=True,
        truncate_label=-1,
        truncate_legend=-1,
        value_formatter=lambda v: f"{v:.3g} {unit}",
    )
    rows = group.rows[::-1]  # horizontal bars are drawn bottom-up; read top-down like the table
    chart.x_labels = [row.label for row in rows]
    for backend in backends:
        chart.add(
            backend,
            [row.cells[backend].median / scale if backend in row.cells else None for row in rows],
        )
    slug = re.sub(r"[^a-z0-9]+", "-", group.name.lower()).strip("-")
    return static_svg(chart, f"speed-{slug}")


def _chart_unit(largest: float) -> tuple[str, float]:
    if largest >= 1:
        return "s", 1.0
    if largest >= 1e-3:
        return "ms", 1e-3
    return "µs", 1e-6
