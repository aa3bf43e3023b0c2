"""The benchmark suites through pytest-benchmark for real: the JSON they write says which
backend and server it measured, and the speed report can be built from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dbparity.report.speed import build_speed_report, render_markdown
from tests.conftest import ROOT


def test_bench_json_records_backend_and_feeds_the_report(tmp_path: Path) -> None:
    output = tmp_path / "bench-sqlite-memory.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites/bench/test_calibration.py",
            "suites/bench/test_isolation.py",
            "-k",
            "loop_runner or rollback or savepoint",
            "--backend=sqlite-memory",
            f"--benchmark-json={output}",
            "-p",
            "no:randomly",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "-q",
        ],
        cwd=ROOT,
        env={**os.environ, "DBPARITY_BENCH_MODE": "short"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    raw = json.loads(output.read_text("utf-8"))
    dbparity = raw["machine_info"]["dbparity"]
    assert (dbparity["backend"], dbparity["mode"]) == ("sqlite-memory", "short")
    assert dbparity["server_version"].startswith("SQLite ")
    assert len(dbparity["load"]) == 2  # load averages at the start and the end
    assert {b["extra_info"]["backend"] for b in raw["benchmarks"]} == {"sqlite-memory"}
    names = {b["name"] for b in raw["benchmarks"]}
    assert names == {
        "test_loop_runner",
        "test_strategy[rollback]",
        "test_rollback_fixture",
        "test_bare_savepoint",
    }
    assert all(b["stats"]["rounds"] >= 5 for b in raw["benchmarks"])

    report = build_speed_report([output])
    assert [o.backend for o in report.overhead] == ["sqlite-memory"]
    assert list(report.calibration) == ["sqlite-memory"]
    assert "Rollback fixture against a bare savepoint round trip" in render_markdown(report)


def test_unknown_bench_mode_is_a_usage_error() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites/bench",
            "--backend=sqlite-memory",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "--co",
        ],
        cwd=ROOT,
        env={**os.environ, "DBPARITY_BENCH_MODE": "fast"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 4  # pytest's usage error
    assert (
        "DBPARITY_BENCH_MODE='fast' is not a benchmark mode; use one of short, full" in run.stderr
    )
