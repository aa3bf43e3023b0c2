"""The ``dbparity`` command: list backends, check this machine, clean a server, build reports.

Each subcommand is a plain function taking the parsed arguments and returning an exit code;
errors a user can fix are printed as one line on stderr, never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from dbparity import server_commands
from dbparity.backends import BackendConfigError, load_backends

Command = Callable[[argparse.Namespace], int]


def cmd_backends(args: argparse.Namespace) -> int:
    """Print the backend ids with their labels and declared divergences."""
    backends = load_backends(args.backends_dir)
    for backend in backends.values():
        marker = " (reference)" if backend.reference else ""
        print(
            f"{backend.id:<20} {backend.label}{marker}; "
            f"{len(backend.divergences)} declared divergences"
        )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Merge results files into compatibility.md, summary.md, index.html and results.json
    (and benchmark files into speed.md and the speed section of index.html)."""
    from dbparity.report import expected_backends, reports_from_files, write_texts
    from dbparity.report.speed import SpeedInputError
    from dbparity.results import ResultsFileError

    expected = expected_backends(args.backends_dir)
    try:
        # Benchmark files (bench-*.json, beside the results files) feed speed.md and the speed
        # section of index.html, so `dbparity report results/*.json` builds both reports.
        merged, texts = reports_from_files(args.results, expected, bench=args.bench)
        written = write_texts(texts, args.output)
    except (ResultsFileError, SpeedInputError) as exc:
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
        "-o", "--output", type=Path, default=Path("reports"), help="directory (default: reports)"
    )
    report.set_defaults(func=cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Command = args.func
    try:
        return func(args)
    except BackendConfigError as exc:
        print(f"dbparity: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
