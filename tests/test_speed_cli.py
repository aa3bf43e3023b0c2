"""`dbparity report` with benchmark files: speed.md beside the compatibility report, and the
speed section (with its charts) inside index.html."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dbparity.cli import main

DATA = Path(__file__).parent / "data" / "bench"
BENCH = sorted((DATA / "same-machine").glob("bench-*.json"))
RESULTS = sorted(DATA.glob("results-*.json"))


def test_report_writes_speed_md_and_the_html_section(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    code = main(["report", *map(str, RESULTS), "--bench", *map(str, BENCH), "-o", str(out)])
    assert code == 0
    speed = (out / "speed.md").read_text("utf-8")
    assert speed.startswith("# dbparity speed report")
    assert "## Conformance sessions" in speed
    html = (out / "index.html").read_text("utf-8")
    section = html[html.index('<section id="speed"') :]
    assert section.count("<svg") == 4  # isolation, overhead, operations, calibration
    assert "Isolation strategies" in section


def test_bench_files_among_results_files_are_routed_by_name(tmp_path: Path) -> None:
    """`dbparity report results/*.json` gets the bench-*.json files too: they must feed the
    speed report, not fail as malformed results files."""
    results = tmp_path / "results"
    results.mkdir()
    for path in [*RESULTS, *BENCH]:
        shutil.copy(path, results / path.name)
    out = tmp_path / "reports"
    assert main(["report", *map(str, sorted(results.glob("*.json"))), "-o", str(out)]) == 0
    assert (out / "speed.md").is_file()


def test_without_bench_files_no_speed_report(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert main(["report", *map(str, RESULTS), "-o", str(out)]) == 0
    assert not (out / "speed.md").exists()
    assert '<section id="speed"' not in (out / "index.html").read_text("utf-8")


def test_bad_bench_file_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "bench-sqlite-memory.json"
    broken.write_text('{"benchmarks": [', "utf-8")
    out = tmp_path / "reports"
    assert main(["report", *map(str, RESULTS), "--bench", str(broken), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"dbparity report: {broken}: not valid JSON")
    assert "\n" not in err
