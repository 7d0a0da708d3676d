"""Plain-text reports on a built database for data managers (``python -m etl sources|summary``)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from etl.model import period_label


def print_sources(db_path: Path) -> None:
    """Print each source: publisher, release, file, retrieval time, SHA-256 and URL."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        rows = con.execute(
            "SELECT source_id, title, publisher, release, file_name, retrieved_at, sha256,"
            " coalesce(file_url, page_url), licence FROM source ORDER BY source_id"
        ).fetchall()
    for sid, title, publisher, release, file_name, retrieved, sha, url, licence in rows:
        print(f"{sid}\n  {title}\n  {publisher}; {release}\n  file {file_name}, retrieved {retrieved:%Y-%m-%d %H:%M}")
        print(f"  sha256 {sha}\n  {url}\n  {licence}\n")


def print_summary(db_path: Path) -> None:
    """Print row counts per table and, per indicator, the periods and number of LAs loaded."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        built = con.execute("SELECT built_at, observation_rows FROM build_info").fetchone()
        print(f"{db_path}: built {built[0]:%Y-%m-%d %H:%M} UTC, {built[1]:,} observations")
        for table in ("local_authority", "statistical_neighbour", "constituency", "boundary", "data_note"):
            print(f"  {table:<22} {con.execute(f'SELECT count(*) FROM {table}').fetchone()[0]:>6,} rows")
        rows = con.execute(
            """
            SELECT i.indicator_id, arg_min(o.time_period, o.year), arg_max(o.time_period, o.year),
                   count(DISTINCT o.time_period),
                   count(*) FILTER (WHERE o.geographic_level = 'Local authority' AND o.time_period =
                       (SELECT max(time_period) FROM observation x WHERE x.indicator_id = i.indicator_id)
                       AND o.breakdown = 'Total'),
                   count(*) FILTER (WHERE o.marker IS NOT NULL)
            FROM indicator i LEFT JOIN observation o USING (indicator_id)
            GROUP BY i.indicator_id ORDER BY i.indicator_id
            """
        ).fetchall()
    print(f"\n  {'indicator':<40} {'periods':<22} {'LAs in latest':>13} {'markers':>8}")
    for iid, first, last, n, las, markers in rows:
        span = f"{period_label(first)} to {period_label(last)} ({n})"
        print(f"  {iid:<40} {span:<22} {las:>13} {markers:>8}")
