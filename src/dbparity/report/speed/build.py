"""Building the speed report from benchmark runs: rows per benchmark, ratios to the reference
only between files from one machine, and the per-backend summaries (isolation strategies,
fixture overhead, calibration), plus shadow mode's cost when its file is among the inputs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from dbparity.report.speed.inputs import load_speed_input, session_time
from dbparity.report.speed.model import (
    BARE_SAVEPOINT_KEY,
    CALIBRATION_GROUP,
    GROUP_ORDER,
    ISOLATION_GROUP,
    LOOP_RUNNER_KEY,
    OVERHEAD_GROUP,
    REFERENCE,
    ROLLBACK_FIXTURE_KEY,
    STRATEGY_KEY,
    BenchRun,
    Cell,
    Group,
    OverheadCheck,
    Row,
    SessionTime,
    ShadowCost,
    SpeedInputError,
    SpeedReport,
    StrategyCosts,
)


def build_speed_report(
    bench_files: Iterable[Path],
    results_files: Iterable[Path] = (),
    reference: str = REFERENCE,
) -> SpeedReport:
    """Read the files and build the report (a pure function of their contents)."""
    inputs = [load_speed_input(Path(p)) for p in bench_files]
    runs = [i for i in inputs if isinstance(i, BenchRun)]
    costs = [i for i in inputs if isinstance(i, ShadowCost)]
    if len(costs) > 1:
        raise SpeedInputError(
            f"{costs[1].source}: a second shadow-cost file (after {costs[0].source}); "
            "pass one bench-shadow.json"
        )
    sessions = [session_time(Path(p)) for p in results_files]
    return speed_report_from_runs(runs, sessions, reference, costs[0] if costs else None)


def speed_report_from_runs(
    runs: list[BenchRun],
    sessions: list[SessionTime],
    reference: str = REFERENCE,
    shadow_cost: ShadowCost | None = None,
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
        shadow_cost=shadow_cost,
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
