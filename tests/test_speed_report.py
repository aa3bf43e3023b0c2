"""The speed report's construction from fixed pytest-benchmark JSON files (tests/data/bench).

The expected numbers are read from the same JSON the report reads, so these tests check the
arithmetic and the refusals, not a copy of today's output."""

from __future__ import annotations

import json
import re
import xml.dom.minidom
from pathlib import Path
from typing import Any

import pytest

from dbparity.report.speed import (
    SpeedInputError,
    build_speed_report,
    format_ratio,
    format_seconds,
    ratios_by_backend,
    render_html_section,
    render_markdown,
)

DATA = Path(__file__).parent / "data" / "bench"
PG = DATA / "same-machine" / "bench-postgres-asyncpg.json"
MEMORY = DATA / "same-machine" / "bench-sqlite-memory.json"
OTHER_MACHINE = DATA / "other-machine" / "bench-sqlite-file.json"
RESULTS = [DATA / "results-postgres-asyncpg.json", DATA / "results-postgres-psycopg.json"]


def medians(path: Path) -> dict[str, float]:
    raw: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return {b["name"]: b["stats"]["median"] for b in raw["benchmarks"]}


def test_medians_and_iqr_come_from_the_files() -> None:
    report = build_speed_report([PG, MEMORY])
    raw = json.loads(MEMORY.read_text("utf-8"))
    expected = {b["name"]: (b["stats"]["median"], b["stats"]["iqr"]) for b in raw["benchmarks"]}
    found = {
        row.key: (row.cells["sqlite-memory"].median, row.cells["sqlite-memory"].iqr)
        for group in report.groups
        for row in group.rows
    }
    assert found == expected


def test_ratios_are_medians_over_the_reference() -> None:
    report = build_speed_report([MEMORY, PG])
    pg, memory = medians(PG), medians(MEMORY)
    ratios = ratios_by_backend(report, "isolation")
    for key, ratio in ratios["sqlite-memory"].items():
        assert ratio == pytest.approx(memory[key] / pg[key])
    assert set(ratios["postgres-asyncpg"].values()) == {1.0}
    assert report.backends[0] == "postgres-asyncpg"  # the reference comes first


def test_rollback_times_cheaper_than_clone_and_recreate() -> None:
    report = build_speed_report([PG, MEMORY])
    for costs in report.strategies:
        own = medians(PG if costs.backend == "postgres-asyncpg" else MEMORY)
        rollback = own["test_strategy[rollback]"]
        assert costs.rollback == rollback
        for strategy in ("clone", "recreate", "truncate"):
            assert costs.times_cheaper[strategy] == pytest.approx(
                own[f"test_strategy[{strategy}]"] / rollback
            )


def test_overhead_check_against_the_target() -> None:
    report = build_speed_report([PG, MEMORY])
    checks = {o.backend: o for o in report.overhead}
    for backend, path in (("postgres-asyncpg", PG), ("sqlite-memory", MEMORY)):
        own = medians(path)
        ratio = own["test_rollback_fixture"] / own["test_bare_savepoint"]
        assert checks[backend].ratio == pytest.approx(ratio)
        assert checks[backend].meets_target is (ratio <= 3)
    # The fixture data holds one of each, so both verdicts are exercised.
    assert {o.meets_target for o in report.overhead} == {True, False}


def test_cross_machine_inputs_get_no_ratios_and_say_so() -> None:
    report = build_speed_report([PG, MEMORY, OTHER_MACHINE])
    assert not report.same_machine
    assert len(report.machines) == 2
    assert report.comparable == {
        "postgres-asyncpg": True,
        "sqlite-memory": True,
        "sqlite-file": False,
    }
    for group in report.groups:
        for row in group.rows:
            assert row.cells["sqlite-file"].ratio is None
            assert row.cells["sqlite-memory"].ratio is not None
    markdown = render_markdown(report)
    assert "2 different machines" in markdown
    assert "left out: sqlite-file" in markdown
    # The other machine's own rollback-vs-clone factor is within one file, so it stays.
    assert "sqlite-file" in {s.backend for s in report.strategies}
    # No ratio printed in the sqlite-file column: its cells end after the IQR.
    header, _rule, *rows = _table_after(markdown, "## Isolation strategies")
    column = _columns(header).index("`sqlite-file`")
    for line in rows:
        cell = _columns(line)[column]
        assert "IQR" in cell
        assert "\u00d7" not in cell


def test_same_machine_inputs_say_so() -> None:
    markdown = render_markdown(build_speed_report([PG, MEMORY]))
    assert "Every input comes from one machine" in markdown
    assert "different machines" not in markdown


def test_without_the_reference_no_ratios() -> None:
    report = build_speed_report([MEMORY])
    assert not report.has_reference
    assert all(c.ratio is None for g in report.groups for r in g.rows for c in r.cells.values())
    assert "no ratios are given" in render_markdown(report)


def test_conformance_wall_times_from_results_files() -> None:
    report = build_speed_report([PG], RESULTS)
    times = {s.backend: s for s in report.sessions}
    raw = json.loads(RESULTS[0].read_text("utf-8"))
    assert times["postgres-asyncpg"].duration_s == raw["run"]["duration_s"]
    assert times["postgres-psycopg"].status == "not-run"
    markdown = render_markdown(report)
    row = next(line for line in markdown.splitlines() if line.startswith("| `postgres-psycopg`"))
    assert "not run" in row
    assert format_seconds(raw["run"]["duration_s"]) in markdown


def test_machine_and_versions_are_reported() -> None:
    markdown = render_markdown(build_speed_report([PG, MEMORY]))
    raw = json.loads(PG.read_text("utf-8"))
    info = raw["machine_info"]
    assert info["cpu"]["brand_raw"] in markdown
    assert info["dbparity"]["server_version"] in markdown
    assert f"asyncpg {info['dbparity']['driver_versions']['asyncpg']}" in markdown


def test_html_section_embeds_one_chart_per_group_without_scripts() -> None:
    report = build_speed_report([PG, MEMORY, OTHER_MACHINE])
    html = render_html_section(report)
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == len(report.groups)
    for svg in svgs:
        xml.dom.minidom.parseString(svg)  # well-formed, so it renders inline
    assert "<script" not in html
    assert "different machines" in html
    # Reproducible: the same input renders the same bytes (no random chart ids).
    assert render_html_section(report) == html


def test_a_busy_machine_is_called_out() -> None:
    """A load average above the CPU count (here: sqlite-memory's file) inflates timings."""
    report = build_speed_report([PG, MEMORY, OTHER_MACHINE])
    raw = json.loads(MEMORY.read_text("utf-8"))["machine_info"]
    assert max(raw["dbparity"]["load"]) > raw["cpu"]["count"]
    assert [r.backend for r in report.runs if r.busy] == ["sqlite-memory"]
    markdown = render_markdown(report)
    assert "**The machine was busy** while benchmarking sqlite-memory:" in markdown
    assert "The machine was busy" not in render_markdown(build_speed_report([PG]))
    assert "The machine was busy" not in render_markdown(build_speed_report([OTHER_MACHINE]))


def test_duplicate_backend_is_refused() -> None:
    with pytest.raises(SpeedInputError, match=r"also in .*pass one benchmark file per backend"):
        build_speed_report([PG, PG])


def test_file_without_backend_is_refused() -> None:
    with pytest.raises(SpeedInputError, match=r"no-backend\.json: cannot tell which backend"):
        build_speed_report([DATA / "no-backend.json"])


def test_not_benchmark_json_is_refused(tmp_path: Path) -> None:
    wrong = tmp_path / "bench.json"
    wrong.write_text('{"format": "dbparity-results/1"}', "utf-8")
    with pytest.raises(SpeedInputError, match="not a pytest-benchmark JSON file"):
        build_speed_report([wrong])
    with pytest.raises(SpeedInputError, match="no such benchmark file"):
        build_speed_report([tmp_path / "missing.json"])
    with pytest.raises(SpeedInputError, match="no benchmark files given"):
        build_speed_report([])


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(2.5, "2.50 s"), (0.0123, "12.3 ms"), (0.000456, "456 µs"), (4.2e-8, "42.0 ns")],
)
def test_format_seconds(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


def test_format_ratio() -> None:
    assert format_ratio(0.5) == "0.50\u00d7"
    assert format_ratio(25.4) == "25\u00d7"
    assert format_ratio(None) == "n/a"


def _table_after(markdown: str, heading: str) -> list[str]:
    lines = markdown.splitlines()
    start = lines.index(next(line for line in lines if line.startswith(heading)))
    table = []
    for line in lines[start + 1 :]:
        if line.startswith("|"):
            table.append(line)
        elif table:
            break
    return table


def _columns(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_the_report_names_the_machine_and_its_load_before_any_timing() -> None:
    markdown = render_markdown(build_speed_report([PG, MEMORY]))
    raw = json.loads(MEMORY.read_text("utf-8"))
    top = markdown.split("\n## ", 1)[0]
    assert f"**Measured on:**\n- {raw['machine_info']['node']} · " in top
    start, end = raw["machine_info"]["dbparity"]["load"]
    assert f"sqlite-memory {start:.2f} → {end:.2f}" in top
