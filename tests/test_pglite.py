"""The PGlite backend: installed from nothing, answers, and leaves no process or directory behind,
also when the run is interrupted or killed; without Node it is not run, with a reason."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from dbparity.backends import load_backends
from dbparity.provision import NotProvisioned, ProvisionOptions, initdb_cache, pglite, provision
from tests.conftest import BACKENDS_DIR, TinySuite, default_signals, processes_mentioning

needs_node = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="Node.js and npm are not on this machine (.ci/run installs them)",
)
pytestmark = pytest.mark.slow


@needs_node
def test_npm_packages_install_from_nothing_into_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """First use on a fresh machine: `npm ci` of the pinned packages into an empty cache, with
    no staging directory left next to it; the second call reuses the tree."""
    monkeypatch.setenv(initdb_cache.CACHE_ENV, str(tmp_path / "cache"))
    installed = pglite.installed_dir()
    assert (installed / pglite.SERVER_SCRIPT).is_file()
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [installed.name]
    assert pglite.installed_dir() == installed


@needs_node
def test_provisioned_server_answers_and_leaves_nothing(private_tmpdir: Path) -> None:
    backend = load_backends(BACKENDS_DIR)["pglite"]
    with provision(backend, ProvisionOptions()) as target:
        assert target.server_version.startswith("PGlite ")
        assert "(PostgreSQL " in target.server_version
        assert Path(target.location.split("host=")[1].split("&")[0]).parent == private_tmpdir
        with psycopg.connect(target.location, autocommit=True) as conn:
            assert conn.execute("SELECT 1 + 1").fetchone() == (2,)
        assert processes_mentioning(private_tmpdir)
    assert processes_mentioning(private_tmpdir) == []
    assert list(private_tmpdir.iterdir()) == []


def test_without_node_the_backend_is_not_provisioned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a real PATH holding no node
    backend = load_backends(BACKENDS_DIR)["pglite"]
    expected = r"node is not on PATH.*apt-get install nodejs"
    with pytest.raises(NotProvisioned, match=expected), provision(backend, ProvisionOptions()):
        pass


WAITING_SUITE = """
import asyncio, os
from pathlib import Path

async def test_waits(session):
    Path(os.environ["READY_FILE"]).write_text("ready")
    await asyncio.sleep(60)
"""


@needs_node
@pytest.mark.parametrize(
    "how", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name
)
def test_interrupted_pglite_run_leaves_no_node_process_or_directory(
    tiny_suite: TinySuite,
    private_tmpdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    how: signal.Signals,
) -> None:
    """Ctrl-C is cleaned up by pytest itself; SIGTERM and SIGKILL by the reaper, which owns
    the temp dir and every Node process working in it."""
    tiny_suite.write_tests("test_slow.py", WAITING_SUITE)
    ready = tiny_suite.path / "ready"
    monkeypatch.setenv("READY_FILE", str(ready))
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "pytest", "--backend=pglite", "-p", "no:randomly"),
            *(f"--dbparity-backends={tiny_suite.backends_dir}", "-p", "no:cacheprovider"),
        ],
        cwd=tiny_suite.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=default_signals,
    )
    try:
        deadline = time.monotonic() + 90
        while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert ready.exists(), proc.communicate(timeout=30)[0].decode()
        assert processes_mentioning(private_tmpdir), "the run should have started Node"
        proc.send_signal(how)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    if how == signal.SIGINT:
        assert proc.returncode == pytest.ExitCode.INTERRUPTED, output.decode()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (
        processes_mentioning(private_tmpdir) or list(private_tmpdir.iterdir())
    ):
        time.sleep(0.1)
    assert processes_mentioning(private_tmpdir) == []
    assert list(private_tmpdir.iterdir()) == []


@needs_node
def test_conformance_cases_run_on_pglite(tiny_suite: TinySuite) -> None:
    """A case that needs PostgreSQL's semantics (a CHECK on text length) conforms on PGlite,
    recorded with PGlite's version."""
    tiny_suite.write_tests(
        "test_semantics.py",
        """
        import pytest
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        async def test_varchar_limit_is_enforced(connection):
            await connection.execute(text("CREATE TEMP TABLE t (v varchar(3))"))
            with pytest.raises(DBAPIError):
                await connection.execute(text("INSERT INTO t VALUES ('abcd')"))
        """,
    )
    result = tiny_suite.run("pglite")
    assert result.ret == 0, result.stdout.str()
    data = json.loads((tiny_suite.path / "pglite.json").read_text())
    assert data["run"]["server_version"].startswith("PGlite ")
    assert [c["outcome"] for c in data["cases"]] == ["conforms"]
