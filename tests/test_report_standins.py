"""The "Which stand-in should I use?" section says what the merged data says: each stand-in's
agreement, every false-confidence difference it still has, and each SQLite setting's removed and
added divergences as the backend file declares them; PostgreSQL is in the chart, never listed as
a stand-in."""

from __future__ import annotations

from pathlib import Path

from dbparity.backends import load_backends
from dbparity.report import expected_backends, load_inputs, merge
from dbparity.report.speed import build_speed_report
from dbparity.report.standins import build_entries, render_html, render_markdown

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / "reports" / "inputs"


def _merged_and_speed():  # type: ignore[no-untyped-def]
    files = sorted(INPUTS.glob("*.json"))
    results = [p for p in files if not p.name.startswith("bench-")]
    bench = [p for p in files if p.name.startswith("bench-")]
    merged = merge(load_inputs(results), expected_backends(ROOT / "backends"))
    return merged, build_speed_report(bench, results) if bench else None


def test_section_counts_agree_with_the_matrix() -> None:
    merged, speed = _merged_and_speed()
    entries = build_entries(merged, speed)
    by_id = {e.column.backend.id: e for e in entries}
    assert {"pglite", "sqlite-hardened", "sqlite-memory"} <= set(by_id)
    assert not by_id["postgres-asyncpg"].stand_in and not by_id["postgres-psycopg"].stand_in
    markdown = render_markdown(entries)
    for entry in entries:
        column = entry.column
        assert (entry.agrees, entry.checked) == (column.agrees, column.checked)
        if not entry.stand_in:
            continue
        fc = [
            row.id for row in merged.rows if row.cells[column.key].difference == "false-confidence"
        ]
        assert sorted(c for c, _ in entry.false_confidence) == sorted(fc)
        assert f"### {column.backend.label}" in markdown
        assert f"on {column.agrees} of {column.checked} (" in markdown


def test_every_setting_shows_what_its_backend_file_attributes() -> None:
    merged, speed = _merged_and_speed()
    hardened = load_backends(ROOT / "backends")["sqlite-hardened"]
    entries = build_entries(merged, speed)
    entry = next(e for e in entries if e.column.backend.id == "sqlite-hardened")
    assert (entry.removes, entry.adds) == (hardened.removes, hardened.adds)
    markdown = render_markdown([entry])
    for setting in {*hardened.removes, *hardened.adds}:
        line = next(x for x in markdown.splitlines() if x.startswith(f"| `{setting}` |"))
        for case in (*hardened.removes.get(setting, ()), *hardened.adds.get(setting, ())):
            assert f"`{case}`" in line


def test_chart_has_a_point_for_every_column_that_ran() -> None:
    merged, speed = _merged_and_speed()
    entries = build_entries(merged, speed)
    page = render_html(entries)
    assert page.count("<svg") == 1 and "<script" not in page
    for entry in entries:
        assert entry.label in page


def test_postgres_at_other_versions_is_left_to_its_own_section() -> None:
    """The version axis has its section; here PostgreSQL appears once per driver, at the
    reference's version, the one its benchmarks ran at."""
    merged, speed = _merged_and_speed()
    reference = next(c for c in merged.columns if c.backend.reference)
    postgres = {c.server_version for c in merged.columns if c.backend.family == "postgresql"}
    assert len(postgres) > 1, "the committed inputs no longer carry the version axis"
    entries = build_entries(merged, speed)
    ids = [e.column.backend.id for e in entries]
    assert len(ids) == len(set(ids))
    for entry in entries:
        if not entry.stand_in:
            assert entry.column.server_version == reference.server_version
