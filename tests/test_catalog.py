"""suites/CATALOG.toml: every documented difference has a source and cases (or a reason), every
case it names exists, and every divergence the SQLite stand-ins declare traces to an entry.

Fast on purpose: the suites are read with ``ast``, never collected or run.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path
from typing import Any

import pytest

from dbparity.catalog import Catalog, ledger_problems, load_catalog, report_counts
from tests.conftest import BACKENDS_DIR, ROOT

CATALOG = ROOT / "suites" / "CATALOG.toml"
SUITES = ROOT / "suites"
STAND_INS = ("sqlite-memory", "sqlite-file")


def suite_index(folder: Path) -> dict[str, tuple[set[str], set[str]]]:
    """suite -> (case names, every string constant in the module, for ``[param]`` ids)."""
    index: dict[str, tuple[set[str], set[str]]] = {}
    for path in sorted(folder.glob("test_*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        names = {
            node.name.removeprefix("test_")
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test_")
        }
        strings = {
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        index[path.stem.removeprefix("test_")] = (names, strings)
    return index


def unknown_case(case_id: str, index: dict[str, tuple[set[str], set[str]]]) -> str | None:
    """Why ``case_id`` names no case in the suites, or None when it does."""
    base, _, param = case_id.partition("[")
    suite, _, name = base.partition(".")
    if suite not in index:
        return f"no suite {suite!r} (suites/test_{suite}.py)"
    names, strings = index[suite]
    if name not in names:
        return f"no test_{name} in suites/test_{suite}.py"
    if param and param.removesuffix("]") not in strings:
        return f"no parameter {param.removesuffix(']')!r} in suites/test_{suite}.py"
    return None


def problems(catalog: dict[str, Any], index: dict[str, tuple[set[str], set[str]]]) -> list[str]:
    """Every way the catalog breaks its rules, one line each (empty when it keeps them)."""
    found: list[str] = []
    seen: set[str] = set()
    if catalog.get("format") != "dbparity-catalog/1":
        found.append("format is not 'dbparity-catalog/1'")
    for number, entry in enumerate(catalog.get("difference", []), 1):
        where = f"difference #{number} ({entry.get('id', '?')})"
        if not entry.get("id") or entry["id"] in seen:
            found.append(f"{where}: id missing or repeated")
        seen.add(entry.get("id", ""))
        if not str(entry.get("title", "")).strip():
            found.append(f"{where}: no title")
        sources = entry.get("sources") or []
        if not sources:
            found.append(f"{where}: no source")
        for source in sources:
            if not str(source.get("url", "")).startswith("https://"):
                found.append(f"{where}: source without an https URL: {source!r}")
            if not str(source.get("section", "")).strip():
                found.append(f"{where}: source {source.get('url')} names no section")
        cases, untested = entry.get("cases"), str(entry.get("untested", "")).strip()
        if bool(cases) == bool(untested):
            found.append(f"{where}: needs either cases or an 'untested' reason (exactly one)")
        for case_id in cases or []:
            why = unknown_case(case_id, index)
            if why:
                found.append(f"{where}: case {case_id!r}: {why}")
    return found


def covered_bases(catalog: dict[str, Any]) -> set[str]:
    return {
        case_id.partition("[")[0]
        for entry in catalog["difference"]
        for case_id in entry.get("cases", [])
    }


@pytest.fixture(scope="module")
def catalog() -> dict[str, Any]:
    with CATALOG.open("rb") as handle:
        return tomllib.load(handle)


@pytest.fixture(scope="module")
def index() -> dict[str, tuple[set[str], set[str]]]:
    return suite_index(SUITES)


def test_catalog_keeps_its_rules(
    catalog: dict[str, Any], index: dict[str, tuple[set[str], set[str]]]
) -> None:
    assert problems(catalog, index) == []


@pytest.mark.parametrize("backend", STAND_INS)
def test_every_stand_in_divergence_traces_to_a_catalog_entry(
    catalog: dict[str, Any], backend: str
) -> None:
    with (BACKENDS_DIR / f"{backend}.toml").open("rb") as handle:
        declared = tomllib.load(handle).get("diverges", {})
    untraced = sorted({key.partition("[")[0] for key in declared} - covered_bases(catalog))
    assert untraced == [], f"add these to an entry's cases in {CATALOG.name}: {untraced}"


def test_every_case_in_the_suites_traces_to_a_catalog_entry(
    catalog: dict[str, Any], index: dict[str, tuple[set[str], set[str]]]
) -> None:
    """A new case comes with the documented behaviour it tests (or joins an entry)."""
    cases = {f"{suite}.{name}" for suite, (names, _) in index.items() for name in names}
    assert sorted(cases - covered_bases(catalog)) == []


# --- the checks themselves fail on a broken catalog ----------------------------------------------

INDEX = {"crud": ({"insert_works"}, {"fast"})}
GOOD = {"id": "x", "title": "t", "sources": [{"url": "https://a.example", "section": "1"}]}


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ({**GOOD, "cases": ["crud.missing"]}, "no test_missing"),
        ({**GOOD, "cases": ["crdu.insert_works"]}, "no suite 'crdu'"),
        ({**GOOD, "cases": ["crud.insert_works[slow]"]}, "no parameter 'slow'"),
        ({**GOOD, "sources": []}, "no source"),
        (
            {**GOOD, "sources": [{"url": "www.x", "section": "1"}], "cases": ["crud.insert_works"]},
            "https",
        ),
        (GOOD, "either cases or an 'untested' reason"),
        ({**GOOD, "cases": ["crud.insert_works"], "untested": "why"}, "exactly one"),
    ],
    ids=[
        "missing-case",
        "unknown-suite",
        "unknown-param",
        "no-source",
        "bad-url",
        "no-cases",
        "both",
    ],
)
def test_a_broken_entry_is_reported(entry: dict[str, Any], complaint: str) -> None:
    found = problems({"format": "dbparity-catalog/1", "difference": [entry]}, INDEX)
    assert any(complaint in line for line in found), found


def test_a_good_entry_passes() -> None:
    entry = {**GOOD, "cases": ["crud.insert_works", "crud.insert_works[fast]"]}
    assert problems({"format": "dbparity-catalog/1", "difference": [entry]}, INDEX) == []


# --- the ledger of user reports ([[report]]) ----------------------------------------------------


def test_the_ledger_keeps_its_rules() -> None:
    assert ledger_problems(load_catalog(CATALOG)) == []


def test_report_counts_are_derived_from_the_ledger() -> None:
    """Counts come from the [[report]] rows as written in the file, read here a second way."""
    with CATALOG.open("rb") as handle:
        raw = tomllib.load(handle)
    counts = report_counts(load_catalog(CATALOG))
    assert set(counts) == {entry["id"] for entry in raw["difference"]}
    assert sum(counts.values()) == len(raw["report"]) >= 150
    for entry_id, count in counts.items():
        assert count == sum(1 for row in raw["report"] if row["difference"] == entry_id)


BROKEN_LEDGER = """
format = "dbparity-catalog/1"

[[difference]]
id = "known"
title = "t"

[[difference]]
id = "unreported"
title = "u"

[[report]]
url = "https://example.org/issues/1"
difference = "known"

[[report]]
url = "https://example.org/issues/1"
difference = "known"

[[report]]
url = "https://example.org/issues/2"
difference = "no-such-entry"

[[report]]
url = "http://example.org/issues/3"
difference = "known"
"""


@pytest.fixture()
def broken(tmp_path: Path) -> Catalog:
    path = tmp_path / "CATALOG.toml"
    path.write_text(BROKEN_LEDGER, "utf-8")
    return load_catalog(path)


@pytest.mark.parametrize(
    "complaint",
    [
        "report #2 (https://example.org/issues/1): url repeated",
        "report #3 (https://example.org/issues/2): difference 'no-such-entry' names no",
        "report #4 (http://example.org/issues/3): url is not https",
    ],
    ids=["repeated-url", "unknown-difference", "not-https"],
)
def test_a_broken_ledger_is_reported(broken: Catalog, complaint: str) -> None:
    found = ledger_problems(broken)
    assert len(found) == 3, found
    assert any(line.startswith(complaint) for line in found), found


def test_counts_of_a_broken_ledger(broken: Catalog) -> None:
    """Rows naming an unknown entry are not counted; an entry with no report counts 0."""
    assert report_counts(broken) == {"known": 3, "unreported": 0}
