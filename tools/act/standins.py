"""The actions a workflow ``uses:``, mapped to the stand-ins in tools/act/actions/ for act.

act runs offline here, so every pinned action (``owner/repo@SHA``) must be a local folder,
given to act as ``--local-repository owner/repo@SHA=FOLDER``. The mapping is read from the
workflow itself, so a changed pin changes the mapping with it and cannot drift; an action with
no stand-in is an error naming it.

The stand-ins' sources are in tools/act/actions/. The artifact ones are JavaScript on npm's
``@actions/artifact`` (versions pinned in artifact/package-lock.json); they are installed and
bundled on first use into a cache folder named after the hash of every source file, so later
runs reuse it and a changed source gets a new one. Nothing built is ever written to the repo.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ACTIONS = HERE / "actions"
#: Each action the workflow may use, and the stand-in folder under tools/act/actions/ for it.
#: actions/checkout has none: act skips it in host mode (the job's folder is already a copy).
STANDINS = {
    "actions/setup-python": "setup-python",
    "actions/upload-artifact": "upload-artifact",
    "actions/download-artifact": "download-artifact",
    "actions/upload-pages-artifact": "upload-pages-artifact",
    "actions/deploy-pages": "deploy-pages",
}
SKIPPED_BY_ACT = {"actions/checkout"}
#: Stand-ins with a JavaScript entry point: the bundle's source in artifact/.
BUNDLED = {"upload-artifact": "upload.js", "download-artifact": "download.js"}
NPM_TIMEOUT_S = 600


class StandinError(RuntimeError):
    """A stand-in is missing or cannot be built; the message says which and what to do."""


def uses(workflow: Mapping[str, Any]) -> list[str]:
    """Every ``uses:`` of every job's steps, in order, each once."""
    found: list[str] = []
    for name, job in (workflow.get("jobs") or {}).items():
        if "uses" in job:
            raise StandinError(
                f"job {name!r} calls a reusable workflow ({job['uses']}): no stand-in"
            )
        for step in job.get("steps") or []:
            if "uses" in step and step["uses"] not in found:
                found.append(str(step["uses"]))
    return found


def mapping(workflow: Mapping[str, Any], built: Path) -> dict[str, Path]:
    """``owner/repo@ref`` -> the stand-in folder, for every action the workflow uses."""
    result: dict[str, Path] = {}
    for use in uses(workflow):
        repo, _, ref = use.partition("@")
        if repo.startswith(("./", "docker://")):
            continue  # local actions and containers are not fetched from GitHub
        if repo in SKIPPED_BY_ACT:
            continue
        if repo not in STANDINS or not ref:
            raise StandinError(
                f"the workflow uses {use}, which has no stand-in under act: write one in "
                f"{ACTIONS.relative_to(HERE.parent.parent)}/ and name it in STANDINS "
                f"({Path(__file__).name})"
            )
        result[use] = built / STANDINS[repo]
    return result


def local_repository_args(workflow: Mapping[str, Any], built: Path) -> list[str]:
    args: list[str] = []
    for use, folder in mapping(workflow, built).items():
        args += ["--local-repository", f"{use}={folder}"]
    return args


def _sources() -> Iterator[Path]:
    for path in sorted(ACTIONS.rglob("*")):
        if path.is_file() and "node_modules" not in path.parts and "dist" not in path.parts:
            yield path


def source_hash() -> str:
    digest = hashlib.sha256()
    for path in _sources():
        digest.update(str(path.relative_to(ACTIONS)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    configured = os.environ.get("DBPARITY_CACHE_DIR")
    if configured:
        return Path(configured) / "act"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "dbparity" / "act"


def build() -> Path:
    """The stand-ins, ready for act: a folder per action. Built once per source hash."""
    target = cache_dir() / f"actions-{source_hash()}"
    if (target / ".complete").exists():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise StandinError("npm is not on PATH: the artifact stand-ins need Node.js and npm")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="building-", dir=target.parent))
    try:
        shutil.copytree(ACTIONS, staging, dirs_exist_ok=True, ignore=_ignore_built)
        package = staging / "artifact"
        _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], package)
        esbuild = package / "node_modules" / ".bin" / "esbuild"
        for action, entry in BUNDLED.items():
            # --keep-names: @actions/artifact's errors are told apart by their class names.
            out = staging / action / "dist" / "index.js"
            _run(
                [
                    str(esbuild),
                    entry,
                    "--bundle",
                    "--platform=node",
                    "--target=node20",
                    "--keep-names",
                    "--log-level=warning",
                    f"--outfile={out}",
                ],
                package,
            )
        (staging / ".complete").touch()
        try:
            staging.rename(target)
        except OSError:  # another run finished first: its copy is as good
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _ignore_built(directory: str, names: list[str]) -> list[str]:
    return [n for n in names if n in ("node_modules", "dist")]


def _run(argv: list[str], cwd: Path) -> None:
    try:
        done = subprocess.run(
            argv, cwd=cwd, capture_output=True, text=True, timeout=NPM_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise StandinError(f"{argv[0]} took over {NPM_TIMEOUT_S}s in {cwd}") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise StandinError(
            f"building the act stand-ins: {Path(argv[0]).name} {argv[1]} failed "
            f"(exit {done.returncode}): {' / '.join(tail)}; the npm registry must be reachable "
            "on first use"
        )
