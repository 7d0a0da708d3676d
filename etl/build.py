"""Build the database: fetch every source, parse, assemble, validate, swap in atomically.

A build whose sources and code are unchanged since the database was written is
skipped (the fingerprint of source checksums and ETL code is stored in
``build_info``), so it costs only the checksums.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl.fetch import FetchedFile, Fetcher
from etl.model import Source
from etl.sources import SOURCES

ETL_DIR = Path(__file__).resolve().parent


@dataclass
class BuildResult:
    """What a build did: ``status`` is 'built' or 'unchanged'; ``report`` the validation summary."""

    status: str
    db_path: Path
    seconds: float
    observation_rows: int
    report: list[str]


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

    Raises ``etl.fetch.FetchError`` when a source cannot be had, ``etl.model.SourceFormatError``
    for a file that is not laid out as expected, and ``etl.load.BuildError`` when
    the data fail validation. In every error case the existing database is left
    exactly as it was.
    """
    start = time.perf_counter()
    sources = sources or SOURCES
    fetched = {s.source_id: fetcher.get(s) for s in sources}
    fp = fingerprint(list(fetched.values()))
    if not force and stored_fingerprint(db_path) == fp:
        return BuildResult("unchanged", db_path, time.perf_counter() - start, 0, ["no source or code changed"])

    # Heavy imports only when there is work to do (keeps the no-change path fast).
    import pandas as pd

    from etl.load import BuildError, assemble, write_database
    from etl.parsers import get_parser
    from etl.validate import validate

    by_id = {s.source_id: s for s in sources}

    def parse(s: Source):
        t = time.perf_counter()
        result = get_parser(s.parser)(fetched[s.source_id].path, s, lambda sid: fetched[sid].path)
        return s.source_id, result, time.perf_counter() - t

    # Two workers: the heavy parsers spend their time in pyarrow, duckdb and calamine, which release the GIL.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(parse, [s for s in sources if get_parser(s.parser) is not None]))
    parsed = {}
    for sid, result, seconds in results:
        parsed[sid] = result
        rows = len(result.observations) + sum(len(t) for name, t in result.tables.items() if name != "ees_la")
        log(f"  parsed {sid:<24} {rows:>8,} rows  {seconds:.2f}s")
    source_rows = pd.DataFrame(
        [
            {
                "source_id": s.source_id,
                "title": s.title,
                "publisher": s.publisher,
                "page_url": s.page_url,
                "file_url": fetched[s.source_id].file_url,
                "release": s.release,
                "file_name": Path(s.mirror_path).name,
                "sha256": fetched[s.source_id].sha256,
                "retrieved_at": pd.to_datetime(fetched[s.source_id].retrieved_at, utc=True).tz_convert(None),
                "licence": s.licence,
            }
            for s in sources
        ]
    )
    tables = assemble(parsed, by_id, source_rows)
    failures, report = validate(tables)
    if failures:
        raise BuildError(
            "Validation failed; the database was not replaced:\n" + "\n".join(f"  - {f}" for f in failures)
        )
    write_database(tables, db_path, fp)
    return BuildResult("built", db_path, time.perf_counter() - start, len(tables.observation), report)
