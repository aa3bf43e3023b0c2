"""The CI fan-out and fan-in as code: the plan job's matrix, and the comparison of two reports.

The plan job runs this module before the package is installed
(``nox --list --json -t conformance | PYTHONPATH=src python -m dbparity.ci matrix``), so it
imports only the standard library (and :mod:`dbparity.results`, which does too) at module level.

The workflow itself is run here by nektos/act (``nox -s act``, tools/act/run.py): the comparison
below is how that run's merged report is checked against a plain local run of the same sessions.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dbparity import results as results_format

#: The tag of the noxfile's server-version sessions (``versions(<backend>-pg<version>)``).
VERSION_TAG = "postgresql-version"

Job = dict[str, str]
Compatibility = dict[str, dict[str, str]]


class CIError(RuntimeError):
    """The matrix or a report is not what it should be; the message says where."""


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dbparity.ci", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    matrix = sub.add_parser("matrix", help=cmd_matrix.__doc__)
    matrix.add_argument("--postgres-versions", default="", help="e.g. '13 16 17 18'")
    matrix.set_defaults(func=cmd_matrix)
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except (CIError, results_format.ResultsFileError) as exc:
        print(f"dbparity.ci: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
