"""The committed reports/compatibility.md (and results.json) must be what the committed inputs
in reports/inputs/ give today: a renderer, a backend file or an input that changed without a
regenerated report fails here."""

from __future__ import annotations

from pathlib import Path

from dbparity.report import expected_backends, load_inputs, merge, render_json, render_markdown

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
REGENERATE = (
    "regenerate it with `nox -s report` after a full conformance run, or from the committed "
    "inputs with `dbparity report reports/inputs/*.json -o reports/`, and commit reports/"
)


def test_committed_report_matches_its_committed_inputs() -> None:
    files = sorted((REPORTS / "inputs").glob("*.json"))
    assert files, f"reports/inputs/ holds no results files; {REGENERATE}"
    merged = merge(load_inputs(files), expected_backends(ROOT / "backends"))
    for name, text in (
        ("compatibility.md", render_markdown(merged)),
        ("results.json", render_json(merged)),
    ):
        committed = (REPORTS / name).read_text("utf-8")
        assert committed == text, f"reports/{name} is out of date; {REGENERATE}"
