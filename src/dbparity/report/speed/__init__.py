"""The speed report: what each backend costs, from pytest-benchmark JSON files and results files.

Input: one pytest-benchmark JSON per backend (``results/bench-<backend>.json``, written by the
``bench`` nox session through ``suites/bench``) and, optionally, the conformance results files
(for each session's wall time). Output: a :class:`SpeedReport`, rendered as markdown
(``reports/speed.md``) and as an HTML section with one SVG bar chart per group.

Timings are only compared when they come from one machine: a ratio between a laptop and a CI
runner says more about the hardware than about the database. Two files count as the same
machine when the fields that change timings agree (:data:`MACHINE_FIELDS`); otherwise the report
says so and leaves those ratios out.

The package splits that by concern: :mod:`.model` (the data), :mod:`.inputs` (reading files),
:mod:`.build` (ratios and summaries), :mod:`.render` (markdown and HTML) and :mod:`.charts`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dbparity.report.speed.build import (
    build_speed_report,
    ratios_by_backend,
    speed_report_from_runs,
)
from dbparity.report.speed.charts import bar_chart
from dbparity.report.speed.inputs import bench_run_from_json, load_bench_file
from dbparity.report.speed.model import (
    MACHINE_FIELDS,
    OVERHEAD_TARGET,
    REFERENCE,
    BenchRun,
    Machine,
    Measurement,
    SpeedInputError,
    SpeedReport,
)
from dbparity.report.speed.render import (
    format_ratio,
    format_seconds,
    render_html_section,
    render_markdown,
)

__all__ = [
    "MACHINE_FIELDS",
    "OVERHEAD_TARGET",
    "REFERENCE",
    "BenchRun",
    "Machine",
    "Measurement",
    "SpeedInputError",
    "SpeedReport",
    "bar_chart",
    "bench_run_from_json",
    "build_speed_report",
    "format_ratio",
    "format_seconds",
    "load_bench_file",
    "ratios_by_backend",
    "render_html_section",
    "render_markdown",
    "speed_report",
    "speed_report_from_runs",
]


def speed_report(bench_files: Iterable[Path], results_files: Iterable[Path]) -> tuple[str, str]:
    """``(speed.md, the HTML speed section)`` from the files: what ``dbparity report`` writes."""
    report = build_speed_report(bench_files, results_files)
    return render_markdown(report), render_html_section(report)
