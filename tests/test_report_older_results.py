"""A results file written by an older dbparity (no `run.suite_kind`, no `used_database`) is
refused by `dbparity report` in one line, never merged on a guess (trial T9: such a file once
counted an unwired run, where no test touched PostgreSQL, as every test passing there)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dbparity.cli import main
from tests.conftest import TinySuite

SUITE = """
from sqlalchemy import text


async def test_uses_the_database(connection):
    assert (await connection.execute(text("SELECT 1"))).scalar() == 1


def test_needs_no_database():
    pass
"""


def _older(path: Path, target: Path, *, drop_kind: bool, drop_used: bool) -> Path:
    """The file as an older dbparity wrote it: the same run without the newer fields."""
    data = json.loads(path.read_text("utf-8"))
    if drop_kind:
        del data["run"]["suite_kind"]
    if drop_used:
        for case in data["cases"]:
            del case["used_database"]
    target.write_text(json.dumps(data, indent=2), "utf-8")
    return target


@pytest.mark.parametrize(
    ("drop_kind", "drop_used", "names"),
    [
        (True, True, "run.suite_kind or used_database"),
        (True, False, "run.suite_kind"),
        (False, True, "used_database"),
    ],
)
def test_a_results_file_of_an_older_dbparity_is_refused_in_one_line(
    tiny_suite: TinySuite,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    drop_kind: bool,
    drop_used: bool,
    names: str,
) -> None:
    tiny_suite.write_tests("test_app.py", SUITE)
    result = tiny_suite.run("sqlite-memory")
    assert result.ret == 0, result.stdout.str()
    written = tiny_suite.path / "sqlite-memory.json"
    assert main(["report", str(written), "-o", str(tmp_path / "fresh")]) == 0  # as written: fine
    capsys.readouterr()

    old = _older(written, tmp_path / "old.json", drop_kind=drop_kind, drop_used=drop_used)
    code = main(["report", str(old), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert str(old) in err and f"written by an older dbparity (no {names})" in err, err
    assert "re-run it" in err, err
    assert not (tmp_path / "out").exists()  # nothing written on a guess
