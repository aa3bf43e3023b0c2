"""Stopping a child process that dbparity started: ask first, then kill.

Every server the harness starts (PostgreSQL, dockerd, PGlite's Node process) is stopped the same
way; only the polite signal differs. A process started in its own session leads a process group,
and then the whole group is killed, so no child it spawned outlives it.
"""

from __future__ import annotations

import os
import signal
import subprocess


def stop_process(
    process: subprocess.Popen[bytes], ask: signal.Signals, timeout: float, *, group: bool = False
) -> None:
    """Send ``ask``, wait up to ``timeout`` seconds, then SIGKILL (the group when ``group``)."""
    if process.poll() is not None:
        return
    process.send_signal(ask)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        if group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.wait()
