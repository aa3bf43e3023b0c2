"""Shadow mode's cost in the speed report: a real measurement (``python -m
dbparity.shadow_bench``, as the ``bench`` session runs it) on one small dbparity suite file, on
sqlite-memory without and with a PostgreSQL shadow, read back by ``dbparity report``.

The expected figures are read from the results files the two pytest sessions wrote (kept with
``--keep``), so these tests check that the report carries those durations and their ratio, not
a copy of today's numbers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dbparity import results as results_format
from dbparity.cli import main
from dbparity.report.speed import build_speed_report, format_ratio, format_seconds
from tests.conftest import ROOT

DATA = Path(__file__).parent / "data" / "bench"
BENCH = sorted((DATA / "same-machine").glob("bench-*.json"))
RESULTS = sorted(DATA.glob("results-*.json"))
SUITE = "suites/test_text.py"


def run_measurement(
    output: Path, keep: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "dbparity.shadow_bench",
            f"--output={output}",
            "--mode=short",
            f"--keep={keep}",
            "--",
            SUITE,
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One real short measurement, shared by this module's tests: (bench-shadow.json, the
    folder holding each session's own results file)."""
    folder = tmp_path_factory.mktemp("shadow-bench")
    output, keep = folder / "bench-shadow.json", folder / "runs"
    done = run_measurement(output, keep)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return output, keep


def session(keep: Path, side: str) -> results_format.RunInfo:
    return results_format.load(keep / f"{side}-1.json").run


def report(tmp_path: Path, *bench: Path) -> tuple[int, str, str]:
    out = tmp_path / "reports"
    code = main(
        ["report", *map(str, RESULTS), "--bench", *map(str, [*BENCH, *bench]), "-o", str(out)]
    )
    if code != 0:
        return code, "", ""
    return code, (out / "speed.md").read_text("utf-8"), (out / "index.html").read_text("utf-8")


def test_the_file_holds_both_sessions_durations(measured: tuple[Path, Path]) -> None:
    output, keep = measured
    raw = json.loads(output.read_text("utf-8"))
    alone, shadowed = session(keep, "alone"), session(keep, "shadow")
    assert alone.shadow == {}  # the stand-in alone: no shadow ran
    assert shadowed.shadow["backend"] == "postgres-asyncpg"
    assert shadowed.shadow["server_version"].startswith("PostgreSQL ")
    assert shadowed.shadow["reason"] == ""
    assert [(r["side"], r["duration_s"], r["machine"]) for r in raw["runs"]] == [
        ("alone", alone.duration_s, alone.machine),
        ("shadow", shadowed.duration_s, shadowed.machine),
    ]
    assert (raw["mode"], raw["backend"], raw["shadow"]) == (
        "short",
        "sqlite-memory",
        "postgres-asyncpg",
    )
    assert raw["shadow_server"] == shadowed.shadow["server_version"]
    assert "--dbparity-shadow=postgres-asyncpg" in raw["commands"]["shadow"]
    assert "--dbparity-shadow" not in raw["commands"]["alone"]
    assert all(SUITE in command for command in raw["commands"].values())
    assert all(len(r["load"]) == 2 for r in raw["runs"])


def test_the_report_shows_the_measured_figure(measured: tuple[Path, Path], tmp_path: Path) -> None:
    output, keep = measured
    alone, shadowed = session(keep, "alone").duration_s, session(keep, "shadow").duration_s
    code, speed, html = report(tmp_path, output)
    assert code == 0
    figures = (
        f"took {format_seconds(alone)} alone and {format_seconds(shadowed)} with the shadow: "
        f"{format_ratio(shadowed / alone)}."
    )
    assert f"The suite on `sqlite-memory` {figures}" in speed
    assert f"The suite on <code>sqlite-memory</code> {figures}" in html
    within = "yes" if shadowed / alone <= 2 else "no"  # issue 20: at most 2x the stand-in
    assert f"Target: at most {format_ratio(2)}; within target: {within}." in speed
    assert "--dbparity-shadow=postgres-asyncpg -p no:randomly -q" in speed


def test_among_results_files_it_is_told_by_its_name(
    measured: tuple[Path, Path], tmp_path: Path
) -> None:
    """`dbparity report results/*.json`, as the report session runs it."""
    output, keep = measured
    folder = tmp_path / "results"
    folder.mkdir()
    for path in [*RESULTS, *BENCH, output]:
        shutil.copy(path, folder / path.name)
    out = tmp_path / "reports"
    assert main(["report", *map(str, sorted(folder.glob("*.json"))), "-o", str(out)]) == 0
    alone = format_seconds(session(keep, "alone").duration_s)
    assert f"took {alone} alone" in (out / "speed.md").read_text("utf-8")


def test_without_the_file_nothing_is_shown(tmp_path: Path) -> None:
    code, speed, html = report(tmp_path)
    assert code == 0
    assert "Shadow mode's cost" not in speed
    assert "Shadow mode's cost" not in html
    assert "with the shadow" not in speed + html


def test_runs_from_different_machines_give_no_ratio(
    measured: tuple[Path, Path], tmp_path: Path
) -> None:
    output, keep = measured
    raw = json.loads(output.read_text("utf-8"))
    raw["runs"][1]["machine"] = "laptop/arm64/8cpu"
    mixed = tmp_path / "bench-shadow.json"
    mixed.write_text(json.dumps(raw), "utf-8")
    cost = build_speed_report([*BENCH, mixed]).shadow_cost
    assert cost is not None and cost.ratio is None
    code, speed, html = report(tmp_path, mixed)
    assert code == 0
    alone = format_seconds(session(keep, "alone").duration_s)
    shadowed = format_seconds(session(keep, "shadow").duration_s)
    for text in (speed, html):
        assert f"took {alone} alone and {shadowed} with the shadow, but these runs come" in text
        assert "so no ratio is given" in text
        assert "with the shadow:" not in text
    assert f"({raw['runs'][0]['machine']}, laptop/arm64/8cpu)" in speed


def _truncate(raw: dict[str, Any]) -> str:
    return json.dumps(raw)[:40]


def _drop_shadow_side(raw: dict[str, Any]) -> str:
    raw["runs"] = [r for r in raw["runs"] if r["side"] == "alone"]
    return json.dumps(raw)


def _text_duration(raw: dict[str, Any]) -> str:
    raw["runs"][0]["duration_s"] = "1.5 s"
    return json.dumps(raw)


def _wrong_format(raw: dict[str, Any]) -> str:
    raw["format"] = "dbparity-shadow-bench/0"
    return json.dumps(raw)


def _no_commands(raw: dict[str, Any]) -> str:
    del raw["commands"]
    return json.dumps(raw)


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (_truncate, "not valid JSON"),
        (_drop_shadow_side, "no shadow run"),
        (_text_duration, "run 0 needs a side"),
        (_wrong_format, "format 'dbparity-shadow-bench/0'"),
        (_no_commands, "'commands' does not give a command"),
    ],
)
def test_a_malformed_file_is_refused_in_one_line(
    measured: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    damage: Callable[[dict[str, Any]], str],
    says: str,
) -> None:
    broken = tmp_path / "bench-shadow.json"
    broken.write_text(damage(json.loads(measured[0].read_text("utf-8"))), "utf-8")
    code, _, _ = report(tmp_path, broken)
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"dbparity report: {broken}: ")
    assert says in err
    assert "\n" not in err
    assert not (tmp_path / "reports" / "speed.md").exists()


def test_a_shadow_that_did_not_run_writes_no_figure(tmp_path: Path) -> None:
    """A stand-in run whose shadow could not start is no measurement of the shadow's cost: no
    file (and an older one is removed), and one line saying why."""
    output = tmp_path / "bench-shadow.json"
    output.write_text("an older measurement", "utf-8")
    done = run_measurement(
        output,
        tmp_path / "runs",
        # A test database's URL on a port nothing listens on: the shadow is not run.
        env={"DBPARITY_POSTGRES_URL": "postgresql://nobody@127.0.0.1:1/test_nothing"},
    )
    assert done.returncode == 1
    assert not output.exists()
    err = done.stderr.strip()
    assert err.startswith("shadow bench: the shadow did not run (PostgreSQL at ")
    assert "did not answer" in err
    assert "\n" not in err
