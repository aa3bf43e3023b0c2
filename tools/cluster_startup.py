"""Time the throwaway local PostgreSQL cluster: initdb + start until ready, and stop.

python tools/cluster_startup.py [ROUNDS]
"""

from __future__ import annotations

import statistics
import sys
import time

from dbparity.provision.local_cluster import LocalCluster, find_bindir


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL binaries found (initdb on PATH or /usr/lib/postgresql)")
    ready, stop = [], []
    for _ in range(rounds):
        cluster = LocalCluster(bindir)
        cluster.start()
        ready.append(cluster.startup_s)
        started = time.perf_counter()
        cluster.stop()
        stop.append(time.perf_counter() - started)
    print(f"binaries: {bindir}")
    print(
        f"ready (initdb + start): median {statistics.median(ready):.2f}s, "
        f"min {min(ready):.2f}s, max {max(ready):.2f}s over {rounds}"
    )
    print(f"stop: median {statistics.median(stop) * 1000:.0f}ms")


if __name__ == "__main__":
    main()
