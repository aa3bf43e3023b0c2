"""``dbparity run``: a user's own suite on every backend, then the report, without a noxfile.

One pytest process per backend, one after the other (each provisions and removes its own
server), the reference first; a progress line per backend; results files and pytest's output
into one directory; then the compatibility report of exactly these runs, whose first section
says which tests behave differently on a stand-in and how long each backend took.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbparity.backends import Backend, load_for_run

#: pytest's exit statuses, as a user reads them in the progress line.
_STATUS = {
    0: "all tests passed",
    1: "some tests failed",
    2: "interrupted",
    3: "internal error",
    4: "usage error",
    5: "no tests collected",
}


class MatrixError(ValueError):
    """A request ``dbparity run`` cannot carry out; the message says what to do."""


@dataclass(frozen=True)
class BackendRun:
    backend: str
    exit_status: int
    seconds: float
    results: Path
    log: Path
    started: float

    @property
    def wrote_results(self) -> bool:
        """Whether this run (not an earlier one) wrote the results file."""
        return self.results.is_file() and self.results.stat().st_mtime >= self.started - 1


#: Backends that exist to change dbparity's own engines: in URL mode the engine is the user's.
_FIXTURE_MODE_ONLY = frozenset({"sqlite-hardened"})


def choose(
    requested: Sequence[str], backends_dir: Path | None, url_mode: bool = False
) -> list[Backend]:
    """The backends to run, the reference first; all known ones when none are named (in URL
    mode, all but those that only change dbparity's own engines)."""
    known = load_for_run(backends_dir, "application")
    unknown = [b for b in requested if b not in known]
    if unknown:
        raise MatrixError(
            f"--backends: unknown backend {', '.join(map(repr, unknown))}; "
            f"valid ids: {', '.join(known)}"
        )
    if requested:
        chosen = [known[b] for b in dict.fromkeys(requested)]
    else:
        chosen = [b for b in known.values() if not (url_mode and b.id in _FIXTURE_MODE_ONLY)]
    return sorted(chosen, key=lambda b: not b.reference)  # stable: the user's order otherwise


def run_backend(
    backend: Backend,
    out_dir: Path,
    pytest_args: Sequence[str],
    backends_dir: Path | None,
    env: Sequence[str] = (),
    shadow: str | None = None,
) -> BackendRun:
    """pytest on one backend, in this directory, output into ``<out>/<id>.log``; a stand-in
    with ``shadow`` runs in shadow mode (every statement also on that PostgreSQL backend)."""
    results = out_dir / f"{backend.id}.json"
    log = out_dir / f"{backend.id}.log"
    argv = [
        sys.executable,
        "-m",
        "pytest",
        f"--backend={backend.id}",
        f"--dbparity-results={results}",
        *([f"--dbparity-backends={backends_dir}"] if backends_dir else []),
        *[f"--dbparity-env={request}" for request in env],
        *([f"--dbparity-shadow={shadow}"] if shadow and is_stand_in(backend) else []),
        *pytest_args,
    ]
    started, wall = time.time(), time.monotonic()
    with log.open("w", encoding="utf-8") as output:
        status = subprocess.call(argv, stdout=output, stderr=subprocess.STDOUT)
    return BackendRun(backend.id, status, time.monotonic() - wall, results, log, started)


def is_stand_in(backend: Backend) -> bool:
    """Not a PostgreSQL server: what shadow mode compares with one."""
    return backend.family != "postgresql" or backend.provision == "pglite"


def run_matrix(
    requested: Sequence[str],
    out_dir: Path,
    pytest_args: Sequence[str],
    backends_dir: Path | None = None,
    env: Sequence[str] = (),
    shadow: str | None = None,
) -> list[BackendRun]:
    """Run every chosen backend in turn, printing one progress line per backend."""
    chosen = choose(requested, backends_dir, url_mode=bool(env))
    out_dir.mkdir(parents=True, exist_ok=True)
    # Generated output, never the user's to commit: keep their `git status` clean.
    (out_dir / ".gitignore").write_text("# written by dbparity run\n*\n", "utf-8")
    runs = []
    for index, backend in enumerate(chosen, 1):
        print(f"[{index}/{len(chosen)}] {backend.id}: running pytest ...", flush=True)
        done = run_backend(backend, out_dir, pytest_args, backends_dir, env, shadow)
        said = describe(done)
        session = _session_seconds(done)
        timing = f"{done.seconds:.1f} s" + (
            f" (pytest session {session:.1f} s, the report's figure)" if session else ""
        )
        missing = "" if done.wrote_results else "; no results file (see the log)"
        print(
            f"[{index}/{len(chosen)}] {backend.id}: {said} in {timing}{missing}; log: {done.log}",
            flush=True,
        )
        runs.append(done)
    return runs


def describe(done: BackendRun) -> str:
    """What happened, from the results file where there is one: pytest's exit status alone
    says "some tests failed" for a run whose tests all passed but used no database, and
    nothing of a run that stopped part-way."""
    said = _STATUS.get(done.exit_status, f"pytest exit {done.exit_status}")
    data = _results_of(done)
    try:
        cases = list(data.get("cases", []))
        run = dict(data.get("run", {}))
    except (ValueError, TypeError, AttributeError):
        return said
    if run.get("status") == "not-run":
        return f"NOT RUN: {run.get('reason', '')}"
    failed = [c for c in cases if c.get("outcome") in ("unexpected-failure", "error")]
    if done.exit_status >= 2 or done.exit_status < 0:
        return f"PARTIAL RUN, {said} after {len(cases)} tests (pytest exit {done.exit_status})"
    if done.exit_status == 1 and not failed:
        if cases and not any(c.get("used_database") for c in cases):
            return f"{len(cases)} tests ran, but none used the database"
        return "no test failed, yet pytest exit 1 (see the log)"
    if failed:
        return f"{len(failed)} of {len(cases)} tests failed"
    return f"all {len(cases)} tests passed" if cases else said


def _session_seconds(done: BackendRun) -> float | None:
    """The pytest session's own duration from its results file (what the report compares)."""
    try:
        return float(_results_of(done)["run"]["duration_s"])
    except (KeyError, TypeError, ValueError):
        return None


def _results_of(done: BackendRun) -> dict[str, Any]:
    """The run's results file as JSON; empty when it wrote none or it cannot be read."""
    if not done.wrote_results:
        return {}
    try:
        data = json.loads(done.results.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
