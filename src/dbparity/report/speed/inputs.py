"""Reading the speed report's inputs: pytest-benchmark JSON files written by the dbparity
bench suites, and conformance results files (for each session's wall time). Each refusal is a
:class:`SpeedInputError` naming the file and what to do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dbparity import results as results_format
from dbparity.report.speed.model import BenchRun, Machine, Measurement, SessionTime, SpeedInputError


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
