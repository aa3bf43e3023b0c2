"""The results file of a run is never stale, and never shared.

Before anything else the run (the xdist controller, or the only process) claims its
``--dbparity-results`` path: it takes an exclusive lock on the file (a second run into the same
path is refused with one line) and replaces its content with a placeholder whose exit status is
``UNFINISHED``. The run overwrites the placeholder when it ends; a run killed
before that leaves the placeholder, which the report flags as cut short, never the previous
run's results passing for this run's.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from dbparity import results as results_format
from dbparity.plugin.recording import worker_count
from dbparity.plugin.run import DbparityRun

OPTION = "--dbparity-results"


class ResultsPathClaim:
    """An exclusive lock on the results file itself, held until the run is unconfigured.

    The placeholder is written through the locked descriptor (in place), so the lock is on the
    file that is on disk; the run's final write replaces it atomically, after which nothing of
    this run writes there any more."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, placeholder: str) -> None:
        """Lock the file and write ``placeholder`` into it, or raise UsageError. After locking,
        check the file is still the one on disk (another run may have just replaced it)."""
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise pytest.UsageError(
                    f"{OPTION} {self.path}: another run is writing these results right now; "
                    "wait for it to finish, or give this run another path"
                ) from None
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        self._fd = fd
        os.ftruncate(fd, 0)
        os.pwrite(fd, placeholder.encode("utf-8"), 0)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None


def _check_path(path: Path) -> None:
    if path.is_dir():
        raise pytest.UsageError(
            f"{OPTION} {path}: is a directory; give a file path, such as {path / 'results.json'}"
        )
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise pytest.UsageError(
            f"{OPTION} {path}: {blocker} is a file, not a directory; give a path in a directory"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise pytest.UsageError(
            f"{OPTION} {path}: cannot create its directory {path.parent} ({exc.strerror})"
        ) from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise pytest.UsageError(f"{OPTION} {path}: the directory {path.parent} is not writable")


def claim_results_path(config: pytest.Config, run: DbparityRun) -> None:
    """Claim the run's results path (controller only) and write the placeholder."""
    option = config.getoption("dbparity_results")
    if not option or run.is_worker or config.getoption("help", False):
        return
    path = Path(option)
    _check_path(path)
    placeholder = run.recorder.results(None, "", worker_count(config), results_format.UNFINISHED)
    placeholder.run.status = "run"
    placeholder.run.reason = (
        "this run started but ended before writing its results (killed, or stopped by an "
        "error before its tests ran); its cases are missing"
    )
    claim = ResultsPathClaim(path)
    try:
        claim.acquire(results_format.dumps(placeholder))
    except OSError as exc:
        claim.release()
        raise pytest.UsageError(f"{OPTION} {path}: cannot write it ({exc.strerror})") from None
    config.add_cleanup(claim.release)
