"""The ``dbparity`` command: list backends, check this machine, clean a server, build reports,
run a user's suite on every backend.

Each subcommand is a plain function taking the parsed arguments and returning an exit code;
errors a user can fix are printed as one line on stderr, never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from dbparity import server_commands
from dbparity.backends import Backend, BackendConfigError, load_for_run, shipped_backends_dir
from dbparity.divergences import CONSEQUENCES

Command = Callable[[argparse.Namespace], int]


def cmd_backends(args: argparse.Namespace) -> int:
    """Print the backend ids with their labels and declared divergences."""
    from dbparity.divergences import is_own_file

    backends = load_for_run(args.backends_dir, "conformance")
    shipped = shipped_backends_dir()
    for backend in backends.values():
        marker = " (reference)" if backend.reference else ""
        whose = " of dbparity's own suites" * is_own_file(backend.source, shipped)
        print(
            f"{backend.id:<20} {backend.label}{marker}; "
            f"{len(backend.divergences)} declared divergences{whose}{_by_consequence(backend)}"
        )
    return 0


def _by_consequence(backend: Backend) -> str:
    """' (3 false-confidence, 1 silent-drift)': what the declared divergences mean."""
    counts = Counter(
        d.consequence or "consequence not declared" for d in backend.divergences.values()
    )
    order = [*CONSEQUENCES, "consequence not declared"]
    parts = [f"{counts[kind]} {kind}" for kind in order if counts[kind]]
    return f" ({', '.join(parts)})" if parts else ""


def cmd_report(args: argparse.Namespace) -> int:
    """Merge results files into compatibility.md, summary.md, index.html and results.json
    (and benchmark files into speed.md and the speed section of index.html)."""
    from dbparity.report import expected_backends, reports_from_files, write_texts
    from dbparity.report.reported import CatalogError
    from dbparity.report.speed import SpeedInputError
    from dbparity.results import ResultsFileError

    expected = expected_backends(args.backends_dir)
    if args.output.exists() and not args.output.is_dir():
        print(f"dbparity report: -o {args.output}: is a file, not a directory", file=sys.stderr)
        return 2
    try:
        # Benchmark files (bench-*.json, beside the results files) feed speed.md and the speed
        # section of index.html, so `dbparity report results/*.json` builds both reports.
        merged, texts = reports_from_files(
            args.results, expected, args.bench, args.catalog, args.backends_dir
        )
        written = write_texts(texts, args.output)
    except (ResultsFileError, SpeedInputError, CatalogError) as exc:
        print(f"dbparity report: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = exc.filename or args.output
        print(f"dbparity report: {where}: cannot write ({exc.strerror})", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    for column in merged.columns:
        print(f"{column.key}: {column.verdict}")
    if merged.attention:
        print(f"{len(merged.attention)} items need attention; see the top of compatibility.md")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run your own suite on every backend (or --backends ...), one pytest each, then write
    the report: which tests behave differently on a stand-in, and each backend's time."""
    from dbparity.matrix import MatrixError, run_matrix
    from dbparity.report import load_inputs, write_reports
    from dbparity.report.verdicts import behave_differently
    from dbparity.results import ResultsFileError

    requested = [b for part in args.backends for b in part.split(",") if b]
    try:
        runs = run_matrix(
            requested, args.output, args.pytest_args, args.backends_dir, args.env, args.shadow
        )
        files = [run.results for run in runs if run.wrote_results]
        if not files:
            print("dbparity run: no backend wrote results; see the logs above", file=sys.stderr)
            return 2
        merged, written = write_reports(load_inputs(files), args.output / "report")
    except (MatrixError, ResultsFileError) as exc:
        print(f"dbparity run: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"dbparity run: {exc.filename or args.output}: {exc.strerror}", file=sys.stderr)
        return 2
    for column in merged.columns:
        print(f"{column.key}: {column.verdict}")
    differing = behave_differently(merged.differing())
    partial = [run.backend for run in runs if run.exit_status not in (0, 1)]
    if partial:
        print(
            f"PARTIAL: {', '.join(partial)} did not finish, so their tests are not all "
            f"compared; at least {len(differing)} tests behave differently; report: {written[0]}"
        )
    elif any(c.backend.reference and c.status == "run" for c in merged.columns):
        print(f"{len(differing)} tests behave differently on a stand-in; report: {written[0]}")
    else:
        print(
            "nothing compared: no PostgreSQL (reference) run; add postgres-asyncpg to "
            f"--backends; report: {written[0]}"
        )
    if any(not run.wrote_results or run.exit_status not in (0, 1) for run in runs):
        return 2
    return 1 if any(run.exit_status for run in runs) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dbparity", description=__doc__)
    parser.add_argument(
        "--backends-dir", type=Path, default=None, help="directory of backend TOML files"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("backends", help=cmd_backends.__doc__).set_defaults(func=cmd_backends)
    server_commands.add_parsers(sub)  # doctor, clean
    report = sub.add_parser("report", help=cmd_report.__doc__)
    report.add_argument(
        "results",
        nargs="+",
        type=Path,
        metavar="RESULTS",
        help="results files (files named bench-*.json are taken as benchmark files)",
    )
    report.add_argument(
        "--bench",
        nargs="+",
        type=Path,
        default=[],
        metavar="BENCH",
        help="pytest-benchmark JSON files for speed.md and the speed section of index.html",
    )
    report.add_argument(
        "--catalog",
        type=Path,
        default=None,
        metavar="TOML",
        help="the catalog of differences (suites/CATALOG.toml): orders each stand-in's "
        "differences by how often users report them (without it: the matrix's order)",
    )
    report.add_argument(
        "-o", "--output", type=Path, default=Path("reports"), help="directory (default: reports)"
    )
    report.set_defaults(func=cmd_report)
    run = sub.add_parser(
        "run",
        help=cmd_run.__doc__,
        usage="dbparity run [--env NAME=FORM ...] [--shadow [BACKEND]] [--backends ID,...] "
        "[-o DIR] [-- PYTEST ARGS]",
    )
    run.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=FORM",
        help="URL mode: export each backend's database under NAME before your conftest is "
        "imported; FORM is async, sync or dsn (repeatable). Your fixtures do the rest",
    )
    run.add_argument(
        "--shadow",
        nargs="?",
        const="postgres-asyncpg",
        default=None,
        metavar="BACKEND",
        help="shadow mode on every stand-in: each statement also runs on this PostgreSQL "
        "backend (default postgres-asyncpg); the report lists the statements that differ",
    )
    run.add_argument(
        "--backends",
        nargs="+",
        default=[],
        metavar="ID",
        help="backend ids, space- or comma-separated (default: every backend)",
    )
    run.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("dbparity-results"),
        help="directory for results, logs and report/ (default: dbparity-results)",
    )
    run.set_defaults(func=cmd_run, pytest_args=[])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after "--" goes to pytest untouched (dbparity run -- -x -k api).
    passthrough: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, passthrough = argv[:at], argv[at + 1 :]
    args = build_parser().parse_args(argv)
    if passthrough:
        if args.command != "run":
            build_parser().error("arguments after '--' are for pytest, with `dbparity run` only")
        args.pytest_args = passthrough
    func: Command = args.func
    try:
        return func(args)
    except BackendConfigError as exc:
        print(f"dbparity: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
