"""nox sessions: the conformance suites once per backend, then the reports; the project's own
tests; lint.

The backends are read from ``backends/*.toml`` here (the noxfile's directory is not on sys.path
when nox imports it, so this file does not import dbparity): adding a backend file adds a session.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path

import nox

ROOT = Path(__file__).parent
RESULTS = ROOT / "results"
REPORTS = ROOT / "reports"
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["conformance", "bench", "report"]

# uv does not write .pyc files at install time (pip does). Where PYTHONDONTWRITEBYTECODE is set,
# every pytest start would then recompile SQLAlchemy and friends (about 2 s each, and the
# project's tests start dozens of pytest processes): compile once, when installing.
os.environ.setdefault("UV_COMPILE_BYTECODE", "1")


def _backends() -> list[dict[str, object]]:
    return [tomllib.loads(p.read_text("utf-8")) for p in sorted((ROOT / "backends").glob("*.toml"))]


BACKENDS = _backends()


def _install(session: nox.Session, *extras: str) -> None:
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install(spec)


@nox.session(tags=["conformance-all"])
@nox.parametrize(
    "backend",
    [
        nox.param(
            b["id"],
            id=str(b["id"]),
            tags=["conformance", str(b["family"]), *[str(t) for t in b.get("tags", [])]],  # type: ignore[attr-defined]
        )
        for b in BACKENDS
    ],
)
def conformance(session: nox.Session, backend: str) -> None:
    """Run the conformance suites on one backend and write results/<backend>.json."""
    _install(session)
    RESULTS.mkdir(exist_ok=True)
    session.run(
        "pytest",
        "suites",
        "--ignore=suites/bench",
        f"--backend={backend}",
        f"--dbparity-results={RESULTS / f'{backend}.json'}",
        "-p",
        "no:randomly",
        *session.posargs,
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks on every backend, one after another in this one session (so the
    report's ratios come from one machine in one run): results/bench-<backend>.json each.

    Short rounds by default (the plain ``nox`` run); ``DBPARITY_BENCH_MODE=full nox -s bench``
    for full ones. Never under xdist: pytest-benchmark turns itself off there."""
    _install(session, "bench")
    RESULTS.mkdir(exist_ok=True)
    mode = os.environ.get("DBPARITY_BENCH_MODE", "short")
    for backend in [str(b["id"]) for b in BACKENDS]:
        output = RESULTS / f"bench-{backend}.json"
        output.unlink(missing_ok=True)  # a failed run must not leave an old file to report
        session.run(
            "pytest",
            "suites/bench",
            f"--backend={backend}",
            f"--benchmark-json={output}",
            "--benchmark-columns=median,iqr,rounds",
            "-p",
            "no:randomly",
            "-p",
            "no:xdist",
            "-q",
            *session.posargs,
            env={"DBPARITY_BENCH_MODE": mode},
        )


@nox.session
def report(session: nox.Session) -> None:
    """Merge results/*.json into reports/ (compatibility.md, summary.md, index.html,
    results.json) and keep the conformance results in reports/inputs/, from which the project's
    tests check that the committed compatibility.md is up to date."""
    files = sorted(RESULTS.glob("*.json"))
    if not files:
        session.error(
            f"no results files in {RESULTS}/: run the conformance sessions first "
            "(nox -t conformance), or download the CI artifacts into results/"
        )
    _install(session)
    session.run("dbparity", "report", *map(str, files), "-o", str(REPORTS))
    inputs = REPORTS / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    for old in inputs.glob("*.json"):
        old.unlink()
    for file in files:
        if not file.name.startswith("bench-"):  # benchmark files feed speed.md, not the matrix
            shutil.copy2(file, inputs / file.name)


@nox.session(tags=["check"])
def tests(session: nox.Session) -> None:
    """Run the project's own tests (harness, plugin, reports)."""
    _install(session)
    session.install(*nox.project.dependency_groups(PYPROJECT, "test"))
    session.run("pytest", "tests", *session.posargs)


@nox.session(tags=["check"])
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, and mypy on src/."""
    _install(session)
    # The test group too: src/dbparity/ci.py type-checks against ruamel.yaml from it.
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint", "test"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session(tags=["check"])
def ci(session: nox.Session) -> None:
    """Rehearse the GitHub Actions fan-out and fan-in here: the workflow's own plan, matrix and
    report steps, then a check that the merged result equals a plain local run's."""
    _install(session)
    session.install("nox[uv]", *nox.project.dependency_groups(PYPROJECT, "test"))
    session.run("python", "-m", "dbparity.ci", "rehearse", *session.posargs)
