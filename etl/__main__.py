"""Command line: ``python -m etl build|sources|summary``.

Examples::

    python -m etl build                                   # download (cached) and build data/send.duckdb
    python -m etl build --source-dir ../shared/data/sources  # build from a local mirror
    python -m etl sources                                 # where each source came from, release, checksum
    python -m etl summary                                 # what the database holds

Exit statuses (also in docs/operations.md): 0 built or already up to date; 1 unexpected error (a
bug: the message says so); 2 bad command line or --db path; 3 a source could not be downloaded and
has no usable cached copy; 4 a source file is not in the expected layout; 5 the data failed
validation; 6 the database could not be written (read-only folder, disk full); 7 another build is
running; 8 built, but some source could not be fetched or read and its last good copy was used (listed);
130 interrupted. Whenever the status is neither 0 nor 8, the existing database was not changed.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = Path(os.environ.get("SEND_DB", ROOT / "data" / "send.duckdb"))
DEFAULT_CACHE = Path(os.environ.get("SEND_CACHE_DIR", ROOT / "data" / "cache"))
#: Exit statuses of ``python -m etl build`` (documented in docs/operations.md). EXIT_STALE: the database was
#: written, but with the last good copy of some source (listed in the summary and on the pages).
EXIT_OK, EXIT_BUG, EXIT_USAGE, EXIT_FETCH, EXIT_LAYOUT, EXIT_INVALID, EXIT_WRITE, EXIT_LOCKED = 0, 1, 2, 3, 4, 5, 6, 7
EXIT_STALE = 8
EXIT_INTERRUPTED = 130
UNCHANGED = "The existing database (if any) was not changed."


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
        return EXIT_USAGE
    from etl.report import print_sources, print_summary

    (print_sources if args.command == "sources" else print_summary)(args.db)
    return EXIT_OK


def _fail(status: int, message: str) -> int:
    print(f"\n{message}\n{UNCHANGED}", file=sys.stderr)
    return status


def _build(args: argparse.Namespace) -> int:
    import duckdb

    from etl.build import BuildLocked, TargetError, build, check_target
    from etl.fetch import Fetcher, FetchError
    from etl.load import BuildError
    from etl.model import SourceFormatError

    try:
        check_target(args.db)
    except TargetError as e:
        print(f"Cannot build: {e}", file=sys.stderr)
        return EXIT_USAGE
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
        return _fail(EXIT_FETCH, f"Could not get a source: {e}")
    except SourceFormatError as e:
        return _fail(EXIT_LAYOUT, f"A source file is not in the expected layout: {e}")
    except BuildError as e:
        return _fail(EXIT_INVALID, str(e))
    except TargetError as e:
        return _fail(EXIT_USAGE, f"Cannot build: {e}")
    except BuildLocked as e:
        return _fail(EXIT_LOCKED, f"Cannot build: {e}")
    except (OSError, duckdb.IOException) as e:  # the database folder: read-only, a full disk ...
        return _fail(EXIT_WRITE, _write_problem(args.db, e))
    except KeyboardInterrupt:
        return _fail(EXIT_INTERRUPTED, "Build interrupted.")
    except Exception as e:  # noqa: BLE001  (a bug: say so plainly; the details go to --verbose)
        if isinstance(e, duckdb.Error) and _DISK_FULL in str(e).lower():
            # DuckDB reports a disk that fills while it commits or checkpoints as a transaction or fatal error.
            return _fail(EXIT_WRITE, _write_problem(args.db, e))
        if args.verbose:
            traceback.print_exc()
        return _fail(
            EXIT_BUG,
            f"Unexpected error ({type(e).__name__}: {e}). This is a bug in the ETL, not in your data or "
            "setup; please report it with the output of the same command run with --verbose.",
        )
    try:
        return _report(result, args.verbose)
    except KeyboardInterrupt:  # the build is done and its file in place: only the summary was cut short
        print(f"\nSummary interrupted; {result.db_path} is complete.", file=sys.stderr)
        return EXIT_STALE if result.stale else EXIT_OK


def _report(result, verbose: bool) -> int:
    """Print what a finished build did (``result``: ``etl.build.BuildResult``); its exit status, 0 or 8."""
    if result.status == "unchanged":
        print(f"Up to date: no source or code changed since the last build ({result.seconds:.2f}s).")
    else:
        print(f"Built {result.db_path}: {result.observation_rows:,} observations in {result.seconds:.2f}s")
        explained = [line for line in result.report if line.startswith("  explained:")]
        for line in result.report:
            if verbose or line not in explained:
                print(f"  {line}")
        if explained and not verbose:
            print("  (each explained total is listed with --verbose; they are published as such and not errors)")
        if result.stale:
            print("\nBuilt with an older copy of some sources (the pages say so):", file=sys.stderr)
            for sid, why in result.stale.items():
                print(f"  {sid}: {why}", file=sys.stderr)
            return EXIT_STALE
    return EXIT_OK


_DISK_FULL = "no space left"


def _write_problem(db: Path, e: BaseException) -> str:
    """A one-paragraph reason the database (or its lock file) could not be written."""
    code = getattr(e, "errno", None)
    text = str(e).lower()
    if code == errno.ENOSPC or _DISK_FULL in text:
        why = "the disk is full. Free some space (the build needs about twice the database's size) and run again"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS) or "permission denied" in text or "read-only" in text:
        why = "the folder is not writable. Choose a writable place with --db, or fix the folder's permissions"
    else:
        why = f"{getattr(e, 'strerror', None) or e}. Choose another path with --db"
    return f"Could not write the database at {db}: {why}."


if __name__ == "__main__":
    sys.exit(main())
