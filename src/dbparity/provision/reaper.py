"""Clean up after a run that died before it could clean up itself.

pytest cleans up on success, failure and Ctrl-C. It cannot on SIGKILL, nor when nox answers a
Ctrl-C by sending SIGTERM then SIGKILL to the test process a fraction of a second later. So each
server process and temp dir is also handed to a small watcher process, started in its own
session so the terminal's Ctrl-C does not reach it. It waits for its stdin to close, which
happens when the owner closes it after cleaning up (nothing left to do) or when the owner dies
in any way (the kernel closes the pipe); then it stops what is still running and removes what is
still there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

STOP_TIMEOUT_S = 10.0
DONE = b"done"  # what the owner writes after cleaning up; a bare EOF means it died


class Reaper:
    """The owner's handle on a watcher process; call :meth:`release` after cleaning up."""

    def __init__(self, pids: list[int], paths: list[Path]) -> None:
        argv = [sys.executable, "-m", "dbparity.provision.reaper"]
        argv += [f"--pid={pid}" for pid in pids] + [f"--path={path}" for path in paths]
        self._process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def release(self) -> None:
        """The owner cleaned up itself: tell the watcher so, and wait for it to end."""
        if self._process.stdin is not None:
            try:
                self._process.stdin.write(DONE)
                self._process.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self._process.wait(timeout=STOP_TIMEOUT_S + 5)
        except subprocess.TimeoutExpired:
            self._process.kill()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop(pid: int) -> None:
    """PostgreSQL's fast shutdown (SIGINT), then SIGKILL if it does not go."""
    if not _alive(pid):
        return
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pid", type=int, action="append", default=[])
    parser.add_argument("--path", type=Path, action="append", default=[])
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.stdin.buffer.read() == DONE:  # read() returns at EOF: the owner is done or dead
        return
    for pid in args.pid:
        _stop(pid)
    for path in args.path:
        shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
