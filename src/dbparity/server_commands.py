"""``dbparity doctor`` and ``dbparity clean``: the commands that look at a PostgreSQL server
without starting a run.

doctor says which way a run would get PostgreSQL here, and checks a given URL the way a run
would (the production guard, whether it answers, its version, whether it may create
databases). clean lists the databases that killed runs left on a server, and drops them only
when asked. Every problem is one line on stderr, password masked.
"""

from __future__ import annotations

import argparse
import os
import sys

import psycopg

from dbparity.provision import UnsafeDatabaseURL, leftovers
from dbparity.provision.postgres import URL_ENV, check_url
from dbparity.redact import redact


def add_url_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db-url", default=None, metavar="URL", help=f"the server (default: ${URL_ENV})"
    )
    parser.add_argument(
        "--db-url-allow-any",
        action="store_true",
        help="accept a URL whose database name does not start with 'test'",
    )


def _url(args: argparse.Namespace) -> tuple[str | None, str]:
    """The checked libpq URL (or None when none was given) and where it came from."""
    source = "--db-url" if args.db_url else URL_ENV
    raw = args.db_url or os.environ.get(URL_ENV)
    if not raw:
        return None, source
    return check_url(raw, allow_any=args.db_url_allow_any, source=source), source


def _server(url: str) -> tuple[str, bool]:
    """The server's version and whether this user may create databases."""
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        row = conn.execute(
            "SELECT current_setting('server_version'), rolcreatedb OR rolsuper "
            "FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    assert row is not None
    return str(row[0]).split()[0], bool(row[1])


def cmd_doctor(args: argparse.Namespace) -> int:
    """Say which ways of getting a PostgreSQL server this machine has, and check a given URL
    (guard, answer, version), without starting a run."""
    problems = 0
    try:
        url, source = _url(args)
    except UnsafeDatabaseURL as exc:
        print(f"dbparity doctor: {exc}", file=sys.stderr)
        url, source, problems = None, "", 1
    if url:
        try:
            version, may_create = _server(url)
        except psycopg.Error as exc:
            why = " ".join(redact(str(exc)).split())
            print(
                f"dbparity doctor: {source}: {redact(url)} does not answer: {why}", file=sys.stderr
            )
            problems += 1
        else:
            print(f"{source}: {redact(url)} answers: PostgreSQL {version} (used first)")
            if not may_create:
                print(
                    f"dbparity doctor: {source}: this user may not create databases; "
                    "grant it CREATEDB (dbparity works in databases it creates)",
                    file=sys.stderr,
                )
                problems += 1
    elif not problems:
        print(f"{URL_ENV}: not set (no --db-url)")
    if problems:
        return 1
    if url:
        return 0
    return _doctor_sources(args)


def _doctor_sources(args: argparse.Namespace) -> int:
    """One line per PostgreSQL backend: the source it would use here (container, local or
    embedded cluster, at which version), and why the sources before it were passed over."""
    from dbparity.backends import load_for_run
    from dbparity.provision import ProvisionOptions
    from dbparity.provision.sources import SourceError, explain

    backends = load_for_run(args.backends_dir, "conformance").values()
    options = ProvisionOptions(
        postgres_version=args.postgres_version, postgres_source=args.postgres_source
    )
    runs = True
    for backend in [b for b in backends if b.family == "postgresql"]:
        try:
            line, ok = explain(backend.postgres_image, options)
        except SourceError as exc:
            print(f"dbparity doctor: {exc}", file=sys.stderr)
            return 2
        print(f"{backend.id}: {line}")
        runs = runs and ok
    if not runs:
        print("=> PostgreSQL backends would be NOT RUN on this machine", file=sys.stderr)
        return 1
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    """List the test_dbparity_<run>_* databases that runs which are gone left on a server;
    drop them with --drop. Databases of live runs, and anything else, are never touched."""
    try:
        url, _source = _url(args)
    except UnsafeDatabaseURL as exc:
        print(f"dbparity clean: {exc}", file=sys.stderr)
        return 2
    if url is None:
        print(
            f"dbparity clean: no server given: pass --db-url URL or set {URL_ENV}", file=sys.stderr
        )
        return 2
    try:
        found = leftovers.find(url)
        gone = [f for f in found if not f.live]
        for leftover in found:
            state = "live run, kept" if leftover.live else "run gone"
            print(f"run {leftover.run_id} ({state}): {', '.join(leftover.databases)}")
        if args.drop and gone:
            dropped = leftovers.drop_gone(url)
            print(f"dropped {len(dropped)} databases of {len(gone)} gone runs")
        elif gone:
            count = sum(len(f.databases) for f in gone)
            print(f"{count} databases of {len(gone)} gone runs; pass --drop to drop them")
        else:
            print(f"nothing to clean on {redact(url)}")
    except leftovers.LeftoverError as exc:
        print(f"dbparity clean: {exc}", file=sys.stderr)
        return 2
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = sub.add_parser("doctor", help=cmd_doctor.__doc__)
    add_url_options(doctor)
    doctor.add_argument("--postgres-version", default=None, metavar="MAJOR")
    doctor.add_argument(
        "--postgres-source", default=None, choices=["auto", "container", "local", "embedded"]
    )
    doctor.set_defaults(func=cmd_doctor)
    clean = sub.add_parser("clean", help=cmd_clean.__doc__)
    add_url_options(clean)
    clean.add_argument("--drop", action="store_true", help="drop what is listed as gone")
    clean.set_defaults(func=cmd_clean)
