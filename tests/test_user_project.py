"""A user's project: backend files that extend the shipped ones, `dbparity run` refusing bad
input, and the README's GitHub Actions job for a user's repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbparity.backends import BackendConfigError, load_backends, load_for_run
from tests.conftest import BACKENDS_DIR

DECLARED = """
[diverges."app.search"]
reason = "No ILIKE in SQLite."
fails = "OperationalError"
"""


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (tmp_path / name).write_text(text, "utf-8")
    return tmp_path


def test_declarations_only_extend_the_shipped_backend(tmp_path: Path) -> None:
    backends = load_for_run(project(tmp_path, {"sqlite-memory.toml": DECLARED}), "application")
    assert sorted(backends) == sorted(load_backends(BACKENDS_DIR))  # every shipped one
    lite = backends["sqlite-memory"]
    assert lite.dialect == "sqlite+aiosqlite" and lite.provision == "sqlite-memory"
    assert list(lite.divergences) == ["app.search"]  # the shipped ones stay out of a user's run
    assert lite.source == tmp_path / "sqlite-memory.toml"
    assert all(not b.divergences for b in backends.values() if b.id != "sqlite-memory")


def test_a_whole_new_backend_sits_beside_the_shipped_ones(tmp_path: Path) -> None:
    new = 'id = "lite2"\nlabel = "x"\nfamily = "sqlite"\ndialect = "sqlite+aiosqlite"\n'
    new += 'provision = "sqlite-memory"\n'
    backends = load_for_run(project(tmp_path, {"lite2.toml": new}), "application")
    assert "lite2" in backends and "postgres-asyncpg" in backends


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("mysql.toml", DECLARED, "'mysql' is no shipped backend"),
        ("sqlite-memory.toml", 'id = "other"\n', "differs from the file name"),
        ("sqlite-memory.toml", '[diverges."app.x"]\nreason = 3\n', "sqlite-memory.toml"),
    ],
)
def test_a_wrong_extension_is_one_line_naming_the_file(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(BackendConfigError, match=message) as caught:
        load_for_run(project(tmp_path, {name: text}), "application")
    assert str(tmp_path / name) in str(caught.value) and "\n" not in str(caught.value)


def test_dbparity_run_refuses_an_unknown_backend_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from dbparity.cli import main

    assert main(["run", "--backends", "sqlite-memory,nope", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown backend 'nope'" in err
    assert not list(tmp_path.iterdir())  # refused before anything ran


def test_the_readmes_github_actions_job_is_a_valid_workflow(tmp_path: Path) -> None:
    """The copy-paste job for a user's repository, checked against GitHub's workflow schema
    (check-jsonschema's built-in copy, offline)."""
    import re
    import subprocess
    import sys

    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    blocks = re.findall(r"```yaml\n# \.github/workflows/dbparity\.yml\n(.*?)```", readme, re.S)
    assert len(blocks) == 1 and "dbparity run" in blocks[0]
    workflow = tmp_path / "dbparity.yml"
    workflow.write_text(blocks[0], "utf-8")
    argv = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
    checked = subprocess.run([*argv, str(workflow)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_dbparity_report_reads_a_projects_declaration_only_files(tmp_path: Path) -> None:
    from dbparity.cli import main

    backends = project(tmp_path / "backends", {"sqlite-memory.toml": DECLARED})
    data = Path(__file__).parent / "data" / "report"
    argv = ["--backends-dir", str(backends), "report", str(data / "pg.json")]
    assert main([*argv, "-o", str(tmp_path / "out")]) == 0
    assert main(["--backends-dir", str(backends), "backends"]) == 0


def test_a_project_runs_the_stand_in_as_it_configures_it(pytester: pytest.Pytester) -> None:
    """dbparity's SQLite enforces foreign keys; a project whose own SQLite does not can say so
    in its backend file (three lines) and is measured as it really runs."""
    from tests.userproject import UserProject

    project = UserProject(pytester)
    project.write(
        "test_orphans.py",
        """
        from sqlalchemy import text


        async def test_orphan_row_is_accepted(connection):
            await connection.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
            await connection.execute(
                text("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER "
                     "REFERENCES parent (id))")
            )
            await connection.execute(text("INSERT INTO child (parent_id) VALUES (42)"))
        """,
    )
    assert project.run_on("sqlite-memory").ret == pytest.ExitCode.TESTS_FAILED  # FKs on
    project.write("backends/sqlite-memory.toml", "[sqlite]\nforeign_keys = false\n")
    result = project.run_on("sqlite-memory")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
