"""Read-only queries over the built database (schema: ``etl/schema.sql``).

:class:`Store` opens the DuckDB file read-only, so a build can swap in a new file
while the dashboard runs; every method returns a pandas DataFrame (or plain
values). :func:`current_store` hands out the store of the file now at a path,
opening a new one when a build has replaced the file and retiring the old one.

Caching policy (the only one in the app): whatever is computed from a database file
is memoised on the :class:`Store` of that file, because the data in one file never
change: attributes with ``functools.cached_property``, everything keyed (queries by
indicator or area, rankings, benchmark frames, figures, tables, sentences) with
:meth:`Store.memo`. A store is one file identity (device, inode, modification time,
size: :func:`file_identity`), so its memo is keyed by the database file; when a build
replaces the file, :func:`current_store` opens a new store with an empty memo and the
old one, with everything computed from it, is dropped. Nothing derived from the data
is cached anywhere else (no module-level ``lru_cache`` or dict keyed by a store).
"""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd

from send_pressure.catalogue import Indicator, load_catalogue, period_label
from send_pressure.ranking import rank_authorities

ENGLAND = "E92000001"
#: How many results one store memoises (:meth:`Store.memo`) before dropping the least recently used.
MEMO_ENTRIES = 4096
T = TypeVar("T")

#: Columns of every observation frame the store returns.
OBS = (
    "indicator_id, geographic_level, area_code, breakdown_topic, breakdown, time_period, year, value, marker, source_id"
)


#: Columns of every frame :meth:`Store.breakdown_rows` returns, in this order.
BREAKDOWN_ROW_COLUMNS = [
    "measure_id",
    "label",
    "unit",
    "geographic_level",
    "area_code",
    "area_name",
    "breakdown_topic",
    "breakdown",
    "time_period",
    "period",
    "year",
    "value",
    "marker",
    "source_id",
    "release",
]
#: Areas the breakdown files publish beside the regions (some files give Inner and Outer London, not London).
SUB_REGIONS = {"E13000001": "Inner London", "E13000002": "Outer London"}


class DatabaseMissing(RuntimeError):
    """The database file does not exist or is not a SEND dashboard database (message says how to build it)."""


def file_identity(path: Path) -> tuple[int, int, int, int] | None:
    """(device, inode, mtime in ns, size) of the file at ``path``, or None when there is none.

    A build swaps a new file in with ``os.replace``, which changes the inode even when the
    modification time and size happen to match.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size


class Store:
    """Read-only access to one database file.

    The file is attached to a private in-memory DuckDB instance rather than opened with
    ``duckdb.connect(path)``: DuckDB hands every ``connect`` of a path the instance that is
    already open for it, so after a build replaced the file a new store would still read the
    old (deleted) one. ``identity`` is the :func:`file_identity` of the file as opened.

    Raises :class:`DatabaseMissing` when ``db_path`` is missing or unreadable.
    """

    def __init__(self, db_path: Path):
        self.db_path = Path(db_path)
        # Taken before opening: if the file is replaced in between, the next check sees a new identity.
        self.identity = file_identity(self.db_path)
        if self.identity is None:
            raise DatabaseMissing(
                f"No database at {self.db_path}. Build it with `python -m etl build` "
                "(or `python -m etl build --source-dir ../shared/data/sources` offline)."
            )
        self._lock = threading.Lock()
        self._memo: OrderedDict[tuple, object] = OrderedDict()
        self._memo_lock = threading.Lock()
        self._building: dict[tuple, threading.Lock] = {}
        self._active = 0
        self._retired = False
        self._con: duckdb.DuckDBPyConnection | None = self._open()

    def _open(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        try:
            path = str(self.db_path).replace("'", "''")
            con.execute(f"ATTACH '{path}' AS db (READ_ONLY)")
            con.execute("USE db")
            con.execute("SELECT count(*) FROM build_info").fetchone()
        except duckdb.Error as e:
            con.close()
            raise DatabaseMissing(f"{self.db_path} is not a readable SEND dashboard database: {e}") from e
        return con

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run one read-only query (a cursor per call, so Streamlit threads can share the store).

        A store that was retired and closed reopens the file now at its path for a late caller
        (a page that started before the swap), so such a page never fails.
        """
        with self._lock:
            if self._con is None:
                self._con = self._open()
            self._active += 1
            cur = self._con.cursor()
        try:
            cur.execute("USE db")  # a cursor does not inherit the parent's USE
            return cur.execute(sql, params or []).df()
        finally:
            cur.close()
            with self._lock:
                self._active -= 1
                self._close_if_done()

    def retire(self) -> None:
        """Mark the store as replaced by a newer file: it closes as soon as no query is running."""
        with self._lock:
            self._retired = True
            self._close_if_done()

    @property
    def closed(self) -> bool:
        """True once the connection has been closed (a later query reopens it)."""
        return self._con is None

    def _close_if_done(self) -> None:
        # Caller holds self._lock. Closing releases the old file (and its disk space, when deleted).
        if self._retired and self._active == 0 and self._con is not None:
            self._con.close()
            self._con = None

    # --- memo ------------------------------------------------------------------------------------

    def memo(self, key: tuple, build: Callable[[], T]) -> T:
        """``build()`` computed once for this database file and ``key``, then the same object every time.

        ``key`` names everything ``build`` reads besides the database (what it is, indicator, area, period ...),
        as hashable values. The result is shared between sessions and threads: never modify it. Callers asking
        for the same key at once wait for one computation; the least recently used of :data:`MEMO_ENTRIES`
        entries are dropped. An exception from ``build`` is raised to the caller and nothing is kept.
        """
        with self._memo_lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._memo_lock:
                if key in self._memo:
                    return self._memo[key]
            try:
                value = build()
            finally:
                with self._memo_lock:
                    self._building.pop(key, None)
            with self._memo_lock:
                self._memo[key] = value
                while len(self._memo) > MEMO_ENTRIES:
                    self._memo.popitem(last=False)
        return value

    # --- reference -------------------------------------------------------------------------------

    @functools.cached_property
    def indicators(self) -> dict[str, Indicator]:
        """The indicator catalogue keyed by id."""
        return load_catalogue(self.query("SELECT * FROM indicator ORDER BY position"))

    @functools.cached_property
    def local_authorities(self) -> pd.DataFrame:
        """All authorities (current and predecessors): new_la_code, old_la_code, la_name, region_code,
        region_name, first_year, last_year; sorted by name."""
        return self.query("SELECT * FROM local_authority ORDER BY la_name, old_la_code")

    @functools.cached_property
    def current_authorities(self) -> pd.DataFrame:
        """Authorities that exist today (last_year is NULL), sorted by name."""
        la = self.local_authorities
        return la[la.last_year.isna()].reset_index(drop=True)

    @functools.cached_property
    def successions(self) -> pd.DataFrame:
        """``la_succession`` with names: predecessor_code, successor_code, year, kind (split | merge | recode),
        predecessor_name, successor_name. A re-coded authority keeps its name (its old code has no row of its
        own in ``local_authority``)."""
        return self.query(
            """SELECT s.*, coalesce(p.la_name, n.la_name) AS predecessor_name, n.la_name AS successor_name
               FROM la_succession s
               JOIN local_authority n ON n.new_la_code = s.successor_code
               LEFT JOIN local_authority p ON p.new_la_code = s.predecessor_code
               ORDER BY s.year, s.successor_code, s.predecessor_code"""
        )

    @functools.cached_property
    def regions(self) -> pd.DataFrame:
        """region_code, region_name."""
        return self.query("SELECT * FROM region ORDER BY region_name")

    @functools.cached_property
    def sources(self) -> pd.DataFrame:
        """The ``source`` table: where each file came from, release, retrieval time, checksum, licence."""
        return self.query("SELECT * FROM source ORDER BY source_id")

    @functools.cached_property
    def series_breaks(self) -> pd.DataFrame:
        """The ``series_break`` table: indicator_id, first_period, first_year, description, source_id."""
        return self.query("SELECT * FROM series_break ORDER BY indicator_id, first_year")

    @functools.cached_property
    def revisions(self) -> pd.DataFrame:
        """The ``revision`` table: figures two loaded releases print differently (old and new value, sources)."""
        return self.query("SELECT * FROM revision")

    @functools.cached_property
    def corrections(self) -> pd.DataFrame:
        """The ``correction`` table: each declared publisher error, where it applied and whether it is retired."""
        return self.query("SELECT * FROM correction ORDER BY status, correction_id")

    @functools.cached_property
    def new_periods(self) -> pd.DataFrame:
        """The ``new_period`` table: indicator_id, time_period, year, source_id of periods only the newest has."""
        return self.query("SELECT * FROM new_period ORDER BY indicator_id, year")

    @functools.cached_property
    def built_at(self) -> pd.Timestamp:
        """When the database was built (UTC)."""
        return self.query("SELECT built_at FROM build_info").built_at.iloc[0]

    def area_name(self, code: str) -> str:
        """Display name of an LA, region or England code."""
        if code == ENGLAND:
            return "England"
        return self._area_names.get(code, code)

    def region_of(self, la_code: str) -> tuple[str, str]:
        """(region_code, region_name) of an authority's region (``new_la_code``); KeyError for an unknown code."""
        regions = self.memo(
            ("regions of authorities",),
            lambda: dict(
                zip(
                    self.local_authorities.new_la_code,
                    zip(self.local_authorities.region_code, self.local_authorities.region_name, strict=True),
                    strict=True,
                )
            ),
        )
        return regions[la_code]

    def neighbours(self, la_code: str) -> pd.DataFrame:
        """The LA's statistical neighbours: neighbour_code, la_name, rank (1-10), closeness, version."""
        sql = """SELECT s.neighbour_code, l.la_name, s.rank, s.closeness, s.version
                 FROM statistical_neighbour s JOIN local_authority l ON l.new_la_code = s.neighbour_code
                 WHERE s.new_la_code = ? ORDER BY s.rank"""
        return self.memo(("neighbours", la_code), lambda: self.query(sql, [la_code]))

    def constituencies(self) -> pd.DataFrame:
        """pcon_code, pcon_name, mp_name, party, new_la_code, la_name (one row per constituency x LA)."""
        return self._constituencies

    @functools.cached_property
    def _constituencies(self) -> pd.DataFrame:
        return self.query(
            """SELECT c.*, l.la_name FROM constituency c JOIN local_authority l USING (new_la_code)
               ORDER BY c.pcon_name, l.la_name"""
        )

    @functools.cached_property
    def boundaries(self) -> pd.DataFrame:
        """new_la_code, name, geometry (GeoJSON text)."""
        return self.query("SELECT * FROM boundary")

    def notes_for(self, area_code: str | None = None) -> pd.DataFrame:
        """Data-quality notes (source_id, area_code, time_period, indicator_id, note) for an area, or all."""
        if area_code is None:
            return self.memo(("notes",), lambda: self.query("SELECT * FROM data_note ORDER BY source_id"))
        sql = "SELECT * FROM data_note WHERE area_code = ? ORDER BY source_id"
        return self.memo(("notes", area_code), lambda: self.query(sql, [area_code]))

    @functools.cached_property
    def flags(self) -> pd.DataFrame:
        """Every data-quality flag (``data_flag``: indicator_id, area_code, time_period, rule, explanation).

        A flag marks a published figure that looks implausible; it never changes the figure.
        """
        return self.query("SELECT * FROM data_flag ORDER BY indicator_id, area_code, time_period, rule")

    def flag_text(self, indicator_id: str, area_code: str, time_period: str | None) -> str:
        """The flags on one figure joined into one text ('' when it has none)."""
        f = self._flag_index.get((indicator_id, area_code, time_period))
        return " ".join(f) if f else ""

    def marker_note(self, indicator_id: str, area_code: str, time_period: str | None) -> str:
        """A publisher's footnote explaining one cell (``data_note`` with indicator and period), or ''."""
        return self._marker_notes.get((indicator_id, area_code, time_period), "")

    def attach_flags(self, frame: pd.DataFrame, indicator_id: str | None = None) -> pd.DataFrame:
        """``frame`` (area_code, time_period and indicator_id columns, or ``indicator_id`` given) with a
        ``flag`` column: the data-quality flags and publisher footnotes on each figure ('' when none)."""
        iids = frame["indicator_id"] if "indicator_id" in frame else [indicator_id] * len(frame)
        texts = [
            " ".join(t for t in (self.flag_text(i, a, p), self.marker_note(i, a, p)) if t)
            for i, a, p in zip(iids, frame.area_code, frame.time_period, strict=True)
        ]
        return frame.assign(flag=texts)

    @functools.cached_property
    def _flag_index(self) -> dict[tuple[str, str, str], list[str]]:
        out: dict = {}
        for r in self.flags.itertuples():
            out.setdefault((r.indicator_id, r.area_code, r.time_period), []).append(r.explanation)
        return out

    @functools.cached_property
    def _marker_notes(self) -> dict[tuple[str, str, str], str]:
        n = self.query(
            "SELECT * FROM data_note WHERE indicator_id IS NOT NULL AND time_period IS NOT NULL "
            "AND area_code IS NOT NULL AND note LIKE 'Publisher''s footnote%'"
        )
        return dict(zip(zip(n.indicator_id, n.area_code, n.time_period, strict=True), n.note, strict=True))

    # --- observations ----------------------------------------------------------------------------

    def observations(self, indicator_id: str) -> pd.DataFrame:
        """Headline (Total) rows of one indicator for every area and period, ordered by year.

        Columns: OBS plus ``area_name``. Suppressed cells keep value NaN and their marker. Memoised: filter the
        frame, never modify it in place.
        """
        return self.observations_many([indicator_id])[indicator_id]

    def observations_many(self, indicator_ids: list[str]) -> dict[str, pd.DataFrame]:
        """:meth:`observations` of several indicators, keyed by id: the first that is not memoised yet reads
        them all in one query (a page comparing many indicators saves a query each), and each is memoised as
        :meth:`observations` would."""
        batch: dict[str, pd.DataFrame] = {}

        def one(iid: str) -> pd.DataFrame:
            if not batch:
                batch.update(self._observations(tuple(dict.fromkeys(indicator_ids))))
            return batch[iid]

        return {i: self.memo(("observations", i), lambda i=i: one(i)) for i in indicator_ids}

    def _observations(self, indicator_ids: tuple[str, ...]) -> dict[str, pd.DataFrame]:
        df = self.query(
            f"""SELECT {OBS} FROM observation
                WHERE indicator_id IN ({", ".join("?" * len(indicator_ids))})
                  AND breakdown_topic = 'Total' AND breakdown = 'Total'
                ORDER BY year, time_period, area_code""",
            list(indicator_ids),
        )
        df["area_name"] = df.area_code.map(self.area_name)
        parts = dict(tuple(df.groupby("indicator_id", sort=False)))
        return {i: parts[i].reset_index(drop=True) if i in parts else df.iloc[0:0] for i in indicator_ids}

    def periods(self, indicator_id: str) -> list[str]:
        """The indicator's time periods with at least one published figure, oldest first (periods in which
        every area is a marker, e.g. before a measure was collected, are not offered)."""
        return list(self.memo(("periods", indicator_id), lambda: self._periods(indicator_id)))

    def _periods(self, indicator_id: str) -> tuple[str, ...]:
        obs = self.observations(indicator_id)
        return tuple(dict.fromkeys(obs[obs.value.notna()].sort_values("year").time_period))

    def latest_period(self, indicator_id: str) -> str | None:
        """The most recent period with any figure for the indicator, or None if it has none."""
        periods = self.periods(indicator_id)
        return periods[-1] if periods else None

    def series(self, indicator_id: str, area_codes: list[str]) -> pd.DataFrame:
        """Headline rows of one indicator for the given areas, all periods (columns as :meth:`observations`)."""
        obs = self.observations(indicator_id)
        return obs[obs.area_code.isin(area_codes)].reset_index(drop=True)

    def snapshot(self, indicator_id: str, time_period: str, level: str = "Local authority") -> pd.DataFrame:
        """All areas of one level for one period (columns as :meth:`observations`)."""
        obs = self.observations(indicator_id)
        return obs[(obs.time_period == time_period) & (obs.geographic_level == level)].reset_index(drop=True)

    def ranked(self, indicator_id: str, time_period: str) -> pd.DataFrame:
        """Every LA of one period ranked on the indicator (:func:`send_pressure.ranking.rank_authorities`:
        columns as :meth:`snapshot` plus rank, tied, ranked_of, quartile), computed once per database for every
        page and briefing. Shared: filter it, never modify it in place."""
        return self.memo(
            ("ranked", indicator_id, time_period),
            lambda: rank_authorities(self.snapshot(indicator_id, time_period), self.indicators[indicator_id]),
        )

    def wide(self, indicator_ids: list[str], level: str = "Local authority") -> pd.DataFrame:
        """Latest period of each indicator side by side, one row per area.

        Columns: area_code, area_name, then per indicator ``<id>`` (value), ``<id>__marker`` and
        ``<id>__period``.
        """
        out = None
        for iid in indicator_ids:
            period = self.latest_period(iid)
            if period is None:
                continue
            snap = self.snapshot(iid, period, level)[["area_code", "area_name", "value", "marker"]]
            snap = snap.rename(columns={"value": iid, "marker": f"{iid}__marker"})
            snap[f"{iid}__period"] = period
            out = snap if out is None else out.merge(snap, on=["area_code", "area_name"], how="outer")
        return out if out is not None else pd.DataFrame(columns=["area_code", "area_name"])

    def breakdown(self, indicator_id: str, area_code: str, topic: str) -> pd.DataFrame:
        """Rows of one breakdown topic (e.g. 'Primary need') for an area (columns OBS)."""
        return self.query(
            f"""SELECT {OBS} FROM observation WHERE indicator_id = ? AND area_code = ? AND breakdown_topic = ?
                ORDER BY year, breakdown""",
            [indicator_id, area_code, topic],
        )

    # --- every published cell of the EHC plans releases (breakdown_value, measure) ---------------------

    @functools.cached_property
    def measures(self) -> pd.DataFrame:
        """The measure catalogue (table ``measure``): one row per published column of the EHC plans releases'
        data files, ordered by dataset and id. Columns: measure_id ('requests.request_outcome_six_weeks'),
        publication, dataset, file_name, column_name, topic, label, unit ('count', 'percent', 'weeks'),
        numerator_id, denominator_id, indicator_id (the headline indicator it feeds, or None), definition,
        time_identifier, source_id."""
        return self.query("SELECT * FROM measure ORDER BY dataset, measure_id")

    def breakdown_topics(self, measure_id: str) -> list[str]:
        """The breakdown topics a measure is published by ('Total' first, then alphabetical)."""
        return list(self.memo(("breakdown topics", measure_id), lambda: self._breakdown_topics(measure_id)))

    def _breakdown_topics(self, measure_id: str) -> tuple[str, ...]:
        topics = self.query(
            "SELECT DISTINCT breakdown_topic FROM breakdown_value WHERE measure_id = ? ORDER BY 1", [measure_id]
        ).breakdown_topic
        return tuple(sorted(topics, key=lambda t: (t != "Total", t)))

    def breakdown_rows(
        self,
        measure_ids: list[str] | None = None,
        dataset: str | None = None,
        area_codes: list[str] | None = None,
        topic: str | None = None,
        periods: list[str] | None = None,
    ) -> pd.DataFrame:
        """Published cells of the EHC plans releases (table ``breakdown_value``) with what a page shows beside them.

        Select by ``measure_ids`` and/or ``dataset`` (a data file, e.g. 'caseload'; at least one of the two),
        optionally ``area_codes`` (LA new_la_code, E12 region, E13 Inner/Outer London, E92000001), breakdown
        ``topic`` ('Total' for the headline rows, 'Sex', 'Age when plan started' ...; None: all) and
        ``time_period`` values. Returns :data:`BREAKDOWN_ROW_COLUMNS`, ordered by measure, area, year, topic and
        breakdown: ``label``/``unit`` from the catalogue, ``area_name``, ``period`` as publications print it
        ('2024/25' for the January 2025 snapshot), ``value`` (NaN when withheld) and ``marker`` (the published
        symbol, else None), ``source_id`` and ``release`` (the source's release label) to cite.
        Raises ValueError when neither ``measure_ids`` nor ``dataset`` is given.
        """
        if not measure_ids and not dataset:
            raise ValueError("breakdown_rows needs measure_ids or a dataset")
        key = (
            tuple(measure_ids or ()),
            dataset,
            tuple(area_codes) if area_codes is not None else None,
            topic,
            tuple(periods) if periods is not None else None,
        )
        return self.memo(("breakdown rows", *key), lambda: self._breakdown_rows(*key)).copy()

    def _breakdown_rows(self, measure_ids, dataset, area_codes, topic, periods) -> pd.DataFrame:
        where, params = [], []
        if measure_ids:
            where.append(f"b.measure_id IN ({', '.join('?' * len(measure_ids))})")
            params += list(measure_ids)
        if dataset:
            # Ids are '<dataset>.<column>': a prefix range lets DuckDB skip other measures' row groups.
            where.append("b.measure_id >= ? AND b.measure_id < ?")
            params += [f"{dataset}.", f"{dataset}/"]
        if area_codes is not None:
            if not area_codes:
                return pd.DataFrame(columns=BREAKDOWN_ROW_COLUMNS)
            where.append(f"b.area_code IN ({', '.join('?' * len(area_codes))})")
            params += list(area_codes)
        if topic is not None:
            where.append("b.breakdown_topic = ?")
            params.append(topic)
        if periods is not None:
            if not periods:
                return pd.DataFrame(columns=BREAKDOWN_ROW_COLUMNS)
            where.append(f"b.time_period IN ({', '.join('?' * len(periods))})")
            params += list(periods)
        df = self.query(
            f"""SELECT b.measure_id, m.label, m.unit, b.geographic_level, b.area_code, b.breakdown_topic,
                       b.breakdown, b.time_period, b.year, b.value, b.marker, b.source_id, s.release
                FROM breakdown_value b JOIN measure m USING (measure_id) JOIN source s ON s.source_id = b.source_id
                WHERE {" AND ".join(where)}
                ORDER BY b.measure_id, b.area_code, b.year, b.breakdown_topic <> 'Total', b.breakdown_topic,
                         b.breakdown""",
            params,
        )
        names = {**self._area_names, **SUB_REGIONS, ENGLAND: "England"}
        df["area_name"] = df.area_code.map(names).fillna(df.area_code)
        df["period"] = df.time_period.map(period_label)
        return df[BREAKDOWN_ROW_COLUMNS]

    @functools.cached_property
    def _area_names(self) -> dict[str, str]:
        """Code -> name for LAs and regions, built once (area_name is called for every observation row)."""
        names = dict(zip(self.local_authorities.new_la_code, self.local_authorities.la_name, strict=True))
        names.update(zip(self.regions.region_code, self.regions.region_name, strict=True))
        return names


_current: dict[Path, Store] = {}
_current_lock = threading.Lock()


def current_store(db_path: Path) -> Store:
    """The process-wide store for the file now at ``db_path``.

    When a build has replaced the file since the last call (a different :func:`file_identity`),
    a new store is opened and returned, and the previous one is retired (closed once its
    running queries end). Raises :class:`DatabaseMissing` when there is no readable database.
    """
    key = Path(db_path).absolute()
    identity = file_identity(key)
    with _current_lock:
        old = _current.get(key)
        if old is not None and old.identity == identity:
            return old
        new = Store(key)
        _current[key] = new
    if old is not None:
        old.retire()
    return new
