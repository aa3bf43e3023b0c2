"""Writes the hand-made results files the report tests read; run it after a format change:
``python tests/data/report/make_fixtures.py``. Built through the results dataclasses, so they
are valid results files by construction; the broken ones are written as literal text."""

from __future__ import annotations

from pathlib import Path

from dbparity import results as r

HERE = Path(__file__).parent

PG = r.BackendInfo("postgres-asyncpg", "PostgreSQL (asyncpg)", "postgresql", "asyncpg", True)
LITE = r.BackendInfo("sqlite-memory", "SQLite, in memory (aiosqlite)", "sqlite", "aiosqlite")
FILE = r.BackendInfo("sqlite-file", "SQLite, in a file (aiosqlite)", "sqlite", "aiosqlite")
TZ_REASON = "SQLite keeps no offset, so server timestamps come back naive."


def run(server: str, started: str, **extra: object) -> r.RunInfo:
    return r.RunInfo(
        status="run",
        provisioner="test",
        server_version=server,
        driver_versions={"sqlalchemy": "2.1.0"},
        python="3.11.7",
        platform="Linux",
        machine="fixture/x86_64/2cpu",
        started_at=started,
        duration_s=1.5,
        suite_kind="conformance",
        **extra,  # type: ignore[arg-type]
    )


def case(case_id: str, outcome: r.Outcome, reason: str = "", title: str = "") -> r.Case:
    suite, name = case_id.split(".", 1)
    return r.Case(case_id, suite, name, title or f"Title of {case_id}.", outcome, reason, 0.01)


def main() -> None:
    pg = [
        case("crud.insert", "conforms"),
        case("crud.timestamp_is_aware", "conforms"),
        case("filters.like_case", "conforms"),
        case("types.json_path", "conforms"),
        case("types.interval[day]", "not-applicable", "intervals only on PostgreSQL 16+"),
    ]
    write("pg.json", r.Results(PG, run("PostgreSQL 15.18", "2026-01-01T10:00:00+00:00"), pg))
    pg16 = [case(c.id, "conforms") if c.outcome == "not-applicable" else c for c in pg]
    write("pg16.json", r.Results(PG, run("PostgreSQL 16.4", "2026-01-01T10:05:00+00:00"), pg16))
    # Two shards of one sqlite-memory run: disjoint cases plus one case both ran alike.
    shard_a = [
        case("crud.insert", "conforms"),
        case("crud.timestamp_is_aware", "diverges", TZ_REASON),
        case("filters.like_case", "unexpected-failure", "AssertionError: 3 != 2 | rows"),
    ]
    shard_b = [
        case("crud.insert", "conforms"),
        case("types.json_path", "stale-expectation", "declared to diverge but conformed"),
        case("types.interval[day]", "error", "setup: RuntimeError: boom"),
    ]
    sqlite = "SQLite 3.40.1"
    run_a = run(sqlite, "2026-01-01T11:00:00+00:00", workers=2)
    run_b = run(sqlite, "2026-01-01T11:00:01+00:00", workers=2)
    write("lite-a.json", r.Results(LITE, run_a, shard_a))
    write("lite-b.json", r.Results(LITE, run_b, shard_b))
    # A third shard that disagrees with shard A about one case.
    shard_c = [case("crud.timestamp_is_aware", "conforms")]
    write("lite-conflict.json", r.Results(LITE, run(sqlite, "2026-01-01T11:00:02+00:00"), shard_c))
    not_run = r.RunInfo(
        status="not-run",
        reason="no PostgreSQL: no Docker engine, no binaries",
        suite_kind="conformance",
    )
    skipped = [case("crud.insert", "not-run", not_run.reason)]
    write("pg-not-run.json", r.Results(PG, not_run, skipped))
    # Broken inputs, as literal text.
    (HERE / "truncated.json").write_text((HERE / "pg.json").read_text("utf-8")[:200], "utf-8")
    (HERE / "corrupt.json").write_bytes(b"\x00\xff\xfe garbage {]")
    (HERE / "foreign.json").write_text('{"name": "some-package", "version": "1.0.0"}\n', "utf-8")
    text = (HERE / "pg.json").read_text("utf-8")
    text = text.replace('"title": "Title of crud.insert."', '"title": 42')
    (HERE / "wrong-types.json").write_text(text, "utf-8")
    (HERE / "empty.json").write_text("", "utf-8")


def write(name: str, results: r.Results) -> None:
    r.write(results, HERE / name)


if __name__ == "__main__":
    main()
