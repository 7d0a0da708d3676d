"""Published columns of the EHC plans releases (``measure`` and ``breakdown_value``, read through
:meth:`send_pressure.queries.Store.breakdown_rows`) handled like indicators: one authority beside its region,
England and its statistical neighbours (median and range), described by an :class:`etl.catalogue.Indicator`.

A measure id has a dot (``requests.request_outcome_six_weeks_pc``); an indicator id has none, so
:func:`is_measure` tells them apart and the journey and breakdown pages can list both. Everything here is
memoised on the store (:meth:`~send_pressure.queries.Store.memo`).
"""

from __future__ import annotations

import pandas as pd

from etl.catalogue import SIZE_REASON, Indicator
from send_pressure import compare
from send_pressure.queries import ENGLAND, Store

#: Topic (``etl.catalogue.TOPICS``) of a measure that feeds no headline indicator, by its data file.
DATASET_TOPICS = {"requests": "request_path", "assessments": "request_path", "sen2_mi": "request_path",
                  "timeliness_20_week": "timeliness"}  # fmt: skip


def is_measure(some_id: str) -> bool:
    """True for a measure id ('<dataset>.<column>'), False for an indicator id."""
    return "." in some_id


def _catalogue(store: Store) -> dict[str, dict]:
    """Measure rows (:attr:`Store.measures`) keyed by measure id."""
    return store.memo(("measure rows",), lambda: {r["measure_id"]: r for r in store.measures.to_dict("records")})


def known(store: Store, some_id: str) -> bool:
    """Whether the database has this indicator or measure."""
    return some_id in _catalogue(store) if is_measure(some_id) else some_id in store.indicators


def as_indicator(store: Store, some_id: str) -> Indicator:
    """The catalogue's indicator, or a measure described as one (memoised): its data-guidance label and
    definition, release and period convention; its ``unit`` ('count', 'percent', 'weeks'); ``kind`` 'count'
    (additive: region and England figures are sums) or 'rate'; neutral; a count is not ``comparable`` (it
    mostly reflects size); ``topic`` that of the headline indicator it feeds, else by its file (mediation and
    tribunal columns: 'tribunal'). Raises KeyError for an id the database does not have."""
    if not is_measure(some_id):
        return store.indicators[some_id]
    return store.memo(("measure indicator", some_id), lambda: _as_indicator(store, _catalogue(store)[some_id]))


def _as_indicator(store: Store, m: dict) -> Indicator:
    count = m["unit"] == "count"  # not a percentage or average weeks
    feeds = store.indicators.get(m["indicator_id"]) if isinstance(m["indicator_id"], str) else None
    column = m["measure_id"].split(".", 1)[1]
    if feeds is not None:
        topic = feeds.topic
    elif "mediation" in column or "tribunal" in column:
        topic = "tribunal"
    else:
        topic = DATASET_TOPICS.get(m["dataset"], "plans")
    return Indicator(
        m["measure_id"],
        m["label"],
        m["unit"],
        "neutral",
        m["definition"] or m["label"],
        m["source_id"],
        m["time_identifier"],
        "count" if count else "rate",
        topic,
        additive=count,
        comparable=not count,
        not_comparable_because=SIZE_REASON if count else "",
    )


#: Columns of :func:`benchmarks` (those of :func:`send_pressure.compare.benchmarks`).
COLUMNS = compare.BENCHMARK_COLUMNS


def benchmarks(store: Store, measure_id: str, la_code: str) -> pd.DataFrame:
    """A measure's headline ('Total') rows for the authority, its region, England, its neighbours' median (with
    ``low``/``high`` range and ``n_neighbours``) and each neighbour, every period; memoised on the store.

    The columns and roles of :func:`send_pressure.compare.benchmarks` (:data:`COLUMNS`: area_code, None on the
    median rows; role one of ``compare.ROLES``; series the display name), in its order (LA, region, England,
    neighbours' median, each neighbour by closeness, within each year). Shared: filter it, never modify it.
    """
    key = ("measure benchmarks", measure_id, la_code)
    return store.memo(key, lambda: _benchmarks_many(store, (measure_id,), la_code)[measure_id])


def benchmarks_many(store: Store, measure_ids: tuple[str, ...], la_code: str) -> dict[str, pd.DataFrame]:
    """:func:`benchmarks` of several measures, keyed by id: the first that is not memoised yet reads them all
    in one query, and each is memoised as :func:`benchmarks` would."""
    batch: dict[str, pd.DataFrame] = {}

    def one(mid: str) -> pd.DataFrame:
        if not batch:
            batch.update(_benchmarks_many(store, measure_ids, la_code))
        return batch[mid]

    return {mid: store.memo(("measure benchmarks", mid, la_code), lambda mid=mid: one(mid)) for mid in measure_ids}


def _benchmarks_many(store: Store, measure_ids: tuple[str, ...], la_code: str) -> dict[str, pd.DataFrame]:
    codes = [la_code, store.region_of(la_code)[0], ENGLAND, *store.neighbours(la_code).neighbour_code]
    rows = store.breakdown_rows(list(measure_ids), area_codes=codes, topic="Total")
    # breakdown_rows orders by measure, area and year; benchmark_frames wants each id's rows by year.
    rows = rows.rename(columns={"measure_id": "indicator_id"}).sort_values(["year", "time_period"], kind="stable")
    return compare.benchmark_frames(store, rows, measure_ids, la_code)
