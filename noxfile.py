"""nox sessions: the conformance suites once per backend, then the reports; the project's own
tests; lint.

The backends are read from ``backends/*.toml`` here (the noxfile's directory is not on sys.path
when nox imports it, so this file does not import dbparity): adding a backend file adds a session.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import nox

ROOT = Path(__file__).parent
RESULTS = ROOT / "results"
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["conformance", "report"]


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
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
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
