"""The hardened SQLite backend's claims: each setting removes exactly the divergences its
``[removes]`` entry names (checked by running them with that setting alone), and every
divergence of plain SQLite that the hardened file no longer declares is attributed to a setting.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Boolean, Column, Integer, MetaData, Numeric, String, Table
from sqlalchemy.schema import CreateTable

from dbparity.backends import BackendConfigError, load_backend, load_backends
from dbparity.engines import build_engine
from tests.conftest import BACKENDS_DIR

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = load_backends(BACKENDS_DIR)
PLAIN = BACKENDS["sqlite-memory"]
HARDENED = BACKENDS["sqlite-hardened"]


def _bases(ids: object) -> set[str]:
    return {case.split("[", 1)[0] for case in ids}  # type: ignore[attr-defined]


def test_every_removed_or_added_divergence_is_attributed_to_one_setting() -> None:
    """The report's per-setting attribution is complete: what plain SQLite declares and the
    hardened file does not is in exactly one setting's removes, and the reverse in its adds."""
    for table in (HARDENED.removes, HARDENED.adds):
        attributed = [case for cases in table.values() for case in cases]
        assert len(attributed) == len(set(attributed)), "a divergence attributed to two settings"
    removed = _bases(PLAIN.divergences) - _bases(HARDENED.divergences)
    added = _bases(HARDENED.divergences) - _bases(PLAIN.divergences)
    assert {c for cases in HARDENED.removes.values() for c in cases} == removed, (
        "sqlite-memory.toml and sqlite-hardened.toml no longer add up: run "
        "`python tools/sync_hardened.py`, then the conformance(sqlite-hardened) session"
    )
    assert {c for cases in HARDENED.adds.values() for c in cases} == added


SINGLE = """id = "sqlite-single"
label = "SQLite with one setting"
family = "sqlite"
dialect = "sqlite+aiosqlite"
provision = "sqlite-memory"

[sqlite]
{setting} = true
"""


@pytest.mark.slow
@pytest.mark.parametrize("setting", sorted({*HARDENED.removes, *HARDENED.adds}))
def test_setting_alone_removes_and_adds_what_it_claims(setting: str, tmp_path: Path) -> None:
    """With only this setting on (and no divergences declared), the cases it claims to fix
    conform and the cases it claims to break fail; on plain SQLite the first are declared
    divergences and the second are not, so the setting is what changed."""
    removes, adds = HARDENED.removes.get(setting, ()), HARDENED.adds.get(setting, ())
    assert all(case in PLAIN.divergences for case in removes)
    assert not any(case in PLAIN.divergences for case in adds)
    cases = (*removes, *adds)
    (tmp_path / "sqlite-single.toml").write_text(SINGLE.format(setting=setting), "utf-8")
    results = tmp_path / "results.json"
    node_ids = [
        f"suites/test_{case.split('.')[0]}.py::test_{case.split('.', 1)[1]}" for case in cases
    ]
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", *node_ids, "--backend=sqlite-single"),
            *(f"--dbparity-backends={tmp_path}", f"--dbparity-results={results}"),
            *("-p", "no:randomly", "-p", "no:cacheprovider", "-q"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert results.exists(), done.stdout + done.stderr
    outcomes = {
        c["id"].split("[")[0]: c["outcome"] for c in json.loads(results.read_text())["cases"]
    }
    expected = {**dict.fromkeys(removes, "conforms"), **dict.fromkeys(adds, "unexpected-failure")}
    assert outcomes == expected, done.stdout


def test_strict_tables_and_type_checks_shape_create_table() -> None:
    table = Table(
        "t",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(5)),
        Column("flag", Boolean),
        Column("amount", Numeric(6, 2)),
    )
    ddl = str(CreateTable(table).compile(build_engine(HARDENED, "sqlite+aiosqlite://").sync_engine))
    assert ddl.rstrip().endswith("STRICT")
    assert "name TEXT CHECK (length(name) <= 5)" in ddl
    assert "flag INTEGER CHECK (flag IN (0, 1))" in ddl
    assert "amount REAL CHECK (abs(amount) < 1e4)" in ddl
    assert "id INTEGER NOT NULL" in ddl  # a key keeps no range check (it is the rowid)
    plain = str(CreateTable(table).compile(build_engine(PLAIN, "sqlite+aiosqlite://").sync_engine))
    assert "STRICT" not in plain and "CHECK" not in plain  # only the hardened engine changed


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("[sqlite]\nstrictish = true\n", "unknown key 'sqlite.strictish'"),
        ("[sqlite]\ncase_sensitive_like = 1\n", "key 'sqlite.case_sensitive_like' must be a bool"),
        ('[removes]\ntype_checks = ["types.x"]\n', "key 'removes.type_checks': not a setting"),
    ],
)
def test_bad_settings_are_one_line_errors(tmp_path: Path, extra: str, message: str) -> None:
    path = tmp_path / "sqlite-x.toml"
    path.write_text(SINGLE.replace("sqlite-single", "sqlite-x").split("[sqlite]")[0] + extra)
    with pytest.raises(BackendConfigError, match=message.replace("(", r"\(")) as raised:
        load_backend(path)
    assert str(raised.value).startswith(str(path))
    assert "\n" not in str(raised.value)
