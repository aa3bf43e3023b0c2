"""The CI workflow: valid against GitHub's schema, its plan step yields every backend, its
actions are pinned, and the rehearsal's comparison of two runs means what it says."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from dbparity import ci
from dbparity import results as results_format
from tests.conftest import BACKENDS_DIR, ROOT

WORKFLOW = ROOT / ci.WORKFLOW
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return ci.load_workflow(WORKFLOW)


def check_schema(path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema with its built-in (vendored, offline) GitHub workflow schema."""
    argv = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
    return subprocess.run([*argv, str(path)], capture_output=True, text=True, check=False)


def test_workflow_passes_the_github_workflow_schema() -> None:
    checked = check_schema(WORKFLOW)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    """The check above can fail: a job without runs-on is not a workflow."""
    broken = tmp_path / "broken.yml"
    text = WORKFLOW.read_text("utf-8")
    broken.write_text(text.replace("runs-on: ubuntu-latest", "runs-onn: ubuntu-latest", 1))
    checked = check_schema(broken)
    assert checked.returncode != 0
    assert "runs-onn" in checked.stdout + checked.stderr


def backend_files() -> dict[str, dict[str, Any]]:
    backends = (tomllib.loads(p.read_text("utf-8")) for p in BACKENDS_DIR.glob("*.toml"))
    return {b["id"]: b for b in backends}


def test_plan_step_yields_every_backend_and_every_postgres_version(
    workflow: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs the plan job's own matrix step (nox --list --json piped into dbparity.ci): every
    backend once as it runs locally (the reference column among them), plus every PostgreSQL
    backend at every version of the noxfile's axis, the same selection as `nox -t versions`."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    versions = str(workflow["env"]["POSTGRES_VERSIONS"]).split()
    assert set(versions) == set(noxfile_axis())
    jobs = ci.plan_matrix(workflow, ROOT, versions)

    backends = backend_files()
    assert {job["backend"] for job in jobs} == set(backends)
    for backend_id, backend in backends.items():
        mine = [job for job in jobs if job["backend"] == backend_id]
        plain = [job for job in mine if not job["version"]]
        assert [(j["session"], j["name"]) for j in plain] == [
            (f"conformance({backend_id})", backend_id)
        ]
        axis = {j["version"]: j for j in mine if j["version"]}
        if backend["provision"] == "postgres":
            assert sorted(axis) == sorted(versions)
            for version, job in axis.items():
                assert job["session"] == f"versions({backend_id}-pg{version})"
                assert job["name"] == f"{backend_id}-pg{version}"
        else:  # no version axis for SQLite, nor for PGlite (its PostgreSQL version is built in)
            assert axis == {}
    names = [job["name"] for job in jobs]
    assert len(names) == len(set(names)), "artifact and results names must not collide"


def noxfile_axis() -> dict[str, str]:
    """The noxfile's POSTGRES_AXIS, read without importing nox's session machinery."""
    import ast

    tree = ast.parse((ROOT / "noxfile.py").read_text("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(isinstance(t, ast.Name) and t.id == "POSTGRES_AXIS" for t in targets):
                assert node.value is not None
                value: dict[str, str] = ast.literal_eval(node.value)
                return value
    raise AssertionError("noxfile.py defines no POSTGRES_AXIS")


def test_every_action_is_pinned_to_a_commit(workflow: dict[str, Any]) -> None:
    uses = [
        step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step
    ]
    assert uses
    assert [u for u in uses if not PINNED.match(u)] == []


def test_permissions_are_least_privilege(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions", {})
        writes = {scope for scope, level in granted.items() if level == "write"}
        assert writes <= ({"pages", "id-token"} if name == "pages" else set()), name


def test_fan_out_and_fan_in_shape(workflow: dict[str, Any]) -> None:
    jobs = workflow["jobs"]
    conformance = jobs["conformance"]
    assert conformance["strategy"]["fail-fast"] is False
    upload = ci.find_step(workflow, "conformance", "upload")
    assert "always()" in upload["if"]
    assert "${{ matrix.name }}" in upload["with"]["name"]
    report = jobs["report"]
    assert "always()" in report["if"]
    assert set(report["needs"]) == {"conformance", "bench"}
    download = ci.find_step(workflow, "report", "download")["with"]
    assert download["merge-multiple"] is True
    assert "nox -s report" in ci.find_step(workflow, "report", "report")["run"]
    assert "GITHUB_STEP_SUMMARY" in ci.find_step(workflow, "report", "summary")["run"]
    assert "nox -s bench" in ci.find_step(workflow, "bench", "bench")["run"]
    gate = jobs["gate"]
    assert set(gate["needs"]) == set(jobs) - {"gate"}
    assert "always()" in gate["if"]


def test_rehearsal_refuses_expressions_it_cannot_expand() -> None:
    assert ci.substitute("x-${{ matrix.name }}", {"name": "a"}) == "x-a"
    with pytest.raises(ci.CIError, match=r"secrets\.TOKEN"):
        ci.substitute("${{ secrets.TOKEN }}", {})


def test_plan_puts_only_listed_versions_on_the_axis() -> None:
    def session(name: str, call: dict[str, str], *tags: str) -> dict[str, Any]:
        return {"session": name, "tags": list(tags), "call_spec": call}

    sessions = [
        session("c(pg)", {"backend": "pg"}, "conformance", "postgresql"),
        session("c(lite)", {"backend": "lite"}, "conformance", "sqlite"),
        session("v(pg-pg13)", {"backend": "pg", "version": "13"}, "postgresql-version"),
        session("v(pg-pg17)", {"backend": "pg", "version": "17"}, "postgresql-version"),
        session("other", {}, "lint"),
    ]
    jobs = ci.plan_jobs(sessions, ["17"])
    assert [(j["name"], j["version"]) for j in jobs] == [
        ("pg", ""),
        ("lite", ""),
        ("pg-pg17", "17"),
    ]
    assert [j["name"] for j in ci.plan_jobs(sessions, [])] == ["pg", "lite"]
    with pytest.raises(ci.CIError, match="repeat"):
        ci.plan_jobs([sessions[1], sessions[1]], [])


# --- what "the merged report equals the plain run's" means -----------------------------------


def write_results(
    path: Path, backend: str, server: str, outcomes: dict[str, str], duration: float
) -> Path:
    cases = [
        results_format.Case(
            id=case_id,
            suite=case_id.split(".")[0],
            name=case_id.split(".")[1],
            title=case_id,
            outcome=outcome,  # type: ignore[arg-type]
            reason=f"took {duration}s",
            duration_s=duration,
        )
        for case_id, outcome in outcomes.items()
    ]
    run = results_format.RunInfo(
        status="run", server_version=server, duration_s=duration * 10, machine=f"host{duration}"
    )
    info = results_format.BackendInfo(id=backend, label=backend, family="sqlite", driver="x")
    results_format.write(results_format.Results(info, run, cases), path)
    return path


def test_comparison_ignores_timings_machines_and_messages(tmp_path: Path) -> None:
    outcomes = {"crud.a": "conforms", "crud.b": "diverges"}
    plain = write_results(tmp_path / "p.json", "lite", "SQLite 3.45", outcomes, 0.1)
    merged = write_results(tmp_path / "m.json", "lite", "SQLite 3.45", outcomes, 9.9)
    assert ci.compare(ci.compatibility([plain]), ci.compatibility([merged])) == []


def test_comparison_reports_every_outcome_or_column_that_differs(tmp_path: Path) -> None:
    plain = [
        write_results(tmp_path / "p1.json", "lite", "SQLite 3.45", {"crud.a": "conforms"}, 1),
        write_results(tmp_path / "p2.json", "pg", "PostgreSQL 15.8", {"crud.a": "conforms"}, 1),
    ]
    merged = [
        write_results(
            tmp_path / "m1.json",
            "lite",
            "SQLite 3.45",
            {"crud.a": "unexpected-failure", "crud.z": "conforms"},
            1,
        ),
        write_results(tmp_path / "m2.json", "pg", "PostgreSQL 16.4", {"crud.a": "conforms"}, 1),
    ]
    differences = ci.compare(ci.compatibility(plain), ci.compatibility(merged))
    assert differences == [
        "column only in the plain run: pg@PostgreSQL 15.8",
        "column only in the merged run: pg@PostgreSQL 16.4",
        "lite@SQLite 3.45: crud.a: plain conforms, merged unexpected-failure",
        "lite@SQLite 3.45: crud.z: plain absent, merged conforms",
    ]


def test_results_files_and_the_merged_report_name_columns_alike(tmp_path: Path) -> None:
    """One path decides what a column is: two files of one column are shards, pooled as the
    report pools them, and a disagreement between them is the report's conflict cell."""
    from dbparity.report import load_inputs, write_reports

    files = [
        write_results(tmp_path / "a.json", "lite", "SQLite 3.45", {"crud.a": "conforms"}, 1),
        write_results(tmp_path / "b.json", "lite", "SQLite 3.45", {"crud.a": "error"}, 1),
        write_results(tmp_path / "c.json", "lite", "SQLite 3.45", {"crud.b": "conforms"}, 1),
    ]
    table = ci.compatibility(files)
    assert table == {"lite@SQLite 3.45": {"crud.a": "conflict", "crud.b": "conforms"}}
    write_reports(load_inputs(files), tmp_path / "reports")
    assert ci.report_compatibility(tmp_path / "reports" / "results.json") == table


def test_merged_reports_compare_on_cells_not_on_timings(tmp_path: Path) -> None:
    """Through the real report writer: two reports from the same outcomes compare equal even
    when their timings differ, and a changed outcome shows up as that cell."""
    from dbparity.report import load_inputs, write_reports

    def report(name: str, duration: float, outcome: str) -> Path:
        folder = tmp_path / name
        files = [
            write_results(
                folder / "lite.json", "lite", "SQLite 3.45", {"crud.a": outcome}, duration
            ),
            write_results(
                folder / "pg.json", "pg", "PostgreSQL 15.8", {"crud.b": "conforms"}, duration
            ),
        ]
        write_reports(load_inputs(files), folder / "reports")
        return folder / "reports" / "results.json"

    plain = ci.report_compatibility(report("plain", 0.1, "conforms"))
    assert ci.compare(plain, ci.report_compatibility(report("merged", 7.5, "conforms"))) == []
    changed = ci.compare(plain, ci.report_compatibility(report("red", 0.1, "error")))
    assert len(changed) == 1
    assert "crud.a: plain conforms, merged error" in changed[0]


def test_fan_in_refuses_two_artifacts_with_the_same_file(
    workflow: dict[str, Any], tmp_path: Path
) -> None:
    artifacts = tmp_path / "artifacts"
    for name in ("results-a", "results-b"):
        (artifacts / name).mkdir(parents=True)
        (artifacts / name / "same.json").write_text("{}")
    with pytest.raises(ci.CIError, match="collides"):
        ci.fan_in(workflow, artifacts, tmp_path / "tree")


@pytest.mark.parametrize(
    ("results", "passes"),
    [
        ({"conformance": "success", "report": "success", "pages": "skipped"}, True),
        ({"conformance": "success", "report": "success", "pages": "success"}, True),
        ({"conformance": "failure", "report": "success", "pages": "skipped"}, False),
        ({"conformance": "cancelled", "report": "success", "pages": "skipped"}, False),
        ({"conformance": "skipped", "report": "success", "pages": "skipped"}, False),
        ({"conformance": "success", "report": "success", "pages": "failure"}, False),
    ],
)
def test_gate_is_green_only_when_every_job_succeeded(
    workflow: dict[str, Any], tmp_path: Path, results: dict[str, str], passes: bool
) -> None:
    """The gate job's own step, run with jq as on the runner."""
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed here (GitHub's Ubuntu runners have it)")
    needs = {name: {"result": "success"} for name in ("plan", "bench")}
    needs.update({name: {"result": result} for name, result in results.items()})
    code = ci.run_step(workflow, "gate", "gate", tmp_path, env={"NEEDS": json.dumps(needs)})
    assert (code == 0) is passes
