"""The plain local run the act run's merged report is checked against, and the check.

The same matrix jobs run the plain way (``nox -s <session> ... report`` in a copy of the
checkout of their own), and the two reports must have the same columns and the same outcome in
every cell (:func:`dbparity.ci.compare`). A job that ran something else, or a column lost on
the way through the artifacts (an artifact the fan-in does not download), shows as a line.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The differences printed (a lost column is one line per case).
SHOWN = 40


class PlainRunError(RuntimeError):
    """The plain run or the act run's report cannot be compared; the message says why."""


def planned_jobs(tree: Path, workflow: dict[str, Any]) -> list[dict[str, str]]:
    """The matrix the plan job computes, computed here by the same planner from the same
    sessions: their nox sessions for the plain run, and their names to check ``--only``."""
    from dbparity import ci

    listed = subprocess.run(
        [sys.executable, "-m", "nox", "--list", "--json", "-t", "conformance", ci.VERSION_TAG],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    versions = str((workflow.get("env") or {}).get("POSTGRES_VERSIONS", "")).split()
    return ci.plan_jobs(json.loads(listed), versions)


class PlainRun:
    """``nox -s <sessions> report`` in ``tree``, started now; its output in a log file."""

    def __init__(self, tree: Path, sessions: list[str], env: dict[str, str]) -> None:
        self.tree = tree
        self.log = tree.parent / "plain.log"
        argv = [sys.executable, "-m", "nox", "-s", *sessions, "report"]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=tree,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def wait(self, timeout_s: float) -> Path:
        """Its merged report, once it has finished."""
        try:
            code = self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.stop()
            raise PlainRunError(f"the plain run did not finish in {timeout_s:.0f}s") from None
        if code != 0:
            tail = self.log.read_text("utf-8", errors="replace").strip().splitlines()[-10:]
            raise PlainRunError(f"the plain run exited {code}; its last lines:\n" + "\n".join(tail))
        return self.tree / "results" / "reports" / "results.json"


def artifact_file(artifacts: Path, name: str, member: str, dest: Path) -> Path:
    """One file out of one artifact of the run (act's server keeps each as a zip)."""
    zips = sorted(p for p in artifacts.rglob("*.zip") if p.parent.name == name)
    if not zips:
        raise PlainRunError(f"the run uploaded no artifact named {name!r} (in {artifacts})")
    with zipfile.ZipFile(zips[0]) as archive:
        try:
            data = archive.read(member)
        except KeyError:
            raise PlainRunError(f"artifact {name!r} has no {member}") from None
    dest.write_bytes(data)
    return dest


def compare(plain: Path, merged: Path, say: Callable[[str], None]) -> int:
    from dbparity import ci

    try:
        expected, actual = ci.report_compatibility(plain), ci.report_compatibility(merged)
    except ci.CIError as exc:
        raise PlainRunError(str(exc)) from None
    differences = ci.compare(expected, actual)
    if differences:
        say(f"the workflow's merged report differs from the plain run's ({len(differences)}):")
        shown = differences[:SHOWN]
        if len(differences) > SHOWN:
            shown.append(f"... and {len(differences) - SHOWN} more")
        print("\n".join(f"  {line}" for line in shown), flush=True)
        return 1
    cells = sum(len(column) for column in actual.values())
    say(f"the merged report equals the plain run's: {len(actual)} columns, {cells} cells")
    return 0
