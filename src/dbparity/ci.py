"""The CI fan-out and fan-in as code: the plan job's matrix, and a local rehearsal of the workflow.

The plan job runs this module before the package is installed
(``nox --list --json -t conformance | PYTHONPATH=src python -m dbparity.ci matrix``), so it
imports only the standard library (and :mod:`dbparity.results`, which does too) at module level.

The rehearsal (``nox -s ci``) reads ``.github/workflows/conformance.yml`` and runs the steps CI
runs, in a copy of the working tree: the plan step, each matrix job's conformance step one after
another with its artifact folder kept apart, then the report job's download (merge-multiple) and
report steps. Then it runs the plain local command and checks that both give the same
compatibility matrix. So the distributed path is tested on one machine, with the workflow's own
commands rather than a copy of them.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dbparity import results as results_format

WORKFLOW = Path(".github/workflows/conformance.yml")
#: The tag of the noxfile's server-version sessions (``versions(<backend>-pg<version>)``).
VERSION_TAG = "postgresql-version"
REPORTS = Path("results/reports")  # where `nox -s report` writes
REPORT_JSON = REPORTS / "results.json"
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")

Job = dict[str, str]
Compatibility = dict[str, dict[str, str]]


def _say(message: str) -> None:
    """Progress lines, flushed so they stay in order with the steps' own output."""
    print(message, flush=True)


class CIError(RuntimeError):
    """The workflow or the rehearsal went wrong; the message says where."""


# --- the plan job ----------------------------------------------------------------------------


def plan_jobs(sessions: Sequence[Mapping[str, Any]], postgres_versions: Sequence[str]) -> list[Job]:
    """One job per conformance session (the PostgreSQL ones give the reference column), plus
    one per server-version session (``versions(...)``, tagged ``postgresql-version``) whose
    version is in ``postgres_versions``.

    A job's ``name`` is unique in the matrix: it names the job, its artifact and its results
    file, so files from different jobs never collide when the report job merges them. A
    conformance job is named like the backend, exactly as a plain local run names its results
    file; a version job ``<backend>-pg<version>``, as ``nox -t versions`` names it."""
    jobs: list[Job] = []
    for session in sessions:
        tags = session.get("tags") or []
        call = session.get("call_spec") or {}
        base = {"session": str(session["session"]), "backend": str(call.get("backend", ""))}
        if VERSION_TAG in tags:
            version = str(call["version"])
            if version in postgres_versions:
                jobs.append({**base, "name": f"{base['backend']}-pg{version}", "version": version})
        elif "conformance" in tags:
            jobs.append({**base, "name": base["backend"], "version": ""})
    names = [job["name"] for job in jobs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CIError(f"matrix: job names {duplicates} repeat; each backend id must be unique")
    if not jobs:
        raise CIError("matrix: no session is tagged 'conformance'; check noxfile.py")
    return jobs


def cmd_matrix(args: argparse.Namespace) -> int:
    """Read ``nox --list --json`` on stdin; print ``matrix=<json>`` for ``$GITHUB_OUTPUT``."""
    try:
        sessions = json.load(sys.stdin)
    except json.JSONDecodeError as exc:
        print(f"dbparity.ci matrix: stdin is not nox --list --json output ({exc})", file=sys.stderr)
        return 2
    jobs = plan_jobs(sessions, args.postgres_versions.split())
    print("matrix=" + json.dumps({"include": jobs}, separators=(",", ":")))
    return 0


# --- comparing runs --------------------------------------------------------------------------


def conformance_files(directory: Path) -> list[Path]:
    """The conformance results files in a results folder (benchmark files feed speed.md)."""
    return [p for p in directory.glob("*.json") if not p.name.startswith(("bench-", "."))]


def compatibility(files: Iterable[Path]) -> Compatibility:
    """The compatibility matrix of some results files: column key -> case id -> outcome.

    Built by :func:`dbparity.report.merge`, the same code that builds the reports, so a column
    here is what a column is there (a backend plus the server that ran it; shards of one run
    pooled, a disagreement between them a ``conflict`` cell). Timings, durations, machine names
    and failure messages are left out: they differ between any two runs."""
    from dbparity.report import load_inputs, merge

    merged = merge(load_inputs(files))
    return {
        column.key: {row.id: row.cells[column.key].outcome for row in merged.rows}
        for column in merged.columns
    }


def report_compatibility(path: Path) -> Compatibility:
    """The compatibility matrix of a merged report (``reports/results.json``), in the same
    shape as :func:`compatibility`: the report's own column keys and cell outcomes."""
    from dbparity.report.jsondata import FORMAT

    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CIError(f"{path}: cannot read the merged report ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CIError(f"{path}: not a merged report (format {FORMAT!r})")
    table: Compatibility = {c["key"]: {} for c in data["columns"]}
    for case in data["cases"]:
        for key, cell in case["cells"].items():
            table[key][case["id"]] = cell["outcome"]
    return table


def compare(expected: Compatibility, actual: Compatibility) -> list[str]:
    """Every difference between two compatibility matrices, one line each; empty when equal."""
    lines = [f"column only in the plain run: {c}" for c in sorted(expected.keys() - actual)]
    lines += [f"column only in the merged run: {c}" for c in sorted(actual.keys() - expected)]
    for column in sorted(expected.keys() & actual.keys()):
        want, got = expected[column], actual[column]
        for case in sorted(want.keys() | got.keys()):
            if want.get(case) != got.get(case):
                lines.append(
                    f"{column}: {case}: plain {want.get(case, 'absent')}, "
                    f"merged {got.get(case, 'absent')}"
                )
    return lines


# --- running the workflow's own steps --------------------------------------------------------


def load_workflow(path: Path) -> dict[str, Any]:
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(path.read_text("utf-8"))
    if not isinstance(data, dict) or "jobs" not in data:
        raise CIError(f"{path}: not a GitHub workflow (no 'jobs' key)")
    return data


def find_step(workflow: Mapping[str, Any], job: str, step_id: str) -> dict[str, Any]:
    for step in workflow["jobs"][job]["steps"]:
        if step.get("id") == step_id:
            return dict(step)
    raise CIError(f"{WORKFLOW}: job {job!r} has no step with id {step_id!r}")


def substitute(text: str, matrix: Mapping[str, str]) -> str:
    """Expand ``${{ matrix.KEY }}``; any other expression is refused, so the rehearsal never
    silently runs something different from CI."""

    def expand(match: re.Match[str]) -> str:
        expression = match.group(1)
        key = expression.removeprefix("matrix.")
        if expression.startswith("matrix.") and key in matrix:
            return matrix[key]
        raise CIError(f"{WORKFLOW}: the rehearsal cannot expand ${{{{ {expression} }}}}")

    return _EXPRESSION.sub(expand, text)


def step_env(
    workflow: Mapping[str, Any],
    job: str,
    step: Mapping[str, Any],
    matrix: Mapping[str, str],
    given: Iterable[str] = (),
) -> dict[str, str]:
    """The env a step sees; variables in ``given`` are supplied by the caller, unexpanded."""
    env: dict[str, str] = {}
    for scope in (workflow, workflow["jobs"][job], step):
        for key, value in (scope.get("env") or {}).items():
            if key not in given:
                env[key] = substitute(str(value), matrix)
    return env


def run_step(
    workflow: Mapping[str, Any],
    job: str,
    step_id: str,
    cwd: Path,
    matrix: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run a ``run:`` step as a GitHub runner would (``shell: bash`` is ``bash -eo pipefail``),
    with the workflow's, job's and step's env; ``env`` overrides them. Returns the exit code."""
    step = find_step(workflow, job, step_id)
    matrix = matrix or {}
    env = env or {}
    full_env = {**os.environ, **step_env(workflow, job, step, matrix, env), **env}
    script = substitute(str(step["run"]), matrix)
    argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script]
    _say(f"ci > [{job}{' ' + matrix['name'] if 'name' in matrix else ''}] {script.strip()}")
    return subprocess.run(argv, cwd=cwd, env=full_env, check=False).returncode


def plan_matrix(
    workflow: Mapping[str, Any], cwd: Path, postgres_versions: Sequence[str]
) -> list[Job]:
    """The plan job's matrix step, run for real; its ``$GITHUB_OUTPUT`` parsed."""
    with tempfile.TemporaryDirectory(prefix="dbparity-ci-plan-") as tmp:
        output = Path(tmp) / "output"
        output.touch()
        code = run_step(
            workflow,
            "plan",
            "matrix",
            cwd,
            env={"GITHUB_OUTPUT": str(output), "POSTGRES_VERSIONS": " ".join(postgres_versions)},
        )
        if code:
            raise CIError(f"plan job's matrix step exited {code}")
        lines = output.read_text("utf-8").splitlines()
    for line in lines:
        if line.startswith("matrix="):
            include: list[Job] = json.loads(line.removeprefix("matrix="))["include"]
            return include
    raise CIError("plan job's matrix step wrote no 'matrix=' line to $GITHUB_OUTPUT")


# --- the rehearsal ---------------------------------------------------------------------------


def copy_tree(root: Path, dest: Path) -> None:
    """The working tree as a fresh checkout would have it: tracked and new files, not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = root / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def _fresh(directory: Path) -> Path:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


def fan_out(workflow: Mapping[str, Any], tree: Path, jobs: list[Job], artifacts: Path) -> list[str]:
    """Each matrix job's conformance step, serially; each job's upload folder saved under its
    artifact name. Returns the names of the jobs that failed (CI would mark them red)."""
    upload = find_step(workflow, "conformance", "upload")["with"]
    failed = []
    for job in jobs:
        folder = _fresh(tree / upload["path"])
        if run_step(workflow, "conformance", "conformance", tree, matrix=job):
            failed.append(job["name"])
        artifact = artifacts / substitute(str(upload["name"]), job)
        if artifact.exists():
            raise CIError(f"artifact name {artifact.name!r} used by two jobs")
        if not any(folder.iterdir()):
            raise CIError(f"job {job['name']}: nothing to upload in {upload['path']}")
        shutil.copytree(folder, artifact)
    return failed


def fan_in(workflow: Mapping[str, Any], artifacts: Path, tree: Path) -> Path:
    """The report job's download step with merge-multiple: every matching artifact's files
    into one folder. A name two artifacts share is an error here (CI would overwrite)."""
    download = find_step(workflow, "report", "download")["with"]
    if not download.get("merge-multiple"):
        raise CIError(f"{WORKFLOW}: report job's download step must set merge-multiple")
    merged = _fresh(tree / download["path"])
    for artifact in sorted(artifacts.iterdir()):
        if not fnmatch.fnmatch(artifact.name, download["pattern"]):
            continue
        for file in artifact.rglob("*"):
            target = merged / file.relative_to(artifact)
            if file.is_dir():
                continue
            if target.exists():
                raise CIError(f"{file.relative_to(artifacts)} collides with another artifact")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target)
    return merged


def rehearse(root: Path, work: Path, postgres_versions: Sequence[str] = ()) -> int:
    tree, artifacts = _fresh(work / "tree"), _fresh(work / "artifacts")
    copy_tree(root, tree)
    workflow = load_workflow(tree / WORKFLOW)
    jobs = plan_matrix(workflow, tree, postgres_versions)
    _say(f"ci > plan: {len(jobs)} jobs: {', '.join(j['name'] for j in jobs)}")
    failed = fan_out(workflow, tree, jobs, artifacts)
    merged_results = fan_in(workflow, artifacts, tree)
    shutil.copytree(merged_results, work / "merged" / "results")
    if run_step(workflow, "report", "report", tree):
        raise CIError("the report job's report step failed on the merged artifacts")
    shutil.copytree(tree / REPORTS, work / "merged" / REPORTS)

    # The plain local run, in the same tree: every conformance session, then the report.
    # -R reuses the jobs' virtualenvs as they are (same tree, same install): it saves the time
    # of reinstalling, and changes nothing that runs.
    _fresh(tree / "results")  # the merged run's reports too: they sit in results/reports/
    argv = ["nox", "-R", "-s", "conformance", "report"]
    plain = subprocess.run(argv, cwd=tree, check=False)
    _say(f"ci > plain run ({' '.join(argv)}): exit {plain.returncode}")
    shutil.copytree(tree / "results", work / "plain" / "results")  # with its reports/

    differences = compare(
        report_compatibility(work / "plain" / REPORT_JSON),
        report_compatibility(work / "merged" / REPORT_JSON),
    )
    differences += compare(
        compatibility(conformance_files(work / "plain" / "results")),
        compatibility(conformance_files(work / "merged" / "results")),
    )
    _say(f"ci > jobs that would be red in CI: {', '.join(failed) or 'none'}")
    if differences:
        _say("ci > the merged run differs from the plain run:")
        _say("\n".join(f"  {line}" for line in differences))
        _say(
            "ci > both ran the same code on this machine, so a case listed here either depends "
            "on timing or scheduling (make it deterministic, or declare it), or was lost or "
            "renamed on the way through the artifacts"
        )
        return 1
    table = report_compatibility(work / "merged" / REPORT_JSON)
    cases = sum(len(c) for c in table.values())
    _say(f"ci > merged report equals the plain run's: {len(table)} columns, {cases} cells")
    return 0


def cmd_rehearse(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    if args.work:
        return rehearse(root, Path(args.work).resolve(), args.postgres_versions.split())
    with tempfile.TemporaryDirectory(prefix="dbparity-ci-") as tmp:
        return rehearse(root, Path(tmp), args.postgres_versions.split())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dbparity.ci", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    matrix = sub.add_parser("matrix", help=cmd_matrix.__doc__)
    matrix.add_argument("--postgres-versions", default="", help="e.g. '13 16 17 18'")
    matrix.set_defaults(func=cmd_matrix)
    rehearsal = sub.add_parser("rehearse", help="run the workflow's jobs here, then compare")
    rehearsal.add_argument("--root", default=".", help="the checkout to rehearse")
    rehearsal.add_argument("--work", default="", help="keep the rehearsal's files here")
    rehearsal.add_argument(
        "--postgres-versions",
        default="",
        help="PostgreSQL majors to fan out (default: one job per backend, its default image; "
        "without Docker every version would be the same local cluster)",
    )
    rehearsal.set_defaults(func=cmd_rehearse)
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except (CIError, results_format.ResultsFileError) as exc:
        print(f"dbparity.ci: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
