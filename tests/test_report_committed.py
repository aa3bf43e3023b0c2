"""The committed reports (compatibility.md, index.html, results.json and speed.md) must be what
the committed inputs in reports/inputs/ give today: a renderer, a backend file or an input that
changed without regenerated reports fails here."""

from __future__ import annotations

from pathlib import Path

from dbparity.report import expected_backends, reports_from_files

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
COMMITTED = ("compatibility.md", "index.html", "results.json", "speed.md")
REGENERATE = (
    "refresh them with `nox -s publish` (a full run), or from the committed inputs with "
    "`dbparity report reports/inputs/*.json -o reports/` (then delete reports/summary.md), "
    "and commit reports/"
)


def test_committed_reports_match_their_committed_inputs() -> None:
    files = sorted((REPORTS / "inputs").glob("*.json"))
    assert files, f"reports/inputs/ holds no results files; {REGENERATE}"
    assert any(f.name.startswith("bench-") for f in files), (
        f"reports/inputs/ holds no benchmark files (bench-*.json), so no speed report; {REGENERATE}"
    )
    _, texts = reports_from_files(files, expected_backends(ROOT / "backends"))
    for name in COMMITTED:
        committed = (REPORTS / name).read_text("utf-8")
        assert committed == texts[name], f"reports/{name} is out of date; {REGENERATE}"
