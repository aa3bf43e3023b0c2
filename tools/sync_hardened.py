"""Carry new divergences of plain SQLite over to the hardened SQLite backend file.

When cases are added, ``backends/sqlite-memory.toml`` gains declarations that
``backends/sqlite-hardened.toml`` lacks (tests/test_sqlite_settings.py then fails: the two files
no longer add up). This appends each declaration of plain SQLite that the hardened file neither
declares nor attributes to a setting (``[removes]``), verbatim, at the end of the hardened file.
Then run ``nox -s "conformance(sqlite-hardened)"``: a stale expectation means a setting removes
that divergence (move it to the setting's ``[removes]`` list after checking it with the setting
alone), an unexpected failure means a setting changed how it fails (adjust ``fails`` and the
reason).

    python tools/sync_hardened.py            # appends, and prints what it appended
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAIN = ROOT / "backends" / "sqlite-memory.toml"
HARDENED = ROOT / "backends" / "sqlite-hardened.toml"


def _entries(text: str) -> dict[str, str]:
    """Each ``[diverges."id"]`` table's source text, by case id."""
    found: dict[str, str] = {}
    parts = re.split(r'(?m)^(?=\[diverges\.")', text)
    for part in parts[1:]:
        case_id = part.split('"', 2)[1]
        found[case_id] = part.rstrip() + "\n"
    return found


def main() -> int:
    plain_text, hardened_text = PLAIN.read_text("utf-8"), HARDENED.read_text("utf-8")
    hardened = tomllib.loads(hardened_text)
    declared = {key.split("[", 1)[0] for key in hardened.get("diverges", {})}
    removed = {case for cases in hardened.get("removes", {}).values() for case in cases}
    missing = [
        source
        for case_id, source in _entries(plain_text).items()
        if case_id.split("[", 1)[0] not in declared | removed
    ]
    if not missing:
        print("sqlite-hardened.toml already has every divergence of sqlite-memory.toml")
        return 0
    HARDENED.write_text(hardened_text.rstrip() + "\n\n" + "\n".join(missing), "utf-8")
    for source in missing:
        print("appended", source.split("\n", 1)[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
