"""Per-test cost of dbparity's rollback fixture on each backend, measured end to end.

Runs two generated suites of N empty async tests through pytest on each backend: one whose tests
take the ``session`` fixture, one whose tests take only the session-scoped ``engine``. The
difference in pytest's own wall time, divided by N, is what the rollback fixture costs per test
(connect/checkout, BEGIN, session, ROLLBACK, return). Both suites are timed in one run, so the
ratio survives a noisy machine better than absolute numbers.

    python tools/fixture_overhead.py [N] [backend ...]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ["sqlite-memory", "sqlite-file", "postgres-asyncpg", "postgres-psycopg"]
INI = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
"""


def run(directory: Path, backend: str, module: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            module,
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            f"--backend={backend}",
            f"--dbparity-backends={ROOT / 'backends'}",
        ],
        cwd=directory,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    backends = sys.argv[2:] or BACKENDS
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "pytest.ini").write_text(INI)
        (directory / "test_with_session.py").write_text(
            "".join(f"async def test_{i}(session):\n    pass\n" for i in range(count))
        )
        (directory / "test_engine_only.py").write_text(
            "".join(f"async def test_{i}(engine):\n    pass\n" for i in range(count))
        )
        print(f"{'backend':<18} {'engine only':>12} {'with session':>13} {'per test':>10}")
        for backend in backends:
            base = run(directory, backend, "test_engine_only.py")
            with_session = run(directory, backend, "test_with_session.py")
            per_test_ms = (with_session - base) / count * 1000
            print(f"{backend:<18} {base:>11.2f}s {with_session:>12.2f}s {per_test_ms:>8.2f}ms")


if __name__ == "__main__":
    main()
