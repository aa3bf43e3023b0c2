"""The speed report: what each backend costs, from pytest-benchmark JSON files and results files.

Input: one pytest-benchmark JSON per backend (``results/bench-<backend>.json``, written by the
``bench`` nox session through ``suites/bench``) and, optionally, the conformance results files
(for each session's wall time). Output: a :class:`SpeedReport`, rendered as markdown
(``reports/speed.md``) and as an HTML section with one SVG bar chart per group.

Timings are only compared when they come from one machine: a ratio between a laptop and a CI
runner says more about the hardware than about the database. Two files count as the same
machine when the fields that change timings agree (:data:`MACHINE_FIELDS`); otherwise the report
says so and leaves those ratios out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import pygal  # type: ignore[import-untyped]
from pygal.style import Style  # type: ignore[import-untyped]

from dbparity import results as results_format

REFERENCE = "postgres-asyncpg"
TIMES = "\u00d7"  # the multiplication sign, as in "2.5 times"

# Group and benchmark names the suites in suites/bench use; the report's summaries look for them.
ISOLATION_GROUP = "isolation"
OVERHEAD_GROUP = "rollback overhead"
CALIBRATION_GROUP = "calibration"
OPERATIONS_GROUP = "operations"
GROUP_ORDER = (ISOLATION_GROUP, OVERHEAD_GROUP, OPERATIONS_GROUP, CALIBRATION_GROUP)
STRATEGY_KEY = "test_strategy[{}]"
ROLLBACK_FIXTURE_KEY = "test_rollback_fixture"
BARE_SAVEPOINT_KEY = "test_bare_savepoint"
LOOP_RUNNER_KEY = "test_loop_runner"
OVERHEAD_TARGET = 3.0  # the rollback fixture may cost at most this many bare round trips

# machine_info fields that change timings. Not 'release' or 'processor' strings that differ
# between identical hosts: the host, its CPU model and count, and the interpreter.
MACHINE_FIELDS = ("node", "cpu", "cpus", "arch", "python")


class SpeedInputError(ValueError):
    """A benchmark file the report cannot use; the message names the file and what to do."""


@dataclass(frozen=True)
class Machine:
    node: str
    cpu: str
    cpus: int
    arch: str
    python: str

    def describe(self) -> str:
        cpu = self.cpu or "unknown CPU"
        return f"{self.node} · {cpu} ({self.cpus} CPUs) · {self.arch} · {self.python}"


@dataclass(frozen=True)
class Measurement:
    """One benchmark's statistics, in seconds."""

    median: float
    iqr: float
    q1: float
    q3: float
    rounds: int
    label: str


@dataclass
class BenchRun:
    """One pytest-benchmark JSON: one backend's benchmarks on one machine."""

    source: str
    backend: str
    label: str
    machine: Machine
    server_version: str
    driver_versions: dict[str, str]
    mode: str
    datetime: str
    pytest_benchmark: str
    groups: dict[str, dict[str, Measurement]]
    load: tuple[float, ...] = ()  # one-minute load average at the start and the end, if known

    @property
    def busy(self) -> bool:
        """Was the machine running more than it has CPUs for (so the timings are inflated)?"""
        return bool(self.load) and self.machine.cpus > 0 and max(self.load) > self.machine.cpus


@dataclass(frozen=True)
class Cell:
    median: float
    iqr: float
    rounds: int
    ratio: float | None  # median / the reference's median; None when not comparable


@dataclass
class Row:
    key: str
    label: str
    cells: dict[str, Cell]  # by backend id; a backend without this benchmark has no entry


@dataclass
class Group:
    name: str
    rows: list[Row]


@dataclass(frozen=True)
class StrategyCosts:
    """How many times cheaper rollback is than each other strategy, on one backend."""

    backend: str
    rollback: float
    times_cheaper: dict[str, float]  # strategy -> its median / rollback's median


@dataclass(frozen=True)
class OverheadCheck:
    backend: str
    rollback_fixture: Measurement
    bare_savepoint: Measurement

    @property
    def ratio(self) -> float:
        return self.rollback_fixture.median / self.bare_savepoint.median

    @property
    def meets_target(self) -> bool:
        return self.ratio <= OVERHEAD_TARGET


@dataclass(frozen=True)
class SessionTime:
    """One conformance session's wall time, from its results file."""

    backend: str
    status: str
    duration_s: float
    workers: int
    cases: int
    machine: str
    source: str


@dataclass
class SpeedReport:
    runs: list[BenchRun]
    reference: str
    groups: list[Group]
    machines: list[Machine]
    comparable: dict[str, bool]  # backend -> ratios to the reference computed?
    strategies: list[StrategyCosts]
    overhead: list[OverheadCheck]
    calibration: dict[str, Measurement]  # backend -> the loop runner's no-op
    sessions: list[SessionTime] = field(default_factory=list)

    @property
    def backends(self) -> list[str]:
        return [run.backend for run in self.runs]

    @property
    def same_machine(self) -> bool:
        return len(self.machines) <= 1

    @property
    def has_reference(self) -> bool:
        return self.reference in self.backends


# --- reading ------------------------------------------------------------------------------


def load_bench_file(path: Path) -> BenchRun:
    """Read one pytest-benchmark JSON written by the dbparity bench suites."""
    try:
        raw = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise SpeedInputError(f"{path}: no such benchmark file; run `nox -s bench`") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SpeedInputError(f"{path}: not valid JSON ({exc}); is it truncated?") from None
    return bench_run_from_json(raw, str(path))


def bench_run_from_json(raw: Any, source: str) -> BenchRun:
    if not isinstance(raw, dict) or not isinstance(raw.get("benchmarks"), list):
        raise SpeedInputError(
            f"{source}: not a pytest-benchmark JSON file (no 'benchmarks' list); "
            "write one with --benchmark-json"
        )
    info = raw.get("machine_info") or {}
    dbparity = info.get("dbparity") or {}
    backend = dbparity.get("backend") or _backend_from_extra_info(raw["benchmarks"], source)
    groups: dict[str, dict[str, Measurement]] = {}
    for entry in raw["benchmarks"]:
        try:
            stats = entry["stats"]
            name = str(entry["name"])
            extra = entry.get("extra_info") or {}
            measurement = Measurement(
                median=float(stats["median"]),
                iqr=float(stats["iqr"]),
                q1=float(stats["q1"]),
                q3=float(stats["q3"]),
                rounds=int(stats["rounds"]),
                label=str(extra.get("label") or name),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SpeedInputError(
                f"{source}: benchmark {entry.get('name', '?')!r} has no usable stats ({exc})"
            ) from None
        group = groups.setdefault(str(entry.get("group") or "ungrouped"), {})
        group[name] = measurement
    cpu = info.get("cpu") or {}
    machine = Machine(
        node=str(info.get("node", "")),
        cpu=str(cpu.get("brand_raw", "")),
        cpus=int(cpu.get("count") or 0),
        arch=str(info.get("machine", "")),
        python=f"{info.get('python_implementation', '')} {info.get('python_version', '')}".strip(),
    )
    return BenchRun(
        source=source,
        backend=str(backend),
        label=str(dbparity.get("label") or backend),
        machine=machine,
        server_version=str(dbparity.get("server_version", "")),
        driver_versions={
            str(k): str(v) for k, v in (dbparity.get("driver_versions") or {}).items()
        },
        mode=str(dbparity.get("mode", "")),
        datetime=str(raw.get("datetime", "")),
        pytest_benchmark=str(raw.get("version", "")),
        groups=groups,
        load=tuple(float(x) for x in dbparity.get("load") or () if isinstance(x, int | float)),
    )


def _backend_from_extra_info(benchmarks: list[Any], source: str) -> str:
    found = {
        str((b.get("extra_info") or {}).get("backend"))
        for b in benchmarks
        if isinstance(b, dict) and (b.get("extra_info") or {}).get("backend")
    }
    if len(found) != 1:
        raise SpeedInputError(
            f"{source}: cannot tell which backend these benchmarks ran on (machine_info.dbparity"
            f".backend missing; extra_info.backend gives {sorted(found) or 'nothing'}); run them "
            "with `pytest suites/bench --backend ID`"
        )
    return found.pop()


# --- building -----------------------------------------------------------------------------


def build_speed_report(
    bench_files: Iterable[Path],
    results_files: Iterable[Path] = (),
    reference: str = REFERENCE,
) -> SpeedReport:
    """Read the files and build the report (a pure function of their contents)."""
    runs = [load_bench_file(Path(p)) for p in bench_files]
    sessions = [_session_time(Path(p)) for p in results_files]
    return speed_report_from_runs(runs, sessions, reference)


def speed_report_from_runs(
    runs: list[BenchRun], sessions: list[SessionTime], reference: str = REFERENCE
) -> SpeedReport:
    seen: dict[str, str] = {}
    for run in runs:
        if run.backend in seen:
            raise SpeedInputError(
                f"{run.source}: backend {run.backend!r} is also in {seen[run.backend]}; "
                "pass one benchmark file per backend"
            )
        seen[run.backend] = run.source
    if not runs:
        raise SpeedInputError("no benchmark files given; run `nox -s bench` first")
    runs = sorted(runs, key=lambda r: (r.backend != reference, r.backend))
    machines = list(dict.fromkeys(run.machine for run in runs))
    ref_run = next((r for r in runs if r.backend == reference), None)
    comparable = {
        run.backend: ref_run is not None and run.machine == ref_run.machine for run in runs
    }
    group_names = sorted(
        {g for run in runs for g in run.groups},
        key=lambda g: (GROUP_ORDER.index(g) if g in GROUP_ORDER else len(GROUP_ORDER), g),
    )
    groups = []
    for name in group_names:
        keys = list(dict.fromkeys(k for run in runs for k in run.groups.get(name, {})))
        rows = []
        for key in keys:
            label = next(r.groups[name][key].label for r in runs if key in r.groups.get(name, {}))
            ref = ref_run.groups.get(name, {}).get(key) if ref_run else None
            cells = {}
            for run in runs:
                m = run.groups.get(name, {}).get(key)
                if m is None:
                    continue
                ratio = m.median / ref.median if ref and comparable[run.backend] else None
                cells[run.backend] = Cell(m.median, m.iqr, m.rounds, ratio)
            rows.append(Row(key, label, cells))
        groups.append(Group(name, rows))
    return SpeedReport(
        runs=runs,
        reference=reference,
        groups=groups,
        machines=machines,
        comparable=comparable,
        strategies=[s for s in map(_strategy_costs, runs) if s],
        overhead=[o for o in map(_overhead, runs) if o],
        calibration={
            r.backend: r.groups[CALIBRATION_GROUP][LOOP_RUNNER_KEY]
            for r in runs
            if LOOP_RUNNER_KEY in r.groups.get(CALIBRATION_GROUP, {})
        },
        sessions=sorted(sessions, key=lambda s: (s.backend != reference, s.backend, s.source)),
    )


def _strategy_costs(run: BenchRun) -> StrategyCosts | None:
    """Within one file, so always one machine: fine to compare whatever the other files are."""
    group = run.groups.get(ISOLATION_GROUP, {})
    rollback = group.get(STRATEGY_KEY.format("rollback"))
    if rollback is None:
        return None
    times = {
        strategy: group[STRATEGY_KEY.format(strategy)].median / rollback.median
        for strategy in ("truncate", "clone", "recreate")
        if STRATEGY_KEY.format(strategy) in group
    }
    return StrategyCosts(run.backend, rollback.median, times)


def _overhead(run: BenchRun) -> OverheadCheck | None:
    group = run.groups.get(OVERHEAD_GROUP, {})
    if ROLLBACK_FIXTURE_KEY in group and BARE_SAVEPOINT_KEY in group:
        return OverheadCheck(run.backend, group[ROLLBACK_FIXTURE_KEY], group[BARE_SAVEPOINT_KEY])
    return None


def _session_time(path: Path) -> SessionTime:
    try:
        results = results_format.load(path)
    except results_format.ResultsFileError as exc:
        raise SpeedInputError(str(exc)) from None
    return SessionTime(
        backend=results.backend.id,
        status=results.run.status,
        duration_s=results.run.duration_s,
        workers=results.run.workers,
        cases=len(results.cases),
        machine=results.run.machine,
        source=str(path),
    )


# --- formatting ---------------------------------------------------------------------------


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
            {"name": group.name, "title": _GROUP_TITLES.get(group.name, group.name), "rows": rows}
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


_GROUP_TITLES = {
    ISOLATION_GROUP: "Isolation strategies (one test's life, with fixture data)",
    OVERHEAD_GROUP: "Rollback fixture against a bare savepoint round trip",
    OPERATIONS_GROUP: "Operations",
    CALIBRATION_GROUP: "Calibration (the harness's own cost)",
}


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
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
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


def speed_report(bench_files: Iterable[Path], results_files: Iterable[Path]) -> tuple[str, str]:
    """``(speed.md, the HTML speed section)`` from the files: what ``dbparity report`` writes."""
    report = build_speed_report(bench_files, results_files)
    return render_markdown(report), render_html_section(report)


# --- charts -------------------------------------------------------------------------------

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
        title=f"{_GROUP_TITLES.get(group.name, group.name)}: median, {unit}"
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
    svg = str(chart.render(is_unicode=True))
    # pygal always embeds its tooltip configuration as a script; without its (external)
    # tooltip library that script does nothing, and a static report should run no code.
    svg = re.sub(r"<script\b.*?</script>", "", svg, flags=re.S)
    slug = re.sub(r"[^a-z0-9]+", "-", group.name.lower()).strip("-")
    return svg.replace(str(chart.uuid), f"speed-{slug}")


def _chart_unit(largest: float) -> tuple[str, float]:
    if largest >= 1:
        return "s", 1.0
    if largest >= 1e-3:
        return "ms", 1e-3
    return "µs", 1e-6


def ratios_by_backend(report: SpeedReport, group: str) -> Mapping[str, dict[str, float | None]]:
    """``{backend: {benchmark key: ratio}}`` for one group: a convenience for callers and tests."""
    out: dict[str, dict[str, float | None]] = {b: {} for b in report.backends}
    for g in report.groups:
        if g.name != group:
            continue
        for row in g.rows:
            for backend, cell in row.cells.items():
                out[backend][row.key] = cell.ratio
    return out
