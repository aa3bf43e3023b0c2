"""The project's own sessions install from uv.lock; the newest releases are tried apart.

An upstream release turned CI red overnight once (pytest-asyncio 1.5.0's new warning): the
check sessions must not move with PyPI, and a scheduled session must still tell us what moved.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib

import pytest
from ruamel.yaml import YAML

from tests.conftest import ROOT

UPSTREAM = ROOT / ".github" / "workflows" / "upstream.yml"


def _nox_sessions(*args: str) -> list[dict[str, object]]:
    listed = subprocess.run(
        [sys.executable, "-m", "nox", "--list", "--json", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return list(json.loads(listed.stdout))


def test_the_lock_pins_every_dependency_of_every_extra_and_group() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text("utf-8"))
    locked = {package["name"] for package in lock["package"]}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    wanted = [*project["project"]["dependencies"]]
    wanted += [d for deps in project["project"]["optional-dependencies"].values() for d in deps]
    wanted += [d for deps in project["dependency-groups"].values() for d in deps]
    names = {re.sub(r"[-_.]+", "-", re.split(r"[\[;<>=!~ ]", d)[0]).lower() for d in wanted}
    assert names - locked == set(), "uv.lock is stale: run `uv lock` and commit it"


def test_check_sessions_install_from_the_lock_and_the_latest_session_is_apart() -> None:
    noxfile = (ROOT / "noxfile.py").read_text("utf-8")
    assert '"--frozen"' in noxfile  # uv sync --frozen: exactly what uv.lock says
    check = {s["session"] for s in _nox_sessions("-t", "check")}
    assert check >= {"tests", "lint"}
    assert "tests_latest" not in check
    assert [s["session"] for s in _nox_sessions("-s", "tests_latest")] == ["tests_latest"]


def test_the_scheduled_workflow_runs_the_latest_session() -> None:
    pytest.importorskip("check_jsonschema")
    schema = ["--builtin-schema", "vendor.github-workflows"]
    checked = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", *schema, str(UPSTREAM)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    workflow = YAML(typ="safe").load(UPSTREAM.read_text("utf-8"))
    assert "schedule" in workflow["on"]
    steps = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert "nox -s tests_latest" in steps
