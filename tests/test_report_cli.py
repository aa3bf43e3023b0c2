"""`dbparity report`: writes the three files; a bad input is one line naming the file, exit 2."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dbparity.cli import main
from dbparity.report import REPORT_FILES

DATA = Path(__file__).parent / "data" / "report"
ROOT = Path(__file__).resolve().parent.parent


def test_report_writes_markdown_html_and_json(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dbparity.cli",
            "--backends-dir",
            str(ROOT / "backends"),
            "report",
            str(DATA / "pg.json"),
            str(DATA / "lite-a.json"),
            str(DATA / "lite-b.json"),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)
    assert len(REPORT_FILES) == 4 and "summary.md" in REPORT_FILES
    # backends/ names sqlite-file and postgres-psycopg; no input has them, so they did not run.
    assert "sqlite-file@not run: not run: no results file" in done.stdout
    markdown = (out / "compatibility.md").read_text("utf-8")
    assert "`postgres-psycopg`<br>PostgreSQL (psycopg 3): not run" in markdown


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("truncated.json", "not valid JSON"),
        ("corrupt.json", "not valid JSON"),
        ("empty.json", "not valid JSON"),
        ("foreign.json", "not a dbparity results file"),
        ("wrong-types.json", "cases[0].title must be a string, not int"),
        ("does-not-exist.json", "no such results file"),
    ],
)
def test_a_bad_input_is_one_line_naming_the_file(
    name: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["report", str(DATA / "pg.json"), str(DATA / name), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err
    assert str(DATA / name) in err and says in err
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_a_directory_given_as_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "results.json"
    folder.mkdir()
    code = main(["report", str(folder), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and str(folder) in err


def test_an_output_that_cannot_be_written_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("a file where the output directory should go\n", "utf-8")
    code = main(["report", str(DATA / "pg.json"), "-o", str(blocker)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and str(blocker) in err


def test_inputs_sharing_a_file_name_are_named_by_path(tmp_path: Path) -> None:
    for shard in ("a", "b"):
        (tmp_path / shard).mkdir()
    shutil.copy(DATA / "lite-a.json", tmp_path / "a" / "sqlite-memory.json")
    shutil.copy(DATA / "lite-conflict.json", tmp_path / "b" / "sqlite-memory.json")
    code = main(
        [
            "report",
            str(tmp_path / "a" / "sqlite-memory.json"),
            str(tmp_path / "b" / "sqlite-memory.json"),
            "-o",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0
    markdown = (tmp_path / "out" / "compatibility.md").read_text("utf-8")
    assert f"{tmp_path / 'a' / 'sqlite-memory.json'} says diverges" in markdown
