"""What a whole pytest process costs on each backend, side by side, and how fast each source of
PostgreSQL starts.

    python tools/startup_bench.py [--rounds 5] [--json results/startup.json] [--sources ...]

Part 1 runs a 1-test and a 200-test suite (each test adds a project with 5 tasks, commits and
counts, under dbparity's default rollback isolation) as separate pytest processes on
sqlite-memory and on postgres-asyncpg, and prints the median wall time of each and the ratio
to sqlite-memory's. Part 2 times start-to-ready of every PostgreSQL source this machine has:
a local cluster with a cold initdb, with the cached one, the embedded binaries, and a
container (when a Docker engine answers or can be started; the image loaded or built first is
timed apart). Rounds alternate between backends, so a machine's load drifts into both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

CONFTEST = """
import pytest
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


class Task(Base):
    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    title: Mapped[str] = mapped_column(String(80))


@pytest.fixture(scope="session")
def dbparity_metadata():
    return Base.metadata
"""

TESTS = """
import pytest
from sqlalchemy import func, select

from conftest import Project, Task


@pytest.mark.parametrize("n", range({count}))
async def test_project_with_tasks(session, n):
    project = Project(name=f"p{{n}}")
    session.add(project)
    await session.flush()
    session.add_all([Task(project_id=project.id, title=f"t{{i}}") for i in range(5)])
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(Task)) == 5
"""

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
"""

BACKENDS = ("sqlite-memory", "postgres-asyncpg")


def make_suite(root: Path, count: int) -> Path:
    suite = root / f"suite{count}"
    suite.mkdir()
    (suite / "pytest.ini").write_text(INI)
    (suite / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    (suite / "test_projects.py").write_text(textwrap.dedent(TESTS.format(count=count)))
    return suite


def run_once(suite: Path, backend: str, env: dict[str, str]) -> float:
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
    started = time.perf_counter()
    done = subprocess.run(
        [*argv, f"--backend={backend}"], cwd=suite, env=env, capture_output=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{backend} in {suite.name} failed:\n{done.stdout.decode()[-2000:]}")
    return elapsed


def processes(rounds: int, env: dict[str, str]) -> dict[str, dict[str, float]]:
    """Median wall time of a pytest process per suite size and backend."""
    table: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="dbparity-startup-") as tmp:
        for count in (1, 200):
            suite = make_suite(Path(tmp), count)
            for backend in BACKENDS:  # warm-up: caches, bytecode, the initdb cache
                run_once(suite, backend, env)
            times: dict[str, list[float]] = {b: [] for b in BACKENDS}
            for _ in range(rounds):
                for backend in BACKENDS:
                    times[backend].append(run_once(suite, backend, env))
            table[f"{count} test{'s' if count > 1 else ''}"] = {
                b: statistics.median(t) for b, t in times.items()
            }
    return table


def time_local(version: int | None, kind: str, cached: bool) -> float:
    from dbparity.provision import binaries
    from dbparity.provision.local_cluster import LocalCluster

    found = binaries.find(version, kinds=(kind,))
    os.environ["DBPARITY_INITDB_CACHE"] = "1" if cached else "0"
    try:
        if cached:  # make sure the cache entry exists
            warm = LocalCluster(found.bindir)
            warm.start()
            warm.stop()
        cluster = LocalCluster(found.bindir)
        cluster.start()
        cluster.stop()
        return cluster.startup_s
    finally:
        os.environ.pop("DBPARITY_INITDB_CACHE", None)


def time_container(version: int) -> dict[str, float | str]:
    from dbparity.provision.container import container

    started = time.perf_counter()
    with container("postgres:16-alpine", None, version, "bench", start_engine=True) as running:
        total = time.perf_counter() - started
        return {
            "image": f"{running.image} ({running.image_how} in {running.image_s:.1f}s)",
            "engine": "started for the run" if running.engine_started else "answering",
            "ready_s": running.ready_s,
            "total_s": total,
        }


def sources(rounds: int, wanted: list[str]) -> dict[str, object]:
    from dbparity.provision import binaries

    found: dict[str, object] = {}
    measures = {
        "local (cold initdb)": lambda: time_local(None, "system", cached=False),
        "local (cached initdb)": lambda: time_local(None, "system", cached=True),
        "embedded 16 (cached initdb)": lambda: time_local(16, "embedded", cached=True),
        "embedded 18 (cached initdb)": lambda: time_local(18, "embedded", cached=True),
    }
    for name, measure in measures.items():
        if not any(name.startswith(w) for w in wanted):
            continue
        try:
            found[name] = statistics.median(measure() for _ in range(rounds))
        except LookupError as exc:
            found[name] = f"not here ({exc})"
    if "container" in wanted:
        try:
            found["container 15"] = time_container(15)
        except Exception as exc:
            found["container 15"] = f"not here ({exc})"
    del binaries
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--sources",
        nargs="*",
        default=["local", "embedded", "container"],
        help="which sources to time (local, embedded, container); none: skip part 2",
    )
    parser.add_argument("--skip-processes", action="store_true")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    report: dict[str, object] = {"load_before": os.getloadavg()[0]}
    if not args.skip_processes:
        table = processes(args.rounds, env)
        report["processes"] = table
        for size, row in table.items():
            base = row["sqlite-memory"]
            cells = ", ".join(f"{b} {s:.2f}s ({s / base:.2f}x)" for b, s in row.items())
            print(f"pytest process, {size}: {cells}", flush=True)
    if args.sources:
        started = sources(args.rounds, args.sources)
        report["sources"] = started
        for name, value in started.items():
            shown = f"{value:.2f}s" if isinstance(value, float) else value
            print(f"start to ready, {name}: {shown}", flush=True)
    report["load_after"] = os.getloadavg()[0]
    print(f"load average: {report['load_before']:.1f} before, {report['load_after']:.1f} after")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
