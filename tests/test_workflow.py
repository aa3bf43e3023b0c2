"""The CI workflow: valid against GitHub's schema, its plan step yields every backend, its
actions are pinned and each has a stand-in for act, the comparison of two reports means what it
says, and the reference PostgreSQL version is one setting, never on the version axis.

The workflow itself runs under act in ``nox -s act`` (tools/act/); these are the fast checks."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from ruamel.yaml import YAML

from dbparity import ci
from dbparity import results as results_format
from dbparity.provision import binaries
from dbparity.provision.images import major_of
from tests.conftest import BACKENDS_DIR, ROOT, TinySuite

WORKFLOW = ROOT / ".github" / "workflows" / "conformance.yml"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load_workflow(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(path.read_text("utf-8"))
    return data


def find_step(workflow: dict[str, Any], job: str, step_id: str) -> dict[str, Any]:
    steps = [s for s in workflow["jobs"][job]["steps"] if s.get("id") == step_id]
    assert len(steps) == 1, f"job {job} has no step with id {step_id}"
    return dict(steps[0])


def run_step(
    workflow: dict[str, Any], job: str, step_id: str, cwd: Path, env: dict[str, str]
) -> int:
    """A ``run:`` step with no expressions, as a runner runs it (``bash -eo pipefail``), with
    the workflow's env and ``env``: for the plan and gate steps, whose logic act's one real
    run cannot show every branch of."""
    step = find_step(workflow, job, step_id)
    script = str(step["run"])
    assert "${{" not in script, "this helper expands no expressions"
    full = {**os.environ, **{k: str(v) for k, v in workflow.get("env", {}).items()}, **env}
    argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script]
    return subprocess.run(argv, cwd=cwd, env=full, check=False).returncode


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return load_workflow(WORKFLOW)


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
    workflow: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Runs the plan job's own matrix step (nox --list --json piped into dbparity.ci): every
    backend once as it runs locally (the reference column among them), plus every PostgreSQL
    backend at every version of the noxfile's axis, the same selection as `nox -t versions`."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    versions = str(workflow["env"]["POSTGRES_VERSIONS"]).split()
    assert set(versions) == set(noxfile_axis())
    output = tmp_path / "github-output"
    output.touch()
    env = {"GITHUB_OUTPUT": str(output)}
    assert run_step(workflow, "plan", "matrix", ROOT, env) == 0
    (line,) = [x for x in output.read_text("utf-8").splitlines() if x.startswith("matrix=")]
    jobs: list[dict[str, str]] = json.loads(line.removeprefix("matrix="))["include"]

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
    upload = find_step(workflow, "conformance", "upload")
    assert "always()" in upload["if"]
    assert "${{ matrix.name }}" in upload["with"]["name"]
    report = jobs["report"]
    assert "always()" in report["if"]
    assert set(report["needs"]) == {"conformance", "bench"}
    download = find_step(workflow, "report", "download")["with"]
    assert download["merge-multiple"] is True
    assert "nox -s report" in find_step(workflow, "report", "report")["run"]
    assert "GITHUB_STEP_SUMMARY" in find_step(workflow, "report", "summary")["run"]
    assert "nox -s bench" in find_step(workflow, "bench", "bench")["run"]
    gate = jobs["gate"]
    assert set(gate["needs"]) == set(jobs) - {"gate"}
    assert "always()" in gate["if"]


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


def report_of(folder: Path, files: list[Path]) -> ci.Compatibility:
    """The compatibility matrix of the report the real report writer makes of ``files``."""
    from dbparity.report import load_inputs, write_reports

    write_reports(load_inputs(files), folder / "reports")
    return ci.report_compatibility(folder / "reports" / "results.json")


def test_comparison_ignores_timings_machines_and_messages(tmp_path: Path) -> None:
    outcomes = {"crud.a": "conforms", "crud.b": "diverges"}
    plain = write_results(tmp_path / "p" / "p.json", "lite", "SQLite 3.45", outcomes, 0.1)
    merged = write_results(tmp_path / "m" / "m.json", "lite", "SQLite 3.45", outcomes, 9.9)
    assert ci.compare(report_of(tmp_path / "p", [plain]), report_of(tmp_path / "m", [merged])) == []


def test_comparison_reports_every_outcome_or_column_that_differs(tmp_path: Path) -> None:
    plain = [
        write_results(tmp_path / "p" / "1.json", "lite", "SQLite 3.45", {"crud.a": "conforms"}, 1),
        write_results(
            tmp_path / "p" / "2.json", "pg", "PostgreSQL 15.8", {"crud.a": "conforms"}, 1
        ),
    ]
    merged = [
        write_results(
            tmp_path / "m" / "1.json",
            "lite",
            "SQLite 3.45",
            {"crud.a": "unexpected-failure", "crud.z": "conforms"},
            1,
        ),
        write_results(
            tmp_path / "m" / "2.json", "pg", "PostgreSQL 16.4", {"crud.a": "conforms"}, 1
        ),
    ]
    differences = ci.compare(report_of(tmp_path / "p", plain), report_of(tmp_path / "m", merged))
    assert differences == [
        "column only in the plain run: pg@PostgreSQL 15.8",
        "column only in the merged run: pg@PostgreSQL 16.4",
        "lite@SQLite 3.45: crud.a: plain conforms, merged unexpected-failure",
        "lite@SQLite 3.45: crud.z: plain absent, merged conforms",
    ]


def test_a_column_lost_on_the_way_through_the_artifacts_is_a_difference(tmp_path: Path) -> None:
    """What the act run's check sees when the fan-in misses an artifact: the column is gone."""
    lite = {"crud.a": "conforms"}
    files = [
        write_results(tmp_path / "p" / "lite.json", "lite", "SQLite 3.45", lite, 1),
        write_results(
            tmp_path / "p" / "pg.json", "pg", "PostgreSQL 15.8", {"crud.a": "conforms"}, 1
        ),
    ]
    differences = ci.compare(report_of(tmp_path / "p", files), report_of(tmp_path / "m", files[:1]))
    assert differences == ["column only in the plain run: pg@PostgreSQL 15.8"]


def test_shards_of_one_column_are_pooled_and_their_disagreement_is_a_conflict(
    tmp_path: Path,
) -> None:
    files = [
        write_results(tmp_path / "a.json", "lite", "SQLite 3.45", {"crud.a": "conforms"}, 1),
        write_results(tmp_path / "b.json", "lite", "SQLite 3.45", {"crud.a": "error"}, 1),
        write_results(tmp_path / "c.json", "lite", "SQLite 3.45", {"crud.b": "conforms"}, 1),
    ]
    table = report_of(tmp_path, files)
    assert table == {"lite@SQLite 3.45": {"crud.a": "conflict", "crud.b": "conforms"}}


def test_the_comparison_refuses_a_file_that_is_not_a_merged_report(tmp_path: Path) -> None:
    path = write_results(tmp_path / "lite.json", "lite", "SQLite 3.45", {"crud.a": "conforms"}, 1)
    with pytest.raises(ci.CIError, match="not a merged report"):
        ci.report_compatibility(path)


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
    code = run_step(workflow, "gate", "gate", tmp_path, env={"NEEDS": json.dumps(needs)})
    assert (code == 0) is passes


# --- the stand-ins act runs the workflow with --------------------------------------------------


def load_tool(name: str) -> ModuleType:
    """A module of tools/act/ (scripts, not a package)."""
    path = ROOT / "tools" / "act" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"act_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_pinned_action_maps_to_a_stand_in_with_the_same_inputs(
    workflow: dict[str, Any], tmp_path: Path
) -> None:
    """The --local-repository mapping is the workflow's own pins, each to a stand-in folder
    whose action.yml declares every input the workflow passes (act would ignore an unknown
    input where GitHub warns, so a misspelt one would pass here unseen)."""
    standins = load_tool("standins")
    mapping = standins.mapping(workflow, tmp_path)
    used = {
        step["uses"]: step.get("with") or {}
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if "uses" in step
    }
    assert set(mapping) == {u for u in used if not u.startswith("actions/checkout@")}
    for use, folder in mapping.items():
        source = standins.ACTIONS / folder.name
        declared = load_workflow(source / "action.yml")["inputs"]
        assert set(used[use]) <= set(declared), use
    args = standins.local_repository_args(workflow, tmp_path)
    assert args[1::2] == [f"{use}={folder}" for use, folder in mapping.items()]


def test_a_changed_pin_changes_the_mapping_and_an_unknown_action_is_refused(
    workflow: dict[str, Any], tmp_path: Path
) -> None:
    standins = load_tool("standins")
    text = WORKFLOW.read_text("utf-8")
    pin = find_step(workflow, "report", "download")["uses"]
    moved = pin.split("@")[0] + "@" + "0" * 40
    changed = YAML(typ="safe").load(text.replace(pin, moved))
    assert moved in standins.mapping(changed, tmp_path)
    assert pin not in standins.mapping(changed, tmp_path)
    unknown = YAML(typ="safe").load(text.replace(pin, "someone/else@" + "1" * 40))
    with pytest.raises(standins.StandinError, match=r"someone/else@1{40}, which has no stand-in"):
        standins.mapping(unknown, tmp_path)


def test_the_stand_ins_sources_change_their_build_folder() -> None:
    """The built stand-ins are cached by a hash of their sources, so an edit is never run
    from an older build."""
    standins = load_tool("standins")
    names = {str(p.relative_to(standins.ACTIONS)) for p in standins._sources()}
    assert {"artifact/upload.js", "artifact/package-lock.json", "setup-python/action.yml"} <= names
    assert not any("node_modules" in n or n.endswith("dist/index.js") for n in names)


# --- one reference PostgreSQL version ----------------------------------------------------------


def reference_version() -> int:
    """The one setting: the major version of the PostgreSQL backends' image."""
    backends = backend_files()
    majors = {
        major_of(b["postgres"]["image"]) for b in backends.values() if b["provision"] == "postgres"
    }
    assert len(majors) == 1, f"PostgreSQL backends name different image versions: {majors}"
    (major,) = majors
    assert major is not None
    return major


def test_the_reference_version_is_one_setting_and_not_on_the_axis(
    workflow: dict[str, Any],
) -> None:
    """Every PostgreSQL backend's image names the reference's major, and neither the noxfile's
    axis nor the workflow's lists it: a column is keyed by backend and server version, so a
    reference at an axis version would share its key (and the report would lose a version)."""
    reference = str(reference_version())
    assert reference not in noxfile_axis()
    assert reference not in str(workflow["env"]["POSTGRES_VERSIONS"]).split()
    noxfile = (ROOT / "noxfile.py").read_text("utf-8")
    assert 'f"--postgres-version={REFERENCE_POSTGRES}"' in noxfile


def system_binaries(major: int) -> bool:
    return any(b.major == major for b in binaries.system_binaries())


def embedded_binaries(major: int) -> bool:
    return any(b.major == major for b in binaries.embedded_binaries())


@pytest.mark.slow
def test_the_reference_column_and_a_version_axis_column_never_share_a_key(
    tiny_suite: TinySuite, tmp_path: Path
) -> None:
    """Real runs, as the noxfile makes them: the reference asks for its own version and is the
    reference column; an axis run asks for another and is a column beside it, with its own key."""
    from dbparity.report import load_inputs, merge

    reference = reference_version()
    axis = next((int(v) for v in noxfile_axis() if embedded_binaries(int(v))), None)
    if not system_binaries(reference) or axis is None:
        pytest.skip(f"needs system PostgreSQL {reference} and an embedded version of the axis")
    tiny_suite.write_tests(
        "test_one.py",
        """
        from sqlalchemy import text

        async def test_version(session):
            assert await session.scalar(text("SELECT 1")) == 1
        """,
    )
    files = []
    for version, source in ((reference, "local"), (axis, "embedded")):
        run = tiny_suite.run(
            "postgres-asyncpg", f"--postgres-version={version}", f"--postgres-source={source}"
        )
        assert run.ret == 0, run.stdout.str()
        files.append(
            shutil.copy(tiny_suite.path / "postgres-asyncpg.json", tmp_path / f"{version}.json")
        )
    columns = merge(load_inputs([Path(f) for f in files])).columns
    assert len({c.key for c in columns}) == len(columns) == 2
    (ref_column,) = [c for c in columns if c.backend.reference]
    (axis_column,) = [c for c in columns if not c.backend.reference]
    assert ref_column.server_version.startswith(f"PostgreSQL {reference}.")
    assert axis_column.server_version.startswith(f"PostgreSQL {axis}.")
