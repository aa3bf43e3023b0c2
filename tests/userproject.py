"""A user's project, written by a test: its own pyproject.toml, conftest.py and tests, run
through the installed plugin in a subprocess the way a user runs it (no dbparity_suite
setting, so the tests assert what the application does)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

PYPROJECT = """
[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "session"
asyncio_default_test_loop_scope = "session"
"""

CONFTEST = """
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

metadata = MetaData()
items = Table(
    "items", metadata, Column("id", Integer, primary_key=True), Column("name", String(5))
)


@pytest.fixture(scope="session")
def dbparity_metadata():
    return metadata
"""


class UserProject:
    def __init__(self, pytester: pytest.Pytester, pyproject: str = PYPROJECT) -> None:
        self.pytester = pytester
        self.path = pytester.path
        (self.path / "pyproject.toml").write_text(textwrap.dedent(pyproject), "utf-8")
        pytester.makeconftest(CONFTEST)

    def write(self, name: str, source: str) -> Path:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), "utf-8")
        return path

    def run(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest_subprocess(
            "-p", "no:randomly", "-p", "no:cacheprovider", *args, timeout=300
        )

    def run_on(self, backend: str, *args: str) -> pytest.RunResult:
        return self.run(
            f"--backend={backend}", f"--dbparity-results={self.results_path(backend)}", *args
        )

    def results_path(self, backend: str) -> Path:
        return self.path / "results" / f"{backend}.json"

    def results(self, backend: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.results_path(backend).read_text("utf-8"))
        return data

    def cases(self, backend: str) -> dict[str, dict[str, Any]]:
        return {c["id"]: c for c in self.results(backend)["cases"]}
