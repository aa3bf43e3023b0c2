"""Shared helpers for the project's own tests.

Most tests here run a tiny suite through the real plugin in a subprocess (pytester), on real
backends, and read what it printed and the results file it wrote.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg  # noqa: F401  (see below: loaded once, before any in-process run)
import psycopg  # noqa: F401
import pytest
import sqlalchemy.ext.asyncio  # noqa: F401  (greenlet and SQLAlchemy's compiled modules)

pytest_plugins = ["pytester", "tests.browser"]

# The database drivers' compiled modules must be imported here, once, before any test runs pytest
# in-process (pytester.runpytest_inprocess): such a run removes from sys.modules every module
# first imported during it, so a driver a child run loaded first would be imported AGAIN by the
# next test. asyncpg's Cython extension does not survive that: the next connection crashes the
# whole process in BaseProtocol.__init__ (SIGSEGV, NULL write in protocol.cpython-311...so).
# Imported here, the drivers are in pytester's snapshot and are kept. In random order this
# happened only when an in-process run was the first to use asyncpg (test_results_hardening,
# test_bad_inputs), hence the intermittent exit 139 in `pytest tests`.
# tests/data holds users' projects (the README's recipes) that tests copy and run on a backend;
# they are not tests of this project.
collect_ignore_glob = ["data/*"]

# pytester gives every child run a HOME of its own, which would hide dbparity's cache (the
# cached initdb, the built container images) and make each child start cold.
from dbparity.provision.initdb_cache import CACHE_ENV, cache_root  # noqa: E402

os.environ.setdefault(CACHE_ENV, str(cache_root()))

ROOT = Path(__file__).resolve().parent.parent
BACKENDS_DIR = ROOT / "backends"
ALL_BACKENDS = ("sqlite-memory", "sqlite-file", "postgres-asyncpg", "postgres-psycopg")
#: The stand-ins of issue 14 (PGlite needs Node.js and npm, which .ci/run installs).
STAND_INS = ("pglite", "sqlite-hardened")

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
dbparity_suite = conformance
"""

# A one-table schema for tiny suites.
CONFTEST = """
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

metadata = MetaData()
items = Table(
    "items", metadata, Column("id", Integer, primary_key=True), Column("name", String(50))
)


@pytest.fixture(scope="session")
def dbparity_metadata():
    return metadata
"""


class TinySuite:
    """A throwaway suite run through the installed plugin in a subprocess."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.path = pytester.path
        pytester.makefile(".ini", pytest=INI)
        pytester.makeconftest(CONFTEST)
        # Never ./backends: a run on the shipped files must not find a project directory.
        self.use_backends_with({}, directory_name="shipped-backends-copy")

    def write_tests(self, name: str, source: str) -> None:
        self.pytester.makepyfile(**{name: textwrap.dedent(source)})

    def use_backends_with(
        self, extra_toml: dict[str, str], directory_name: str = "backends"
    ) -> None:
        """Copy the real backend files, appending TOML text to some of them."""
        directory = self.path / directory_name
        directory.mkdir(exist_ok=True)
        for file in BACKENDS_DIR.glob("*.toml"):
            # Without the shipped declarations: they name dbparity's suites, not this one's.
            text = file.read_text("utf-8").split("\n[diverges.", 1)[0] + "\n"
            (directory / file.name).write_text(text + extra_toml.get(file.stem, ""), "utf-8")
        self.backends_dir = directory

    def run(self, backend: str, *args: str, shipped_backends: bool = False) -> pytest.RunResult:
        """Run the suite on ``backend``; with ``shipped_backends``, on the backend files that
        come with dbparity, found the way a user's run finds them."""
        results = self.path / f"{backend}.json"
        where = () if shipped_backends else (f"--dbparity-backends={self.backends_dir}",)
        argv = (
            f"--backend={backend}",
            f"--dbparity-results={results}",
            *where,
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            *args,
        )
        return self.pytester.runpytest_subprocess(*argv, timeout=300)

    def results(self, backend: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / f"{backend}.json").read_text("utf-8"))
        return data

    def outcomes(self, backend: str) -> dict[str, str]:
        return {c["id"]: c["outcome"] for c in self.results(backend)["cases"]}


@pytest.fixture
def tiny_suite(pytester: pytest.Pytester) -> TinySuite:
    return TinySuite(pytester)


@pytest.fixture
def private_tmpdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A TMPDIR of this test's own, so leftovers of *this* run can be told from others'.

    Made directly under the system temp dir and world-traversable, because the cluster runs as
    the unprivileged ``postgres`` user when the tests run as root."""
    directory = Path(tempfile.mkdtemp(prefix="testrun-tmpdir-"))
    os.chmod(directory, 0o755)
    monkeypatch.setenv("TMPDIR", str(directory))
    monkeypatch.setattr(tempfile, "tempdir", str(directory))  # gettempdir() caches its answer
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def pytest_configure(config: pytest.Config) -> None:
    """Started from a background job of a non-interactive shell, this process inherits SIGINT
    *ignored*, and so would every child it starts. Catching it again here (Python's default
    handler) makes every child start with the default disposition, however the suite was
    launched."""
    import signal

    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def default_signals() -> None:
    """``preexec_fn`` for children of tests: default signal dispositions. A child of a
    background job of a non-interactive shell inherits SIGINT ignored, and a test that sends it
    SIGINT would then wait in vain."""
    import signal

    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(number, signal.SIG_DFL)


def processes_mentioning(directory: Path) -> list[str]:
    """Live processes whose command line or working directory is inside ``directory``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(entry / "cwd") if cmdline else ""
        except OSError:
            continue
        if str(directory) in cmdline or cwd.startswith(str(directory)):
            found.append(f"{entry.name}: {cmdline.strip()}")
    return found
