"""Reading the speed report's inputs: pytest-benchmark JSON files written by the dbparity
bench suites, shadow mode's cost (``bench-shadow.json``, written by ``dbparity.shadow_bench``),
and conformance results files (for each session's wall time). Each refusal is a
:class:`SpeedInputError` naming the file and what to do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dbparity import results as results_format
from dbparity.report.speed.model import (
    BenchRun,
    Machine,
    Measurement,
    SessionTime,
    ShadowCost,
    ShadowRun,
    SpeedInputError,
)
from dbparity.shadow_bench import FORMAT as SHADOW_FORMAT
from dbparity.shadow_bench import SIDES

#: The name the ``bench`` session gives shadow mode's cost, among the bench-*.json files.
SHADOW_COST_NAME = "bench-shadow.json"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise SpeedInputError(f"{path}: no such benchmark file; run `nox -s bench`") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SpeedInputError(f"{path}: not valid JSON ({exc}); is it truncated?") from None


def load_bench_file(path: Path) -> BenchRun:
    """Read one pytest-benchmark JSON written by the dbparity bench suites."""
    return bench_run_from_json(_read_json(path), str(path))


def load_speed_input(path: Path) -> BenchRun | ShadowCost:
    """A benchmark file or shadow mode's cost: told by its name or its ``format``."""
    raw = _read_json(path)
    if Path(path).name == SHADOW_COST_NAME or (
        isinstance(raw, dict) and raw.get("format") == SHADOW_FORMAT
    ):
        return shadow_cost_from_json(raw, str(path))
    return bench_run_from_json(raw, str(path))


def shadow_cost_from_json(raw: Any, source: str) -> ShadowCost:
    """Validate ``bench-shadow.json``: every field the report shows, with its type."""

    def refuse(what: str) -> SpeedInputError:
        return SpeedInputError(
            f"{source}: not a usable shadow-cost file ({what}); write it again with "
            "`nox -s bench` (python -m dbparity.shadow_bench)"
        )

    if not isinstance(raw, dict) or raw.get("format") != SHADOW_FORMAT:
        found = raw.get("format") if isinstance(raw, dict) else type(raw).__name__
        raise refuse(f"format {found!r}, expected {SHADOW_FORMAT!r}")
    for key in ("mode", "backend", "shadow", "shadow_server"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise refuse(f"{key!r} is not a non-empty string")
    if not isinstance(raw.get("cpus"), int):
        raise refuse("'cpus' is not a number of CPUs")
    commands = raw.get("commands")
    if not isinstance(commands, dict) or any(
        not isinstance(commands.get(side), str) for side in SIDES
    ):
        raise refuse(f"'commands' does not give a command for each of {', '.join(SIDES)}")
    if not isinstance(raw.get("runs"), list):
        raise refuse("no 'runs' list")
    runs = []
    for index, entry in enumerate(raw["runs"]):
        try:
            duration = entry["duration_s"]
            load = entry.get("load", [])
            if (
                entry["side"] not in SIDES
                or not isinstance(duration, int | float)
                or isinstance(duration, bool)
                or duration <= 0
                or not isinstance(entry["machine"], str)
                or not all(isinstance(x, int | float) for x in load)
            ):
                raise ValueError
        except (KeyError, TypeError, ValueError, AttributeError):
            raise refuse(
                f"run {index} needs a side ({' or '.join(SIDES)}), a positive duration_s, "
                "a machine and load numbers"
            ) from None
        runs.append(ShadowRun(entry["side"], float(duration), entry["machine"], tuple(load)))
    missing = [side for side in SIDES if not any(r.side == side for r in runs)]
    if missing:
        raise refuse(f"no {' or '.join(missing)} run")
    return ShadowCost(
        source=Path(source).name,  # the name, so reports do not depend on the folder
        mode=raw["mode"],
        backend=raw["backend"],
        shadow=raw["shadow"],
        shadow_server=raw["shadow_server"],
        cpus=raw["cpus"],
        commands={side: commands[side] for side in SIDES},
        runs=tuple(runs),
    )


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


def session_time(path: Path) -> SessionTime:
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
        source=path.name,  # the name, not where it sits, so reports do not depend on the folder
    )
