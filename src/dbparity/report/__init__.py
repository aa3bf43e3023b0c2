"""Compatibility reports: merge results files and write ``compatibility.md``, ``index.html``
and ``results.json``.

``load_inputs`` reads files (the only step that touches the disk for reading); ``merge`` is
pure; the renderers are pure functions of the merged data; ``write_reports`` writes them.
``reports_from_files`` is the whole of ``dbparity report``: results files and benchmark files
in, every report's text out (the committed reports are checked against it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from dbparity import results as results_format
from dbparity.report.compatibility import render_markdown, render_summary
from dbparity.report.html import render_html
from dbparity.report.jsondata import dumps as render_json
from dbparity.report.merge import Merged, check_types, merge
from dbparity.report.sections import Section, extra_sections
from dbparity.results import BackendInfo, Results, ResultsFileError

__all__ = [
    "Merged",
    "expected_backends",
    "load_inputs",
    "merge",
    "render_html",
    "render_json",
    "render_markdown",
    "render_summary",
    "reports_from_files",
    "write_reports",
    "write_texts",
]

REPORT_FILES = ("compatibility.md", "summary.md", "index.html", "results.json")
#: Benchmark files are told from results files by name: ``bench-<backend>.json``.
BENCH_PREFIX = "bench-"


def expected_backends(directory: Path | None = None) -> list[BackendInfo]:
    """The backends a report should have a column for: those of ``backends/*.toml``."""
    from dbparity.backends import load_for_run

    return [
        BackendInfo(b.id, b.label, b.family, b.driver, b.reference)
        for b in load_for_run(directory, "conformance").values()
    ]


def load_inputs(paths: Iterable[Path]) -> list[tuple[str, Results]]:
    """Load results files, each named by its file name (or by its path as given when two
    inputs share a file name), so the same files give the same reports wherever they sit."""
    unique = sorted(set(paths), key=str)
    names = [p.name for p in unique]
    clash = len(set(names)) < len(names)
    loaded = []
    for path in unique:
        try:
            results = results_format.load(path)
        except OSError as exc:
            raise ResultsFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
        check_types(str(path), results)
        loaded.append((str(path) if clash else path.name, results))
    return loaded


def reports_from_files(
    files: Iterable[Path],
    expected: Iterable[BackendInfo] = (),
    bench: Iterable[Path] = (),
    catalog: Path | None = None,
    backends_dir: Path | None = None,
) -> tuple[Merged, dict[str, str]]:
    """Every report's text, by file name, from results files and benchmark files (those named
    ``bench-*.json`` among ``files``, plus ``bench``); speed.md only when there are benchmark
    files. ``catalog`` (suites/CATALOG.toml) orders each stand-in's differences by how often
    users report them; ``backends_dir`` is where the backend files are (for what each SQLite
    setting removes and adds). Raises ``ResultsFileError``, ``SpeedInputError`` or
    ``CatalogError`` naming a file it cannot use."""
    from dbparity.report import speed as speed_report
    from dbparity.report.reported import case_counts

    files = list(files)
    bench_files = [*bench, *(p for p in files if p.name.startswith(BENCH_PREFIX))]
    results_files = [p for p in files if not p.name.startswith(BENCH_PREFIX)]
    speed = speed_report.build_speed_report(bench_files, results_files) if bench_files else None
    merged = merge(load_inputs(results_files), expected)
    if catalog is not None:
        merged.reported = case_counts(catalog)
    speed_html = speed_report.render_html_section(speed) if speed else None
    texts = _texts(merged, speed_html, extra_sections(merged, speed, backends_dir))
    if speed:
        texts["speed.md"] = speed_report.render_markdown(speed)
    return merged, texts


def write_reports(
    inputs: Sequence[tuple[str, Results]],
    out_dir: Path,
    expected: Iterable[BackendInfo] = (),
    speed_html: str | None = None,
) -> tuple[Merged, list[Path]]:
    """Merge and write the report files into ``out_dir``; returns what was written.

    ``summary.md`` is the compact summary (for ``$GITHUB_STEP_SUMMARY``); ``speed_html`` is
    trusted HTML for the speed section of ``index.html``."""
    from dbparity.report import statements

    merged = merge(inputs, expected)
    # A user's suite (dbparity run): of the extra sections, only what its own runs measured.
    found = statements.section(merged)
    return merged, write_texts(_texts(merged, speed_html, [found] if found else []), out_dir)


def write_texts(texts: dict[str, str], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in texts.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written


def _texts(
    merged: Merged, speed_html: str | None, sections: Sequence[Section] = ()
) -> dict[str, str]:
    return {
        "compatibility.md": render_markdown(merged, sections),
        "summary.md": render_summary(merged),
        "index.html": render_html(merged, speed_html=speed_html, sections=sections),
        "results.json": render_json(merged),
    }
