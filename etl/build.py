"""Build the database: fetch every source, parse, assemble, validate, swap in atomically.

A build whose sources and code are unchanged since the database was written is
skipped (the fingerprint of source checksums and ETL code is stored in
``build_info``), so it costs only the checksums.

One build at a time writes a database: :func:`build_lock` holds an exclusive lock on
``<db>.lock`` (released by the operating system if the build is killed), and the
holder first removes the temporary files killed builds and downloads left behind
(``etl.leftovers``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import gc
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from etl.fetch import FetchedFile, Fetcher, FetchError
from etl.leftovers import clean_leftovers
from etl.model import EesRelease, Source, SourceFormatError
from etl.sources import SOURCES

ETL_DIR = Path(__file__).resolve().parent
#: Bytes 8-11 of every DuckDB database file.
DUCKDB_MAGIC = b"DUCK"


class TargetError(ValueError):
    """The database path cannot be written: empty, a folder, or an existing file that is not a DuckDB database."""


class BuildLocked(RuntimeError):
    """Another build is writing the same database (the message names its process id)."""


@dataclass
class BuildResult:
    """What a build did: ``status`` is 'built' or 'unchanged'; ``report`` the validation summary.

    ``stale``: source id -> why its last good copy (the previous database's rows) was used instead of a
    fresh file; empty when every source was read. ``phases``: step -> (wall, CPU) seconds of a build that
    ran, in order: fetch (checksums, fingerprint, the first build's imports), parse (with the previous copies of
    sources that could not be fetched, and the new file opened), assemble (with the source table; the every-cell
    tables are gathered and written meanwhile, and the others as each is complete), validate (the last tables are
    written and the file checkpointed meanwhile), write (what is left of that, and the swap). CPU counts every
    thread of the process.
    """

    status: str
    db_path: Path
    seconds: float
    observation_rows: int
    report: list[str]
    stale: dict[str, str] = field(default_factory=dict)
    phases: dict[str, tuple[float, float]] = field(default_factory=dict)


class _Clock:
    """Wall and CPU seconds of consecutive build steps (``BuildResult.phases``)."""

    def __init__(self) -> None:
        self.phases: dict[str, tuple[float, float]] = {}
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, step: str) -> None:
        """Charge the time since the previous lap to ``step``."""
        wall, cpu = time.perf_counter(), time.process_time()
        self.phases[step] = (wall - self._wall, cpu - self._cpu)
        self._wall, self._cpu = wall, cpu


def check_target(db_path: Path) -> None:
    """Raise :class:`TargetError` unless ``db_path`` may be (over)written with a new database.

    A path that does not exist yet is fine; an existing file must already be a DuckDB database,
    so that a mistyped ``--db README.md`` can never replace a document.
    """
    if str(db_path) in ("", "."):
        raise TargetError("the database path is empty; give a file name, e.g. --db data/send.duckdb")
    if db_path.is_dir():
        raise TargetError(f"{db_path} is a folder; give a file name, e.g. --db {db_path / 'send.duckdb'}")
    if db_path.exists():
        with open(db_path, "rb") as fh:
            head = fh.read(12)
        if head[8:12] != DUCKDB_MAGIC:
            raise TargetError(
                f"{db_path} exists and is not a DuckDB database; refusing to overwrite it. "
                "Choose another path with --db, or move that file away."
            )


@contextmanager
def build_lock(db_path: Path) -> Iterator[None]:
    """Hold the exclusive build lock on ``<db>.lock`` (beside the database) for the ``with`` block.

    Raises :class:`BuildLocked` at once when another process holds it, and ``OSError`` when the
    folder cannot be written. The lock file holds the builder's pid and is removed on release; the
    lock itself ends with the process, so a killed build never leaves the database locked (its
    stale lock file is simply taken over).
    """
    db_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = db_path.with_name(db_path.name + ".lock")
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise BuildLocked(
                f"another build (process {holder}) is writing {db_path}; only one build at a time. "
                "Wait for it to finish, then run again."
            ) from None
        # The previous holder may have removed the file between our open and flock: lock the new one.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock_path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        lock_path.unlink(missing_ok=True)  # still holding the lock, so no other build can be using it
        os.close(fd)


def fingerprint(fetched: list[FetchedFile]) -> str:
    """Hash of every source checksum plus the ETL's own code (a code change forces a rebuild)."""
    h = hashlib.sha256()
    for f in sorted(fetched, key=lambda f: f.source_id):
        h.update(f"{f.source_id}={f.sha256}\n".encode())
    for path in sorted(ETL_DIR.rglob("*")):
        if path.suffix in {".py", ".sql"}:
            h.update(path.read_bytes())
    return h.hexdigest()


def stored_fingerprint(db_path: Path) -> str | None:
    """The fingerprint recorded in an existing database, or None (missing or unreadable file)."""
    if not db_path.exists():
        return None
    try:
        with duckdb.connect(str(db_path), read_only=True) as con:
            row = con.execute("SELECT fingerprint FROM build_info").fetchone()
            return row[0] if row else None
    except duckdb.Error:
        return None


def build(
    db_path: Path,
    fetcher: Fetcher,
    sources: list[Source] | None = None,
    force: bool = False,
    log: Callable[[str], None] = print,
) -> BuildResult:
    """Fetch, parse, assemble, validate and write the database at ``db_path``.

    Runs under :func:`build_lock` and first removes leftovers of killed runs beside the database
    and in the download cache (``log`` names each).

    Raises ``etl.fetch.FetchError`` when a source cannot be had, ``etl.model.SourceFormatError``
    for a file that is not laid out as expected (or not UTF-8 text), ``etl.load.BuildError`` when
    the data fail validation, :class:`BuildLocked` when another build is running,
    :class:`TargetError` for a path that must not be overwritten, and ``OSError`` (or
    ``duckdb.IOException``) when the database cannot be written. In every error case the
    existing database is left exactly as it was.
    """
    with build_lock(db_path):
        for path in clean_leftovers(db_path.parent) + clean_leftovers(fetcher.cache_dir, recursive=True):
            log(f"  removed {path} (left by a build or download that was killed)")
        with _no_cycle_collection():
            return _build(db_path, fetcher, sources or SOURCES, force, log)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the ``with`` block (as it was before, after it).

    A build makes few reference cycles but many objects: the collector ran about 150 times per build (once over
    every object of the process), holding the interpreter lock that the parsing and writing threads wait for.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(
    db_path: Path, fetcher: Fetcher, sources: list[Source], force: bool, log: Callable[[str], None]
) -> BuildResult:
    start, clock = time.perf_counter(), _Clock()
    fetched, failed = _fetch_all(sources, fetcher, log)
    sources = _one_copy_per_release(sources, fetched, log)
    fp = fingerprint(list(fetched.values()) + [_failed_marker(sid) for sid in sorted(failed)])
    # A source failing as it did last time leaves the fingerprint as it was: nothing new to build.
    if not force and stored_fingerprint(db_path) == fp:
        return BuildResult("unchanged", db_path, time.perf_counter() - start, 0, ["no source or code changed"])

    # Heavy imports only when there is work to do (keeps the no-change path fast).
    import pandas as pd

    from etl.load import BuildError, NewDatabase, assemble, previous_copies
    from etl.parsers import get_parser
    from etl.validate import validate

    def parse(s: Source):
        t = time.perf_counter()
        path = fetched[s.source_id].path
        try:
            result = get_parser(s.parser)(path, s, lambda sid: fetched[sid].path)
        except UnicodeDecodeError as exc:
            error = SourceFormatError(
                f"{path.name} ({s.source_id}) is not UTF-8 text: byte {exc.object[exc.start : exc.start + 1]!r} "
                f"at offset {exc.start} ({exc.reason}). It may have been saved as Windows-1252 (cp1252); "
                "save it as UTF-8."
            )
            return s.source_id, error, time.perf_counter() - t
        except SourceFormatError as exc:
            return s.source_id, exc, time.perf_counter() - t
        return s.source_id, result, time.perf_counter() - t

    # Two workers: the heavy parsers spend their time in pyarrow, duckdb and calamine, which release the GIL.
    readable = [s for s in sources if s.source_id in fetched and get_parser(s.parser) is not None]
    clock.lap("fetch")
    # The largest files first, so that the small ones fill in at the end instead of one large file running alone.
    largest_first = sorted(readable, key=lambda s: -fetched[s.source_id].path.stat().st_size)
    check_target(db_path)  # before any work: a path that must not be overwritten is reported at once
    with contextlib.ExitStack() as stack:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {s.source_id: pool.submit(parse, s) for s in largest_first}
            # Meanwhile, the previous database's rows of the sources that could not be fetched (their last good copy).
            asked = [s.source_id for s in sources if s.source_id in failed]
            copies = previous_copies(db_path, asked)
            # And the new file, written while the build runs (opening a DuckDB file takes a few hundredths of a
            # second): the every-cell tables as soon as they are gathered, the others as each is complete.
            out = stack.enter_context(NewDatabase(db_path))
            results = [futures[s.source_id].result() for s in readable]
        parsed = {}
        for sid, result, seconds in results:
            if isinstance(result, SourceFormatError):
                failed[sid] = result
                continue
            parsed[sid] = result
            rows = len(result.observations) + sum(len(t) for name, t in result.tables.items() if name != "ees_la")
            log(f"  parsed {sid:<24} {rows:>8,} rows  {seconds:.2f}s")
        clock.lap("parse")

        stale, old_sources, missing = {}, {}, {}
        unreadable = [s.source_id for s in sources if s.source_id in failed and s.source_id not in asked]
        copies.update(previous_copies(db_path, unreadable))
        for s in [s for s in sources if s.source_id in failed]:
            error = failed[s.source_id]
            copy = copies.get(s.source_id)
            if copy is None:
                if not s.required:
                    log(f"  skipped {s.source_id}: {error} (optional; no earlier copy)")
                    missing[s.source_id] = str(error)
                    continue
                raise error
            parsed[s.source_id], old_sources[s.source_id] = copy
            stale[s.source_id] = _stale_reason(s, error)
            log(f"  {s.source_id}: {stale[s.source_id]}")
        all_sources = sources
        sources = [s for s in sources if s.source_id in parsed or (s.source_id in fetched and s.parser == "none")]

        rows = [_not_loaded_row(s, missing[s.source_id]) for s in all_sources if s.source_id in missing]
        rows += [
            _previous_row(s, old_sources[s.source_id], stale[s.source_id])
            if s.source_id in old_sources
            else _source_row(s, fetched[s.source_id])
            for s in sources
        ]
        source_rows = _newest_known(pd.DataFrame(rows), fetched)
        ranked = {s.source_id: _ranked(s, source_rows) for s in sources}
        tables = assemble(parsed, ranked, source_rows, out)  # and writes them
        clock.lap("assemble")
        out.finish(len(tables.observation), fp)  # the last writes and the checkpoint, while the tables are validated
        failures, report = validate(tables)
        clock.lap("validate")
        if failures:
            raise BuildError(
                "Validation failed; the database was not replaced:\n" + "\n".join(f"  - {f}" for f in failures)
            )
        out.commit()
    clock.lap("write")
    stale.update({sid: f"cached copy used: {f.fallback}" for sid, f in fetched.items() if f.fallback})
    seconds = time.perf_counter() - start
    return BuildResult("built", db_path, seconds, len(tables.observation), report, stale, clock.phases)


def _fetch_all(sources: list[Source], fetcher: Fetcher, log) -> tuple[dict[str, FetchedFile], dict[str, Exception]]:
    """Fetch every source; a source that cannot be had is returned in the second dict with its error."""
    fetched, failed = {}, {}
    for s in sources:
        try:
            fetched[s.source_id] = fetcher.get(s)
        except FetchError as exc:
            failed[s.source_id] = exc
            log(f"  could not get {s.source_id}: {exc}")
    return fetched, failed


def _failed_marker(source_id: str) -> FetchedFile:
    """A stand-in for a source that failed, so that the fingerprint differs from a complete build."""
    return FetchedFile(
        source_id=source_id,
        path=Path(),
        sha256="failed",
        file_url="",
        retrieved_at="",
        from_cache=False,
        from_mirror=False,
    )


def _one_copy_per_release(sources: list[Source], fetched: dict[str, FetchedFile], log) -> list[Source]:
    """Drop a pinned source whose release the latest-following source of its publication resolved to.

    (The pinned release is then the latest: reading it twice would only duplicate every row.)
    """
    latest = {
        (s.publication, s.parser, fetched[s.source_id].release)
        for s in sources
        if s.follows_latest and s.source_id in fetched
    }
    keep = []
    for s in sources:
        f = fetched.get(s.source_id)
        if not s.follows_latest and f is not None and (s.publication, s.parser, f.release) in latest:
            log(f"  {s.source_id}: the same release ({f.release}) as its publication's newest one here, read once")
            del fetched[s.source_id]
            continue
        keep.append(s)
    return keep


def release_label(source: Source, fetched: FetchedFile) -> str:
    """How the release of a fetched file is named: the label of the mirror copy, else the resolved release."""
    if fetched.from_mirror or not fetched.release or fetched.release == source.mirror_release:
        return source.release
    return fetched.release_title or f"Release {fetched.release}"


def _newest_known(rows, fetched: dict[str, FetchedFile]):
    """Fill ``newest_release``: per publication, the newest release any source saw (listed or loaded)."""
    from etl.model import release_rank

    seen: dict[str, set[str]] = {}
    for r in rows.itertuples():
        f = fetched.get(r.source_id)
        for slug in (r.release_slug, f.newest_release if f else None):
            if isinstance(slug, str) and slug:
                seen.setdefault(r.publication, set()).add(slug)
    newest = {pub: max(slugs, key=release_rank) for pub, slugs in seen.items()}
    rows["newest_release"] = rows.publication.map(newest)
    return rows


def _ranked(source: Source, source_rows) -> Source:
    """The source with its precedence set from the release it resolved to (EES releases rank by year)."""
    from etl.model import release_rank

    if not isinstance(source.locator, EesRelease):
        return source
    slug = source_rows.set_index("source_id").release_slug.get(source.source_id)
    return dataclasses.replace(source, precedence=release_rank(slug, source.precedence))


def _source_row(s: Source, f: FetchedFile) -> dict:
    """The ``source`` row of a file read in this build."""
    return {
        "source_id": s.source_id,
        "title": s.title,
        "publisher": s.publisher,
        "page_url": s.page_url,
        "file_url": f.file_url,
        "release": release_label(s, f),
        "file_name": Path(f.member or s.mirror_path).name,
        "sha256": f.sha256,
        "retrieved_at": _utc_naive(f.retrieved_at),
        "licence": s.licence,
        "publication": s.publication,
        "release_slug": f.release,
        "newest_release": None,
        "follows_latest": s.follows_latest,
        "status": "cached copy" if f.fallback else "current",
        "status_note": f.fallback,
    }


def _utc_naive(stamp: str):
    """An ISO 8601 time (the fetcher writes UTC, '...Z') as a naive UTC ``pd.Timestamp``; one without a zone is
    taken as UTC. (``pd.to_datetime`` would first guess the format, once per source.)"""
    import pandas as pd

    when = pd.Timestamp(stamp)
    return when.tz_convert(None) if when.tzinfo is not None else when


def _previous_row(s: Source, old: dict, why: str) -> dict:
    """The ``source`` row of a source whose rows were taken from the previous database."""
    return {
        **old,
        "publication": s.publication,
        "follows_latest": s.follows_latest,
        "status": "previous copy",
        "status_note": why,
    }


def _not_loaded_row(source: Source, why: str) -> dict:
    """The ``source`` row of an optional source of which no copy could be had (status 'not loaded')."""
    return {
        "source_id": source.source_id,
        "title": source.title,
        "publisher": source.publisher,
        "page_url": source.page_url,
        "file_url": None,
        "release": source.release,
        "file_name": Path(source.mirror_path).name,
        "sha256": "",
        "retrieved_at": None,
        "licence": source.licence,
        "publication": source.publication,
        "release_slug": None,
        "newest_release": None,
        "follows_latest": source.follows_latest,
        "status": "not loaded",
        "status_note": why,
    }


def _stale_reason(source: Source, error: Exception) -> str:
    """One line for the build summary and the screen: which copy is used and why."""
    today = time.strftime("%Y-%m-%d", time.gmtime())
    what = "could not be read" if isinstance(error, SourceFormatError) else "could not be fetched"
    return f"the newest copy {what} on {today}; figures from the previous build are kept ({error})"
