"""Plain-text reports on a built database for data managers (``python -m etl sources|summary``)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from etl.model import period_label


def print_sources(db_path: Path) -> None:
    """Print each publication (its newest release known, the build time), then each source read from it:
    publisher, release loaded, file, retrieval time, status (current, or the older copy kept and why),
    SHA-256 and URL."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        built = con.execute("SELECT built_at FROM build_info").fetchone()[0]
        rows = con.execute(
            "SELECT publication, newest_release, source_id, title, publisher, release,"
            " CASE WHEN follows_latest THEN release_slug END, file_name,"
            " retrieved_at, sha256, coalesce(file_url, page_url), licence, status, status_note"
            " FROM source ORDER BY publication, source_id"
        ).fetchall()
    print(f"Database built {built:%Y-%m-%d %H:%M} UTC\n")
    publication = object()
    for pub, newest, sid, title, publisher, release, slug, file_name, retrieved, sha, url, licence, status, why in rows:
        if pub != publication:
            publication = pub
            print(f"Publication {pub}" + (f": newest release known {newest}" if newest else ""))
        # Only a source that follows the newest release is behind; a pinned one is older by design.
        behind = f" (newer release {newest} not loaded from this file)" if newest and slug and slug < newest else ""
        loaded = "nothing loaded" if status == "not loaded" else f"loaded {release}{behind}"
        print(f"  {sid}\n    {title}\n    {publisher}; {loaded}")
        when = f"retrieved {retrieved:%Y-%m-%d %H:%M}" if retrieved else "no copy"
        print(f"    file {file_name}, {when}; {status}" + (f": {why}" if why else ""))
        print(f"    sha256 {sha}\n    {url}\n    {licence}\n")


def print_summary(db_path: Path) -> None:
    """Print row counts per table (every published cell of the EHC plans releases too) and, per indicator, the
    periods and number of LAs loaded."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        built = con.execute("SELECT built_at, observation_rows FROM build_info").fetchone()
        print(f"{db_path}: built {built[0]:%Y-%m-%d %H:%M} UTC, {built[1]:,} observations")
        for table in ("local_authority", "statistical_neighbour", "constituency", "boundary", "data_note", "measure"):
            print(f"  {table:<22} {con.execute(f'SELECT count(*) FROM {table}').fetchone()[0]:>6,} rows")
        numbers, markers = (
            con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("breakdown_cell", "breakdown_marker")
        )
        print(f"  breakdown_value        {numbers + markers:>6,} cells ({numbers:,} figures, {markers:,} markers)")
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
