"""The speed report's data: what one benchmark file holds and what the report derives from it,
plus the group and benchmark names the suites in ``suites/bench`` use (the report looks for
them)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

REFERENCE = "postgres-asyncpg"
TIMES = "\u00d7"  # the multiplication sign, as in "2.5 times"

# Group and benchmark names the suites in suites/bench use; the report's summaries look for them.
ISOLATION_GROUP = "isolation"
OVERHEAD_GROUP = "rollback overhead"
CALIBRATION_GROUP = "calibration"
OPERATIONS_GROUP = "operations"
GROUP_ORDER = (ISOLATION_GROUP, OVERHEAD_GROUP, OPERATIONS_GROUP, CALIBRATION_GROUP)
STRATEGY_KEY = "test_strategy[{}]"
ROLLBACK_FIXTURE_KEY = "test_rollback_fixture"
BARE_SAVEPOINT_KEY = "test_bare_savepoint"
LOOP_RUNNER_KEY = "test_loop_runner"
OVERHEAD_TARGET = 3.0  # the rollback fixture may cost at most this many bare round trips
SHADOW_TARGET = 2.0  # a suite with the shadow may take at most this many times the stand-in's

# machine_info fields that change timings. Not 'release' or 'processor' strings that differ
# between identical hosts: the host, its CPU model and count, and the interpreter.
MACHINE_FIELDS = ("node", "cpu", "cpus", "arch", "python")


class SpeedInputError(ValueError):
    """A benchmark file the report cannot use; the message names the file and what to do."""


@dataclass(frozen=True)
class Machine:
    node: str
    cpu: str
    cpus: int
    arch: str
    python: str

    def describe(self) -> str:
        cpu = self.cpu or "unknown CPU"
        return f"{self.node} · {cpu} ({self.cpus} CPUs) · {self.arch} · {self.python}"


@dataclass(frozen=True)
class Measurement:
    """One benchmark's statistics, in seconds."""

    median: float
    iqr: float
    q1: float
    q3: float
    rounds: int
    label: str


@dataclass
class BenchRun:
    """One pytest-benchmark JSON: one backend's benchmarks on one machine."""

    source: str
    backend: str
    label: str
    machine: Machine
    server_version: str
    driver_versions: dict[str, str]
    mode: str
    datetime: str
    pytest_benchmark: str
    groups: dict[str, dict[str, Measurement]]
    load: tuple[float, ...] = ()  # one-minute load average at the start and the end, if known

    @property
    def busy(self) -> bool:
        """Was the machine running more than it has CPUs for (so the timings are inflated)?"""
        return bool(self.load) and self.machine.cpus > 0 and max(self.load) > self.machine.cpus


@dataclass(frozen=True)
class Cell:
    median: float
    iqr: float
    rounds: int
    ratio: float | None  # median / the reference's median; None when not comparable


@dataclass
class Row:
    key: str
    label: str
    cells: dict[str, Cell]  # by backend id; a backend without this benchmark has no entry


@dataclass
class Group:
    name: str
    rows: list[Row]


@dataclass(frozen=True)
class StrategyCosts:
    """How many times cheaper rollback is than each other strategy, on one backend."""

    backend: str
    rollback: float
    times_cheaper: dict[str, float]  # strategy -> its median / rollback's median


@dataclass(frozen=True)
class OverheadCheck:
    backend: str
    rollback_fixture: Measurement
    bare_savepoint: Measurement

    @property
    def ratio(self) -> float:
        return self.rollback_fixture.median / self.bare_savepoint.median

    @property
    def meets_target(self) -> bool:
        return self.ratio <= OVERHEAD_TARGET


@dataclass(frozen=True)
class SessionTime:
    """One conformance session's wall time, from its results file."""

    backend: str
    status: str
    duration_s: float
    workers: int
    cases: int
    machine: str
    source: str


@dataclass(frozen=True)
class ShadowRun:
    """One pytest session of the shadow-cost measurement (``bench-shadow.json``)."""

    side: str  # "alone" or "shadow"
    duration_s: float  # the session's results file's run.duration_s
    machine: str  # the results file's machine fingerprint
    load: tuple[float, ...]  # one-minute load average before and after


@dataclass(frozen=True)
class ShadowCost:
    """Shadow mode's cost: one suite on a stand-in without and with the shadow, back to back.

    The ratio is only given when every run comes from one machine (the measurement runs both
    sides in one session, so only a hand-made file can mix machines)."""

    source: str
    mode: str
    backend: str
    shadow: str
    shadow_server: str
    cpus: int
    commands: dict[str, str]
    runs: tuple[ShadowRun, ...]

    def median(self, side: str) -> float:
        return statistics.median(r.duration_s for r in self.runs if r.side == side)

    @property
    def alone_s(self) -> float:
        return self.median("alone")

    @property
    def shadow_s(self) -> float:
        return self.median("shadow")

    @property
    def machines(self) -> list[str]:
        return list(dict.fromkeys(r.machine for r in self.runs))

    @property
    def ratio(self) -> float | None:
        """With the shadow over alone; None when the runs come from different machines."""
        if len(self.machines) != 1 or not self.machines[0]:
            return None
        return self.shadow_s / self.alone_s

    @property
    def rounds(self) -> int:
        return sum(1 for r in self.runs if r.side == "alone")

    @property
    def busy(self) -> bool:
        return self.cpus > 0 and any(x > self.cpus for r in self.runs for x in r.load)


@dataclass
class SpeedReport:
    runs: list[BenchRun]
    reference: str
    groups: list[Group]
    machines: list[Machine]
    comparable: dict[str, bool]  # backend -> ratios to the reference computed?
    strategies: list[StrategyCosts]
    overhead: list[OverheadCheck]
    calibration: dict[str, Measurement]  # backend -> the loop runner's no-op
    sessions: list[SessionTime] = field(default_factory=list)
    shadow_cost: ShadowCost | None = None  # from bench-shadow.json, when given

    @property
    def backends(self) -> list[str]:
        return [run.backend for run in self.runs]

    @property
    def same_machine(self) -> bool:
        return len(self.machines) <= 1

    @property
    def has_reference(self) -> bool:
        return self.reference in self.backends


GROUP_TITLES = {
    ISOLATION_GROUP: "Isolation strategies (one test's life, with fixture data)",
    OVERHEAD_GROUP: "Rollback fixture against a bare savepoint round trip",
    OPERATIONS_GROUP: "Operations",
    CALIBRATION_GROUP: "Calibration (the harness's own cost)",
}
