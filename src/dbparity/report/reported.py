"""How often users hit each case's behaviour, from the catalog (suites/CATALOG.toml): the
``[[report]]`` ledger counted per entry by :func:`dbparity.catalog.report_counts`, carried to
the cases each entry lists (``cases``). The report orders a stand-in's differences by it.

Loading is the only step that reads a file; :func:`hits` is pure.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from dbparity.catalog import load_catalog, report_counts


class CatalogError(Exception):
    """A catalog the report cannot use; the message names the file and what to do."""


def case_counts(path: Path) -> dict[str, int]:
    """Per case id as the catalog names it (``suite.name`` or ``suite.name[param]``), the user
    reports of the entries listing it: summed, since each report names one entry."""
    try:
        catalog = load_catalog(path)
        with path.open("rb") as handle:
            entries = tomllib.load(handle).get("difference", [])
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: not valid TOML ({exc})") from None
    for number, (url, difference) in enumerate(catalog.reports, 1):
        if difference not in catalog.entries:
            raise CatalogError(
                f"{path}: report #{number} ({url or 'no url'}) names difference "
                f"{difference!r}, which is no entry's id: fix the id or add the entry"
            )
    per_entry = report_counts(catalog)
    counts: Counter[str] = Counter()
    for entry in entries:
        for case in entry.get("cases", []):
            counts[str(case)] += per_entry.get(str(entry.get("id", "")), 0)
    return dict(counts)


def hits(case_id: str, counts: Mapping[str, int]) -> int:
    """The user reports that reach a case: those of entries naming it exactly, plus those of
    entries naming its behaviour without a parameter (``suite.name`` covers every
    ``suite.name[param]``)."""
    base = case_id.partition("[")[0]
    return counts.get(case_id, 0) + (counts.get(base, 0) if base != case_id else 0)
