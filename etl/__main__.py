"""Command line: ``python -m etl build|sources|summary``.

Examples::

    python -m etl build                                   # download (cached) and build data/send.duckdb
    python -m etl build --source-dir ../shared/data/sources  # build from a local mirror
    python -m etl sources                                 # where each source came from, release, checksum
    python -m etl summary                                 # what the database holds
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = Path(os.environ.get("SEND_DB", ROOT / "data" / "send.duckdb"))
DEFAULT_CACHE = Path(os.environ.get("SEND_CACHE_DIR", ROOT / "data" / "cache"))
#: Exit status of a build that wrote the database but kept an older copy of some source (listed in the summary).
EXIT_STALE = 7


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m etl", description="Build the SEND statistics database.")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="fetch the sources and build the database")
    b.add_argument(
        "--source-dir",
        type=Path,
        default=os.environ.get("SEND_SOURCE_DIR") or None,
        help="read a local mirror laid out like ../shared/data/sources instead of downloading "
        "(default: $SEND_SOURCE_DIR)",
    )
    b.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"database file (default {DEFAULT_DB})")
    b.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="download cache (git-ignored)")
    b.add_argument("--offline", action="store_true", help="never use the network: cache or mirror only")
    b.add_argument("--force", action="store_true", help="rebuild even if no source changed")
    b.add_argument("--verbose", action="store_true", help="list every published total that validation explained")
    for name, text in (
        ("sources", "list each source: where from, release, retrieved, checksum"),
        ("summary", "summarise what the database holds"),
    ):
        s = sub.add_parser(name, help=text)
        s.add_argument("--db", type=Path, default=DEFAULT_DB)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the process exit code (non-zero on any failure)."""
    args = _args(argv)
    if args.command == "build":
        return _build(args)
    if not args.db.exists():
        print(f"No database at {args.db}. Build it with: python -m etl build", file=sys.stderr)
        return 2
    from etl.report import print_sources, print_summary

    (print_sources if args.command == "sources" else print_summary)(args.db)
    return 0


def _build(args: argparse.Namespace) -> int:
    from etl.build import build
    from etl.fetch import Fetcher, FetchError
    from etl.load import BuildError
    from etl.model import SourceFormatError

    fetcher = Fetcher(cache_dir=args.cache_dir, source_dir=args.source_dir, offline=args.offline)
    where = (
        f"the mirror at {args.source_dir}"
        if args.source_dir
        else f"the official publishers (downloads are cached in {args.cache_dir})"
    )
    print(f"Building {args.db} from {where}")
    try:
        result = build(args.db, fetcher, force=args.force)
    except FetchError as e:
        print(f"\nCould not get a source: {e}\nThe existing database (if any) was not changed.", file=sys.stderr)
        return 3
    except SourceFormatError as e:
        print(
            f"\nA source file is not in the expected layout: {e}\nThe existing database was not changed.",
            file=sys.stderr,
        )
        return 4
    except BuildError as e:
        print(f"\n{e}\nThe existing database (if any) was not changed.", file=sys.stderr)
        return 5
    except OSError as e:  # the database path: a folder, read-only, a full disk ...
        print(
            f"\nCould not write the database at {args.db}: {e.strerror or e}.\n"
            "Choose another path with --db. The existing database (if any) was not changed.",
            file=sys.stderr,
        )
        return 6
    except KeyboardInterrupt:
        print("\nBuild interrupted; the existing database (if any) was not changed.", file=sys.stderr)
        return 130
    if result.status == "unchanged":
        print(f"Up to date: no source or code changed since the last build ({result.seconds:.2f}s).")
    else:
        print(f"Built {result.db_path}: {result.observation_rows:,} observations in {result.seconds:.2f}s")
        explained = [line for line in result.report if line.startswith("  explained:")]
        for line in result.report:
            if args.verbose or line not in explained:
                print(f"  {line}")
        if explained and not args.verbose:
            print("  (each explained total is listed with --verbose; they are published as such and not errors)")
        if result.stale:
            print("\nBuilt with an older copy of some sources (the pages say so):", file=sys.stderr)
            for sid, why in result.stale.items():
                print(f"  {sid}: {why}", file=sys.stderr)
            return EXIT_STALE
    return 0


if __name__ == "__main__":
    sys.exit(main())
