"""Published columns of the EHC plans releases (``measure`` and ``breakdown_value``, read through
:meth:`send_pressure.queries.Store.breakdown_rows`) handled like indicators: one authority beside its region,
England and its statistical neighbours (median and range), with an :class:`Indicator` that names and formats it.

A measure id has a dot (``requests.request_outcome_six_weeks_pc``); an indicator id has none, so
:func:`is_measure` tells them apart and the journey and breakdown pages can list both.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import pandas as pd

from send_pressure import compare
from send_pressure.catalogue import Indicator
from send_pressure.queries import ENGLAND, Store

#: Why a count is not compared across authorities (as the catalogue says of its size counts).
SIZE_REASON = "a count that mostly reflects how big the authority is, not how it performs"


def is_measure(some_id: str) -> bool:
    """True for a measure id ('<dataset>.<column>'), False for an indicator id."""
    return "." in some_id


@functools.lru_cache(maxsize=8)
def _catalogue(store: Store) -> dict[str, dict]:
    return {r["measure_id"]: r for r in store.measures.to_dict("records")}


def known(store: Store, some_id: str) -> bool:
    """Whether the database has this indicator or measure."""
    return some_id in _catalogue(store) if is_measure(some_id) else some_id in store.indicators


def as_indicator(store: Store, some_id: str) -> Indicator:
    """The catalogue's indicator, or a measure described as one: its data-guidance label and definition, its
    unit; neutral; comparable unless it is a count (counts are never ranked)."""
    if not is_measure(some_id):
        return store.indicators[some_id]
    m = _catalogue(store)[some_id]
    count = m["unit"] == "count"
    template = next(iter(store.indicators.values()))
    return replace(
        template,
        indicator_id=some_id,
        label=m["label"],
        unit=m["unit"] if m["unit"] in ("count", "percent") else "count",
        polarity="neutral",
        definition=m["definition"] or m["label"],
        source_id=m["source_id"],
        time_identifier=m["time_identifier"],
        numerator_id=None,
        denominator_id=None,
        scale=None,
        derived=False,
        headline=False,
        comparable=not count,
        not_comparable_because=SIZE_REASON if count else None,
    )


def benchmarks(store: Store, measure_id: str, la_code: str) -> pd.DataFrame:
    """A measure's headline ('Total') rows for the authority, its region, England, its neighbours' median
    (with ``low``/``high`` range and ``n_neighbours``) and each neighbour (``neighbour`` True), every period.

    Same columns as :func:`send_pressure.compare.benchmarks`: area_code, time_period, year, series, value,
    marker, source_id, n_neighbours, low, high, neighbour.
    """
    return benchmarks_many(store, (measure_id,), la_code)[measure_id]


def benchmarks_many(store: Store, measure_ids: tuple[str, ...], la_code: str) -> dict[str, pd.DataFrame]:
    """:func:`benchmarks` of several measures, read in one query (a page showing many saves a query each)."""
    la = store.local_authorities.set_index("new_la_code")
    region = la.at[la_code, "region_code"]
    nb = store.neighbours(la_code)
    codes = [la_code, region, ENGLAND, *nb.neighbour_code]
    every = store.breakdown_rows(list(measure_ids), area_codes=codes, topic="Total")
    cols = ["area_code", "time_period", "year", "value", "marker", "source_id"]
    names = {la_code: la.at[la_code, "la_name"], region: la.at[la_code, "region_name"], ENGLAND: "England"}
    order = dict(zip(nb.neighbour_code, nb["rank"], strict=True))
    out = {}
    for mid in measure_ids:
        rows = every[every.measure_id == mid]
        own = rows[rows.area_code.isin(names)][cols].assign(series=lambda d: d.area_code.map(names))
        each = rows[rows.area_code.isin(order)]
        parts = [own]
        if len(each):
            g = each.groupby(["time_period", "year"], as_index=False).agg(
                value=("value", "median"), low=("value", "min"), high=("value", "max"),
                n_neighbours=("value", "count"), source_id=("source_id", "last"),
            )  # fmt: skip
            parts.append(g[g.n_neighbours > 0].assign(series=compare.NEIGHBOURS, marker=None, area_code=None))
            each = each.assign(closeness=each.area_code.map(order)).sort_values(["year", "closeness"])
            parts.append(each[cols].assign(series=each.area_name, neighbour=True))
        frame = pd.concat(parts, ignore_index=True)
        for col in ("n_neighbours", "low", "high"):
            if col not in frame:
                frame[col] = float("nan")
        frame["neighbour"] = frame.get("neighbour", pd.Series(False, index=frame.index)).fillna(False).astype(bool)
        out[mid] = frame.sort_values("year", kind="stable").reset_index(drop=True)
    return out


def series(store: Store, some_id: str, area_codes: list[str]) -> pd.DataFrame:
    """Headline rows of an indicator or a measure for some areas, every period (area_code, area_name,
    time_period, year, value, marker, source_id)."""
    return series_many(store, (some_id,), area_codes)[some_id]


def series_many(store: Store, ids: tuple[str, ...], area_codes: list[str]) -> dict[str, pd.DataFrame]:
    """:func:`series` of several indicators and measures (the measures read in one query)."""
    cols = ["area_code", "area_name", "time_period", "year", "value", "marker", "source_id"]
    wanted = [i for i in ids if is_measure(i)]
    every = store.breakdown_rows(wanted, area_codes=area_codes, topic="Total") if wanted else None
    return {
        i: every[every.measure_id == i][cols].reset_index(drop=True) if is_measure(i) else store.series(i, area_codes)
        for i in ids
    }
