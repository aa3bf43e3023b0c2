"""What a reader sees first, in both reports, from the committed full run (reports/inputs):
the three-line answer with this run's numbers, the stand-in most users run (SQLite in memory)
first, its differences ordered by the catalog's ledger of user reports, one row per behaviour
(parametrised variants folded), and titles' reStructuredText code spans shown as code."""

from __future__ import annotations

import html as html_text
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from dbparity.report import expected_backends, reports_from_files
from dbparity.report.findings import base_id, stand_ins
from dbparity.report.merge import Merged
from dbparity.report.standins import build_entries

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / "reports" / "inputs"
CATALOG = ROOT / "suites" / "CATALOG.toml"
Texts = dict[str, str]


def build(catalog: Path | None = None) -> tuple[Merged, Texts]:
    files = sorted(INPUTS.glob("*.json"))
    return reports_from_files(files, expected_backends(ROOT / "backends"), catalog=catalog)


@pytest.fixture(scope="module")
def plain() -> tuple[Merged, Texts]:
    return build(CATALOG)


def section(markdown: str, heading: str) -> str:
    return markdown.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]


def stand_in_block(markdown: str, backend: str) -> str:
    differences = section(markdown, "## Differences from PostgreSQL")
    return differences.split(f"### `{backend}`", 1)[1].split("\n### ", 1)[0]


def table_cases(block: str, heading: str) -> list[str]:
    """The case ids of a differences table, in order (``<sub>`id`...</sub>``)."""
    table = block.split(heading, 1)[1].split("\n####", 1)[0]
    return re.findall(r"<br><sub>`([^`]+)`", table)


def expand(folded: str) -> list[str]:
    """``suite.name[a, b]`` back into ``suite.name[a]``, ``suite.name[b]``."""
    base, _, params = folded.partition("[")
    return [f"{base}[{p}]" for p in params.removesuffix("]").split(", ")] if params else [base]


def test_the_answer_comes_first_with_this_runs_numbers(plain: tuple[Merged, Texts]) -> None:
    merged, texts = plain
    headings = re.findall(r"^## (.*)$", texts["compatibility.md"], re.M)
    assert headings[:2] == ["Which stand-in should I use?", "Differences from PostgreSQL"]
    lines = section(texts["compatibility.md"], "## Which stand-in should I use?").split("\n")
    bullets = [line for line in lines if line.startswith("- ")]
    assert [b.split("**")[1] for b in bullets] == ["Misses", "Saves", "So:"]
    found = {s.column.backend.id: s for s in stand_ins(merged)}
    for backend in ("sqlite-memory", "sqlite-file", "sqlite-hardened", "pglite"):
        assert f"`{backend}` {found[backend].count('false-confidence')}" in bullets[0]
    entries = {e.column.backend.id: e for e in build_entries(merged, None, ROOT / "backends")}
    reference = next(e for e in entries.values() if e.column.backend.reference)
    assert reference.suite_s > 0
    html = texts["index.html"]
    main = html.split("<main>", 1)[1]
    assert main.index('<section id="answer">') < main.index('<section id="differences">')
    answer = main.split('<section id="answer">', 1)[1].split("</section>", 1)[0]
    assert answer.count("<li>") == 3 and "Misses" in answer and "Saves" in answer


def test_what_a_stand_in_saves_is_its_measured_time_against_postgresqls(
    plain: tuple[Merged, Texts],
) -> None:
    """The ratios are the rollback benchmark's, PostgreSQL's own time is named, and a stand-in
    slower than PostgreSQL is never said to save time."""
    from dbparity.report import speed as speed_report

    merged, texts = plain
    files = sorted(INPUTS.glob("*.json"))
    bench = [p for p in files if p.name.startswith("bench-")]
    results = [p for p in files if not p.name.startswith("bench-")]
    entries = build_entries(merged, speed_report.build_speed_report(bench, results))
    saves = next(
        line for line in texts["compatibility.md"].splitlines() if line.startswith("- **Saves**")
    )
    stand = [e for e in entries if e.stand_in]
    for entry in stand:
        assert entry.rollback_ratio is not None
        assert f"`{entry.column.backend.id}` {entry.rollback_ratio:.2g}\u00d7" in saves
    slower = all((e.rollback_ratio or 0) >= 1 for e in stand)
    assert ("nothing, each takes longer" in saves) == slower
    so = next(ln for ln in texts["compatibility.md"].splitlines() if ln.startswith("- **So:**"))
    assert ("no stand-in is faster here" in so) == slower


def test_sqlite_in_memory_is_the_first_stand_in(plain: tuple[Merged, Texts]) -> None:
    merged, texts = plain
    assert stand_ins(merged)[0].column.backend.id == "sqlite-memory"
    differences = section(texts["compatibility.md"], "## Differences from PostgreSQL")
    assert re.findall(r"^### `([^`]+)`", differences, re.M)[0] == "sqlite-memory"
    first = re.search(r'<section class="standin" id="standin-([^"]+)"', texts["index.html"])
    assert first is not None and first.group(1) == "sqlite-memory"


def test_parametrised_variants_share_one_row(plain: tuple[Merged, Texts]) -> None:
    merged, texts = plain
    memory = next(s for s in stand_ins(merged) if s.column.backend.id == "sqlite-memory")
    cases = [f.case for f in memory.groups["false-confidence"]]
    assert any("[" in c for c in cases), "the committed run has no parametrised difference?"
    block = stand_in_block(texts["compatibility.md"], "sqlite-memory")
    listed = table_cases(block, "#### False confidence")
    assert len(listed) == len({base_id(c) for c in cases})
    assert sorted(c for folded in listed for c in expand(folded)) == sorted(cases)
    assert f"#### False confidence ({len(cases)} cases, {len(listed)} behaviours)" in block


def test_titles_show_their_code_spans_as_code(plain: tuple[Merged, Texts]) -> None:
    merged, texts = plain
    titled = [row.title for row in merged.rows if "``" in row.title]
    assert titled, "no committed case title has a ``literal``?"
    markdown, html = texts["compatibility.md"], texts["index.html"]
    assert "``" not in markdown
    assert "``" not in re.sub(r"<svg.*?</svg>", "", html, flags=re.S)
    example = next(t for t in titled if "``insert().prefix_with('OR IGNORE')``" in t)
    assert "`insert().prefix_with('OR IGNORE')` (SQLite's" in markdown
    assert "<code>insert().prefix_with(&#39;OR IGNORE&#39;)</code> (SQLite" in html, example


def test_without_a_catalog_the_matrix_order_holds() -> None:
    """``dbparity report`` without ``--catalog``: each table in the matrix's order (by suite,
    then case id)."""
    merged, texts = build(None)
    block = stand_in_block(texts["compatibility.md"], "sqlite-memory")
    listed = [expand(c)[0] for c in table_cases(block, "#### False confidence")]
    order = [row.id for row in merged.rows]
    assert len(listed) > 2 and listed == sorted(listed, key=order.index)
    assert "user report" not in texts["compatibility.md"]


def test_the_most_reported_difference_comes_first(tmp_path: Path) -> None:
    """User reports for the entry of a late false-confidence behaviour on SQLite in memory
    (two), and for an earlier one's (one): the rows go most reported first, both reports say
    how many user reports each has, and with no reports the late one was last."""
    merged, _ = build(None)
    memory = next(s for s in stand_ins(merged) if s.column.backend.id == "sqlite-memory")
    behaviours = [b.first.case for b in memory.behaviours("false-confidence")]
    entries = tomllib.loads(CATALOG.read_text("utf-8"))["difference"]

    def entry_of(case: str) -> str:
        return next(e["id"] for e in entries if {case, base_id(case)} & set(e.get("cases", [])))

    late = behaviours[-1]
    early = next(c for c in reversed(behaviours) if entry_of(c) != entry_of(late))
    ledger = "".join(
        f'\n[[report]]\nurl = "https://example.org/{n}"\ndifference = "{entry}"\n'
        for n, entry in enumerate([entry_of(late), entry_of(late), entry_of(early)])
    )
    with_ledger = tmp_path / "CATALOG.toml"
    # The committed ledger (at the end of the file) is replaced by this one.
    entries_only = CATALOG.read_text("utf-8").split("\n[[report]]", 1)[0]
    with_ledger.write_text(entries_only + ledger, "utf-8")
    _, texts = build(with_ledger)
    block = stand_in_block(texts["compatibility.md"], "sqlite-memory")
    table = block.split("#### False confidence", 1)[1].split("\n####", 1)[0]
    rows = [line for line in table.splitlines() if "<br><sub>`" in line]
    counts = [int(m.group(1)) if (m := re.search(r"(\d+) user report", r)) else 0 for r in rows]
    listed = [expand(c)[0] for c in table_cases(block, "#### False confidence")]
    assert counts == sorted(counts, reverse=True) and counts[0] >= 2
    assert listed.index(late) < listed.index(early)
    assert counts[listed.index(late)] >= 2 and counts[listed.index(early)] >= 1
    html_rows = re.findall(r"<tr data-cases='([^']+)'>", texts["index.html"])
    assert json.loads(html_text.unescape(html_rows[0]))[0] == listed[0]
    assert "2 user reports" in texts["index.html"]


def test_a_ledger_naming_no_entry_is_refused_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "CATALOG.toml"
    bad.write_text(
        CATALOG.read_text("utf-8")
        + '\n[[report]]\nurl = "https://x.example"\ndifference = "nope"\n',
        "utf-8",
    )
    out = tmp_path / "out"
    files = [str(p) for p in sorted(INPUTS.glob("*.json")) if p.name == "sqlite-memory.json"]
    dbparity = Path(sys.executable).parent / "dbparity"
    run = subprocess.run(
        [str(dbparity), "report", *files, "--catalog", str(bad), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0, run.stderr
    assert "names difference 'nope', which is no entry's id" in run.stderr
    assert not out.exists()
