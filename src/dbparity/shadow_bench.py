"""Shadow mode's cost: one suite on a stand-in without and with ``--dbparity-shadow``, back to
back on one machine, written as ``bench-shadow.json`` for the speed report.

    python -m dbparity.shadow_bench -o results/bench-shadow.json [--mode short|full]
        [--backend sqlite-memory] [--shadow postgres-asyncpg] [--keep DIR] -- PYTEST_ARGS...

Why not a pytest-benchmark case in ``suites/bench``: the shadow's cost is a whole session's (its
server's start, its thread, every statement run twice), so this runs whole pytest sessions and
takes each one's duration from its own results file (``run.duration_s``, the plugin's clock),
never from a timer of its own. Rounds alternate (alone, shadow, alone, ...), so a machine's
load drifts into both sides alike; the report takes each side's median. A run that did not
finish, or whose shadow did not run, writes no file: a figure without the shadow would lie.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from dbparity import results as results_format

#: The file's format: the speed report reads it (``dbparity.report.speed.inputs``).
FORMAT = "dbparity-shadow-bench/1"
#: Rounds of each side by bench mode (the ``bench`` nox session's DBPARITY_BENCH_MODE).
ROUNDS = {"short": 1, "full": 3}
#: Sides of the measurement, in the order each round runs them.
SIDES = ("alone", "shadow")


class ShadowBenchError(RuntimeError):
    """A run the measurement cannot use; the message says which and why, in one line."""


def command(pytest_args: list[str], backend: str, shadow: str, side: str) -> list[str]:
    """The pytest command of one side (without its results file, which is the measurement's)."""
    extra = [f"--dbparity-shadow={shadow}"] if side == "shadow" else []
    return ["pytest", *pytest_args, f"--backend={backend}", *extra, "-p", "no:randomly", "-q"]


def measure(
    pytest_args: list[str],
    *,
    backend: str,
    shadow: str,
    mode: str,
    workdir: Path,
) -> dict[str, Any]:
    """Run both sides ``ROUNDS[mode]`` times, alternating, and return the file's content."""
    runs: list[dict[str, Any]] = []
    shadow_server = ""
    for number in range(1, ROUNDS[mode] + 1):
        for side in SIDES:
            output = workdir / f"{side}-{number}.json"
            output.unlink(missing_ok=True)  # never read a previous measurement's file
            argv = command(pytest_args, backend, shadow, side)
            load_before = os.getloadavg()[0]
            done = subprocess.run(
                [sys.executable, "-m", *argv, f"--dbparity-results={output}"],
                capture_output=True,
                text=True,
                check=False,
            )
            load_after = os.getloadavg()[0]
            results = _finished(output, side, done)
            run = results.run
            if side == "shadow":
                shadow_server = run.shadow.get("server_version", "")
            runs.append(
                {
                    "side": side,
                    "round": number,
                    "duration_s": run.duration_s,
                    "machine": run.machine,
                    "load": [round(load_before, 2), round(load_after, 2)],
                    "exit_status": run.exit_status,
                    "cases": len(results.cases),
                }
            )
            print(f"shadow bench: {side} round {number}: {run.duration_s:.2f} s", flush=True)
    counts = sorted({run["cases"] for run in runs})
    if len(counts) != 1:
        raise ShadowBenchError(
            f"the runs collected different numbers of tests ({counts}); measure one suite"
        )
    return {
        "format": FORMAT,
        "mode": mode,
        "backend": backend,
        "shadow": shadow,
        "shadow_server": shadow_server,
        "cpus": os.cpu_count() or 0,
        "commands": {
            side: shlex.join(command(pytest_args, backend, shadow, side)) for side in SIDES
        },
        "runs": runs,
    }


def _finished(
    output: Path, side: str, done: subprocess.CompletedProcess[str]
) -> results_format.Results:
    """The run's results when it finished and, on the shadow side, the
    shadow ran; otherwise a :class:`ShadowBenchError`."""
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    tail = lines[-1].strip() if lines else "(no output)"
    try:
        results = results_format.load(output)
    except results_format.ResultsFileError as exc:
        raise ShadowBenchError(
            f"{side} run wrote no usable results (pytest exit {done.returncode}: {exc}); "
            f"its last line: {tail}"
        ) from None
    run = results.run
    if run.status != "run" or run.exit_status not in (0, 1):
        raise ShadowBenchError(
            f"{side} run did not finish (status {run.status}, exit {run.exit_status}"
            f"{': ' + run.reason if run.reason else ''}); its last line: {tail}"
        )
    if side == "shadow" and (not run.shadow.get("server_version") or run.shadow.get("reason")):
        raise ShadowBenchError(
            f"the shadow did not run ({run.shadow.get('reason') or 'no shadow recorded'}); "
            "a PostgreSQL server is needed (see `dbparity doctor`)"
        )
    return results


def write(content: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n", "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dbparity.shadow_bench", description=__doc__)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--mode", choices=sorted(ROUNDS), default="short")
    parser.add_argument("--backend", default="sqlite-memory")
    parser.add_argument("--shadow", default="postgres-asyncpg")
    parser.add_argument("--keep", type=Path, help="keep each run's results file in this folder")
    parser.add_argument("pytest_args", nargs="+", help="the suite: paths and pytest options")
    args = parser.parse_args(argv)
    args.output.unlink(missing_ok=True)  # a failed measurement must not leave an old figure
    with tempfile.TemporaryDirectory(prefix="dbparity-shadow-bench-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            content = measure(
                args.pytest_args,
                backend=args.backend,
                shadow=args.shadow,
                mode=args.mode,
                workdir=workdir,
            )
        except ShadowBenchError as exc:
            print(f"shadow bench: {exc}", file=sys.stderr)
            return 1
    write(content, args.output)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
