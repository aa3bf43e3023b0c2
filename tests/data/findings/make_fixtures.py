"""Writes the results files of a small conformance run with every kind of difference, for the
tests of the report's first section (differences per stand-in, with reason and remedy):
``python tests/data/findings/make_fixtures.py``. Built through the results dataclasses, so they
are valid results files by construction, declarations in the agreed form included."""

from __future__ import annotations

from pathlib import Path

from dbparity import results as r

HERE = Path(__file__).parent

PG = r.BackendInfo("postgres-asyncpg", "PostgreSQL (asyncpg)", "postgresql", "asyncpg", True)
LITE = r.BackendInfo("sqlite-memory", "SQLite, in memory (aiosqlite)", "sqlite", "aiosqlite")
FILE = r.BackendInfo("sqlite-file", "SQLite, in a file (aiosqlite)", "sqlite", "aiosqlite")
NO_RAISE = "DID NOT RAISE <class 'sqlalchemy.exc.DBAPIError'>"

#: case id -> (title, declaration or None); the declarations say what the tests check for.
DECLARED = {
    "integrity.value_too_long_raises": {
        "reason": "SQLite does not enforce VARCHAR lengths: the long value is stored.",
        "fails": "no-raise",
        "consequence": "false-confidence",
        "remedy": "Add a CHECK (length(name) <= 50) constraint, or test this on PostgreSQL.",
    },
    "types.boolean_accepts_only_booleans": {
        "reason": "SQLite stores 2 in a BOOLEAN column as the integer 2.",
        "fails": "no-raise",
        "consequence": "false-confidence",
        "remedy": "Validate booleans in the application.",
    },
    "filters.like_is_case_sensitive": {
        "reason": "SQLite's LIKE ignores ASCII case; PostgreSQL's does not.",
        "fails": "assertion",
        "consequence": "silent-drift",
        "remedy": "Use ilike() where you mean case-insensitive, and lower() on both sides.",
    },
    "types.interval_round_trips": {
        "reason": "SQLite has no INTERVAL type; the driver refuses the value.",
        "fails": "TypeError",
        "consequence": "false-alarm",
        "remedy": "Store durations as integer seconds if the test must run on SQLite.",
    },
}


def run(server: str) -> r.RunInfo:
    return r.RunInfo(
        status="run",
        provisioner="test",
        server_version=server,
        driver_versions={"sqlalchemy": "2.1.0"},
        python="3.11.7",
        platform="Linux",
        machine="fixture/x86_64/2cpu",
        started_at="2026-01-01T10:00:00+00:00",
        duration_s=1.5,
    )


def case(
    case_id: str, outcome: r.Outcome, failure: tuple[str, str] | None = None, declared: bool = False
) -> r.Case:
    suite, name = case_id.split(".", 1)
    return r.Case(
        case_id,
        suite,
        name,
        f"Title of {case_id}.",
        outcome,
        f"{failure[0]}: {failure[1]}" if failure else "",
        0.01,
        failure={"type": failure[0], "message": failure[1]} if failure else None,
        declared=dict(DECLARED[case_id]) if declared else None,
    )


def main() -> None:
    ids = ["crud.insert", "crud.undeclared_no_raise", *DECLARED]
    write("pg.json", r.Results(PG, run("PostgreSQL 15.18"), [case(i, "conforms") for i in ids]))
    failures = {
        "integrity.value_too_long_raises": ("Failed", NO_RAISE),
        "types.boolean_accepts_only_booleans": ("Failed", NO_RAISE),
        "filters.like_is_case_sensitive": ("AssertionError", "assert 2 == 1"),
        "types.interval_round_trips": ("TypeError", "unsupported type timedelta"),
    }
    lite = [
        case("crud.insert", "conforms"),
        # Undeclared: the verdict derives false confidence from pytest.raises seeing nothing.
        case("crud.undeclared_no_raise", "unexpected-failure", ("Failed", NO_RAISE)),
        *(case(i, "diverges", failures[i], declared=True) for i in DECLARED),
    ]
    write("lite.json", r.Results(LITE, run("SQLite 3.40.1"), lite))
    # The file backend differs less: its booleans and intervals agree, it has no undeclared case.
    file_cases = [
        case(i, "diverges", failures[i], declared=True)
        if i in ("integrity.value_too_long_raises", "filters.like_is_case_sensitive")
        else case(i, "conforms")
        for i in ids
    ]
    write("file.json", r.Results(FILE, run("SQLite 3.40.1"), file_cases))


def write(name: str, results: r.Results) -> None:
    r.write(results, HERE / name)


if __name__ == "__main__":
    main()
