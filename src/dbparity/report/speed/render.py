"""Rendering the speed report: ``speed.md`` and the speed section of ``index.html``, from one
context of already formatted values, so the two can never disagree."""

from __future__ import annotations

from typing import Any

import jinja2

from dbparity.report.speed.charts import bar_chart
from dbparity.report.speed.model import (
    GROUP_TITLES,
    OVERHEAD_TARGET,
    SHADOW_TARGET,
    TIMES,
    Cell,
    ShadowCost,
    SpeedReport,
)


def format_seconds(value: float) -> str:
    """A duration with a unit that keeps three significant digits readable."""
    unit, scale = next(
        ((u, s) for u, s in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)) if value >= s), ("ns", 1e-9)
    )
    number = value / scale
    digits = 0 if number >= 100 else 1 if number >= 10 else 2
    return f"{number:.{digits}f} {unit}"


def format_ratio(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}{TIMES}" if value < 10 else f"{value:.0f}{TIMES}"


def _cell_text(cell: Cell | None, reference: bool) -> dict[str, str]:
    if cell is None:
        return {"median": "—", "iqr": "", "ratio": ""}
    return {
        "median": format_seconds(cell.median),
        "iqr": format_seconds(cell.iqr),
        "ratio": "" if reference else format_ratio(cell.ratio),
    }


def _context(report: SpeedReport) -> dict[str, Any]:
    """Everything both templates show, already formatted."""
    backends = report.backends
    groups = []
    for group in report.groups:
        rows = [
            {
                "label": row.label,
                "key": row.key,
                "cells": [_cell_text(row.cells.get(b), b == report.reference) for b in backends],
            }
            for row in group.rows
        ]
        groups.append(
            {"name": group.name, "title": GROUP_TITLES.get(group.name, group.name), "rows": rows}
        )
    ratio_note = _ratio_note(report)
    return {
        "report": report,
        "backends": backends,
        "reference": report.reference,
        "groups": groups,
        "ratio_note": ratio_note,
        "machines": [m.describe() for m in report.machines],
        "runs": [
            {
                "backend": r.backend,
                "label": r.label,
                "server": r.server_version,
                "versions": ", ".join(f"{k} {v}" for k, v in r.driver_versions.items()),
                "machine": r.machine.describe(),
                "mode": r.mode or "unknown",
                "when": r.datetime,
                "pytest_benchmark": r.pytest_benchmark,
                "load": " → ".join(f"{x:.2f}" for x in r.load) or "not recorded",
            }
            for r in report.runs
        ],
        "busy": [r.backend for r in report.runs if r.busy],
        "measured": measured_under(report),
        "strategies": [
            {
                "backend": s.backend,
                "rollback": format_seconds(s.rollback),
                "times": {k: format_ratio(v) for k, v in s.times_cheaper.items()},
            }
            for s in report.strategies
        ],
        "overhead": [
            {
                "backend": o.backend,
                "fixture": format_seconds(o.rollback_fixture.median),
                "bare": format_seconds(o.bare_savepoint.median),
                "ratio": format_ratio(o.ratio),
                "verdict": "yes" if o.meets_target else "no",
            }
            for o in report.overhead
        ],
        "overhead_target": format_ratio(OVERHEAD_TARGET),
        "calibration": [
            {"backend": b, "median": format_seconds(m.median), "iqr": format_seconds(m.iqr)}
            for b, m in report.calibration.items()
        ],
        "shadow_cost": _shadow_cost(report.shadow_cost),
        "sessions": [
            {
                "backend": s.backend,
                "status": s.status,
                "wall": format_seconds(s.duration_s) if s.status == "run" else "not run",
                "workers": s.workers,
                "cases": s.cases,
                "machine": s.machine,
                "source": s.source,
            }
            for s in report.sessions
        ],
    }


def _shadow_cost(cost: ShadowCost | None) -> dict[str, Any] | None:
    """Shadow mode's cost, formatted; the ratio only when every run shares one machine."""
    if cost is None:
        return None
    ratio = cost.ratio
    loads = sorted(x for r in cost.runs for x in r.load)
    return {
        "backend": cost.backend,
        "shadow": cost.shadow,
        "server": cost.shadow_server,
        "alone": format_seconds(cost.alone_s),
        "with": format_seconds(cost.shadow_s),
        "ratio": format_ratio(ratio) if ratio is not None else None,
        "target": format_ratio(SHADOW_TARGET),
        "verdict": "yes" if ratio is not None and ratio <= SHADOW_TARGET else "no",
        "machines": cost.machines,
        "mode": cost.mode,
        "rounds": cost.rounds,
        "load": f"{loads[0]:.2f} to {loads[-1]:.2f}" if loads else "not recorded",
        "busy": cost.busy,
        "cpus": cost.cpus,
        "commands": cost.commands,
        "source": cost.source,
    }


def measured_under(report: SpeedReport) -> list[str]:
    """One line per machine: what it is and how loaded it was while measuring, so nobody takes
    these timings for universal ones."""
    lines = []
    for machine in report.machines:
        runs = [r for r in report.runs if r.machine == machine]
        loads = "; ".join(
            f"{r.backend} {' → '.join(f'{x:.2f}' for x in r.load) or 'not recorded'}" for r in runs
        )
        modes = ", ".join(sorted({r.mode or "unknown" for r in runs}))
        dates = sorted({r.datetime[:10] for r in runs if r.datetime})
        when = f" on {' to '.join(dict.fromkeys([dates[0], dates[-1]]))}" if dates else ""
        lines.append(
            f"{machine.describe()}{when}, {modes} rounds; one-minute load average while "
            f"measuring (start → end): {loads}"
        )
    return lines


def _ratio_note(report: SpeedReport) -> str:
    if not report.has_reference:
        return (
            f"No benchmarks of the reference ({report.reference}) are in these inputs, so no "
            "ratios are given."
        )
    left_out = [b for b, ok in report.comparable.items() if not ok]
    if left_out:
        return (
            f"These inputs come from {len(report.machines)} different machines. Ratios to "
            f"{report.reference} are given only for backends measured on its machine; "
            f"left out: {', '.join(left_out)}. Compare those timings only with care."
        )
    return (
        f"Every input comes from one machine, so each ratio is that backend's median over "
        f"{report.reference}'s (below 1{TIMES} is faster)."
    )


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("dbparity.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_markdown(report: SpeedReport) -> str:
    """``reports/speed.md``."""
    return _environment().get_template("speed.md.j2").render(**_context(report))


def render_html_section(report: SpeedReport) -> str:
    """The speed section for ``reports/index.html``: tables and one inline SVG chart a group."""
    charts = {g.name: bar_chart(g, report.backends) for g in report.groups}
    return (
        _environment()
        .get_template("speed_section.html.j2")
        .render(**_context(report), charts=charts)
    )
