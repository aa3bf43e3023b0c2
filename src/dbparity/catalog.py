"""suites/CATALOG.toml read as data: the documented differences and the ledger of user reports.

The catalog's own rules (sources, cases) are checked by tests/test_catalog.py; this module owns
the two facts a report needs from it: which differences exist, and how many user reports each
one has. Counts are derived from the ``[[report]]`` ledger, never stored, so they cannot drift.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Catalog:
    """The ``[[difference]]`` entries (id -> title) and the ``[[report]]`` rows (url, id)."""

    entries: dict[str, str]
    reports: list[tuple[str, str]]


def load_catalog(path: Path) -> Catalog:
    """Read CATALOG.toml; entry ids and report URLs are taken as written (see ledger_problems)."""
    with path.open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    entries = {str(e.get("id", "")): str(e.get("title", "")) for e in data.get("difference", [])}
    reports = [
        (str(r.get("url", "")), str(r.get("difference", ""))) for r in data.get("report", [])
    ]
    return Catalog(entries, reports)


def report_counts(catalog: Catalog) -> dict[str, int]:
    """Entry id -> number of user reports naming it (0 for an entry no report names)."""
    named = Counter(difference for _, difference in catalog.reports)
    return {entry: named[entry] for entry in catalog.entries}


def ledger_problems(catalog: Catalog) -> list[str]:
    """Every way the ledger breaks its rules, one line each (empty when it keeps them)."""
    found: list[str] = []
    seen: set[str] = set()
    for number, (url, difference) in enumerate(catalog.reports, 1):
        where = f"report #{number} ({url or '?'})"
        if not url.startswith("https://"):
            found.append(f"{where}: url is not https")
        if url in seen:
            found.append(f"{where}: url repeated; a report is listed once")
        seen.add(url)
        if difference not in catalog.entries:
            found.append(f"{where}: difference {difference!r} names no [[difference]] entry")
    return found
