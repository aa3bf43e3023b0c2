"""Show that a run of the workflow under act fails when a change breaks the workflow's wiring.

    python tools/act/mutations.py             # the instant one (nox -s act runs it)
    python tools/act/mutations.py --all       # and those that need act to run jobs

Each mutation changes one thing in a copy of .github/workflows/conformance.yml, the kind of
slip the schema check lets through, and runs act on the copy the way tools/act/run.py does;
the mutation is caught when that run fails for the reason expected (a line of its output). A
mutation whose text is no longer in the workflow is an error: update it here with the workflow.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run

RUN_PY = Path(__file__).resolve().parent / "run.py"


@dataclass(frozen=True)
class Mutation:
    name: str
    old: str  # replaced once, exactly
    new: str
    expect: str  # a text in the failed run's output that says why it failed
    #: tools/act/run.py's arguments; empty: act's own parse (``act --list``) must refuse it
    run_args: tuple[str, ...] = ()
    cheap: bool = True


MUTATIONS = (
    Mutation(
        "a broken needs (the report job needs a job that does not exist)",
        "needs: [conformance, bench]",
        "needs: [conformance, benchmark]",
        expect="unable to build dependency graph",
    ),
    Mutation(
        "a wrong output name (the matrix read from an output the plan job does not set)",
        "fromJSON(needs.plan.outputs.matrix)",
        "fromJSON(needs.plan.outputs.jobs)",
        expect="Error while evaluating matrix",
        run_args=("--job", "conformance", "--only", "sqlite-memory", "--no-compare"),
        cheap=False,
    ),
    Mutation(
        "an artifact name the fan-in does not download (results-* expected)",
        "name: results-${{ matrix.name }}",
        "name: result-${{ matrix.name }}",
        expect="column only in the plain run: sqlite-memory@",
        run_args=("--job", "report", "--only", "sqlite-memory"),
        cheap=False,
    ),
)


def mutate(source: str, mutation: Mutation) -> str:
    if source.count(mutation.old) != 1:
        raise SystemExit(
            f"mutations.py: {mutation.old!r} is not in {run.WORKFLOW} exactly once; "
            "update this mutation to the workflow's current text"
        )
    return source.replace(mutation.old, mutation.new)


def act_list(workflow: Path) -> subprocess.CompletedProcess[str]:
    argv = [run.act_binary(), "--list", "--workflows", str(workflow), "--platform", run.PLATFORM]
    return subprocess.run(
        argv, cwd=workflow.parent, capture_output=True, text=True, check=False, timeout=60
    )


def attempt(mutation: Mutation, folder: Path) -> tuple[bool, str]:
    """Run act on the mutated copy: (caught for the expected reason, the output)."""
    source = (run.ROOT / run.WORKFLOW).read_text("utf-8")
    workflow = folder / "conformance.yml"
    workflow.write_text(mutate(source, mutation), "utf-8")
    if not mutation.run_args:
        done = act_list(workflow)
    else:
        argv = [sys.executable, str(RUN_PY), "--workflow", str(workflow), *mutation.run_args]
        argv += ["--work", str(folder / "work")]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    output = done.stdout + done.stderr
    return done.returncode != 0 and mutation.expect in output, output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/act/mutations.py", description=__doc__)
    parser.add_argument("--all", action="store_true", help="the slow ones too")
    args = parser.parse_args(argv)
    # The unchanged workflow must pass act's parse, or every mutation would be "caught".
    try:
        listed = act_list(run.ROOT / run.WORKFLOW)
    except run.ActRunError as exc:
        print(f"mutations: {exc}", file=sys.stderr)
        return 1
    if listed.returncode != 0:
        print(f"act cannot read the unchanged workflow:\n{listed.stderr}", file=sys.stderr)
        return 1
    missed = 0
    for mutation in MUTATIONS:
        if not (mutation.cheap or args.all):
            print(f"mutation: skipped (slow; --all runs it): {mutation.name}", flush=True)
            continue
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="dbparity-act-mutation-") as tmp:
            Path(tmp).chmod(0o755)  # the jobs' PostgreSQL runs as its own user in here
            caught, output = attempt(mutation, Path(tmp))
        seconds = time.perf_counter() - started
        if caught:
            print(f"mutation caught in {seconds:.0f}s: {mutation.name}", flush=True)
            continue
        missed += 1
        tail = "\n".join(output.strip().splitlines()[-15:])
        print(
            f"mutation NOT caught ({seconds:.0f}s): {mutation.name}: the run did not fail with "
            f"{mutation.expect!r}; its last lines:\n{tail}",
            flush=True,
        )
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
