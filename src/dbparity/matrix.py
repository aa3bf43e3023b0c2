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


def choose(requested: Sequence[str], backends_dir: Path | None) -> list[Backend]:
    """The backends to run, the reference first; all known ones when none are named."""
    known = load_for_run(backends_dir, "application")
    unknown = [b for b in requested if b not in known]
    if unknown:
        raise MatrixError(
            f"--backends: unknown backend {', '.join(map(repr, unknown))}; "
            f"valid ids: {', '.join(known)}"
        )
    chosen = [known[b] for b in dict.fromkeys(requested)] if requested else list(known.values())
    return sorted(chosen, key=lambda b: not b.reference)  # stable: the user's order otherwise


def run_backend(
    backend: Backend, out_dir: Path, pytest_args: Sequence[str], backends_dir: Path | None
) -> BackendRun:
    """pytest on one backend, in this directory, output into ``<out>/<id>.log``."""
    results = out_dir / f"{backend.id}.json"
    log = out_dir / f"{backend.id}.log"
    argv = [
        sys.executable,
        "-m",
        "pytest",
        f"--backend={backend.id}",
        f"--dbparity-results={results}",
        *([f"--dbparity-backends={backends_dir}"] if backends_dir else []),
        *pytest_args,
    ]
    started, wall = time.time(), time.monotonic()
    with log.open("w", encoding="utf-8") as output:
        status = subprocess.call(argv, stdout=output, stderr=subprocess.STDOUT)
    return BackendRun(backend.id, status, time.monotonic() - wall, results, log, started)


def run_matrix(
    requested: Sequence[str],
    out_dir: Path,
    pytest_args: Sequence[str],
    backends_dir: Path | None = None,
) -> list[BackendRun]:
    """Run every chosen backend in turn, printing one progress line per backend."""
    chosen = choose(requested, backends_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = []
    for index, backend in enumerate(chosen, 1):
        print(f"[{index}/{len(chosen)}] {backend.id}: running pytest ...", flush=True)
        done = run_backend(backend, out_dir, pytest_args, backends_dir)
        said = _STATUS.get(done.exit_status, f"pytest exit {done.exit_status}")
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


def _session_seconds(done: BackendRun) -> float | None:
    """The pytest session's own duration from its results file (what the report compares)."""
    if not done.wrote_results:
        return None
    try:
        return float(json.loads(done.results.read_text("utf-8"))["run"]["duration_s"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
