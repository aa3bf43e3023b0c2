"""Compatibility reports: merge results files and write ``compatibility.md``, ``index.html``
and ``results.json``.

``load_inputs`` reads files (the only step that touches the disk for reading); ``merge`` is
pure; the renderers are pure functions of the merged data; ``write_reports`` writes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from dbparity import results as results_format
from dbparity.report.compatibility import render_markdown, render_summary
from dbparity.report.html import render_html
from dbparity.report.jsondata import dumps as render_json
from dbparity.report.merge import Merged, check_types, merge
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
    "write_reports",
]

REPORT_FILES = ("compatibility.md", "summary.md", "index.html", "results.json")


def expected_backends(directory: Path | None = None) -> list[BackendInfo]:
    """The backends a report should have a column for: those of ``backends/*.toml``."""
    from dbparity.backends import load_backends

    return [
        BackendInfo(b.id, b.label, b.family, b.driver, b.reference)
        for b in load_backends(directory).values()
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


def write_reports(
    inputs: Sequence[tuple[str, Results]],
    out_dir: Path,
    expected: Iterable[BackendInfo] = (),
    speed_html: str | None = None,
) -> tuple[Merged, list[Path]]:
    """Merge and write the report files into ``out_dir``; returns what was written.

    ``summary.md`` is the compact summary (for ``$GITHUB_STEP_SUMMARY``); ``speed_html`` is
    trusted HTML for the speed section of ``index.html``."""
    merged = merge(inputs, expected)
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = {
        "compatibility.md": render_markdown(merged),
        "summary.md": render_summary(merged),
        "index.html": render_html(merged, speed_html=speed_html),
        "results.json": render_json(merged),
    }
    written = []
    for name, text in texts.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return merged, written
