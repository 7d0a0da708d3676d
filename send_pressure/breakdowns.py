"""Breakdowns of an indicator (primary need, placement type, age ...): one authority's distribution against its
region, England and its statistical neighbours, as counts and as shares of the authority's total, over time.

Reads breakdown rows from the database (``observation`` rows whose ``breakdown_topic`` is not 'Total') and
the indicator's headline total; nothing here draws. A share is the category's count over the area's
published total for the same period, in percent; a withheld count or total keeps its marker and gets no
share (never zero). Neighbour figures are the median and range of the neighbours' own figures, as on every
page (:data:`send_pressure.compare.GROUP_METHOD`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import pandas as pd

from send_pressure import compare
from send_pressure.catalogue import Indicator, format_value, period_label
from send_pressure.queries import ENGLAND, OBS, Store

SHARES, COUNTS = "share", "count"


@dataclass(frozen=True)
class Topic:
    """One breakdown of one indicator: e.g. ('ehc_plans', 'Primary need'). ``key`` is its link parameter."""

    indicator_id: str
    topic: str

    @property
    def key(self) -> str:
        return f"{self.indicator_id}:{self.topic}"


@functools.lru_cache(maxsize=8)
def topics(store: Store) -> tuple[Topic, ...]:
    """Every (indicator, breakdown topic) the database holds breakdown rows for, in catalogue order."""
    found = store.query(
        "SELECT DISTINCT indicator_id, breakdown_topic FROM observation WHERE breakdown_topic <> 'Total'"
    )
    order = {iid: i for i, iid in enumerate(store.indicators)}
    pairs = sorted(
        zip(found.indicator_id, found.breakdown_topic, strict=True), key=lambda p: (order.get(p[0], 1e9), p[1])
    )
    return tuple(Topic(i, t) for i, t in pairs if i in store.indicators)


def _lower_first(text: str) -> str:
    """'Primary need' -> 'primary need'; an acronym ('EHC plans') is left as it is."""
    return text[0].lower() + text[1:] if text[1:2].islower() else text


def label(store: Store, topic: Topic) -> str:
    """'EHC plans (January) by primary need'."""
    return f"{store.indicators[topic.indicator_id].label} by {_lower_first(topic.topic)}"


def share_indicator(ind: Indicator) -> Indicator:
    """The share of an indicator's total in one category, as an indicator of its own (percent, comparable)."""
    return replace(
        ind,
        indicator_id=f"{ind.indicator_id}__share",
        label=f"Share of {_lower_first(ind.label)}",
        unit="percent",
        polarity="neutral",
        comparable=True,
        not_comparable_because=None,
        numerator_id=None,
        denominator_id=None,
    )


#: Columns of :func:`all_rows`.
COLUMNS = ["area_code", "breakdown", "time_period", "year", "count", "count_marker", "total", "value", "marker",
           "source_id"]  # fmt: skip


@functools.lru_cache(maxsize=64)
def all_rows(store: Store, topic: Topic) -> pd.DataFrame:
    """Every area's rows of one breakdown, each with its share of the area's total.

    Columns :data:`COLUMNS`: ``count`` and ``count_marker`` (as published), ``total`` (the area's headline
    figure that period), ``value`` (share in %, NaN when the count or the total is withheld or the total is
    not positive) and ``marker`` (the count's marker, else the total's, when there is no share). Categories in
    published order of size in England's latest period.
    """
    rows = store.query(
        f"SELECT {OBS} FROM observation WHERE indicator_id = ? AND breakdown_topic = ? ORDER BY year, breakdown",
        [topic.indicator_id, topic.topic],
    )
    totals = store.observations(topic.indicator_id)[["area_code", "time_period", "value", "marker"]]
    rows = rows.merge(totals, on=["area_code", "time_period"], how="left", suffixes=("", "_total"))
    ok = rows.value.notna() & (rows.value_total > 0)
    out = pd.DataFrame(
        {
            "area_code": rows.area_code,
            "breakdown": rows.breakdown,
            "time_period": rows.time_period,
            "year": rows.year,
            "count": rows.value,
            "count_marker": rows.marker,
            "total": rows.value_total,
            "value": (rows.value / rows.value_total * 100).where(ok),
            "marker": rows.marker.fillna(rows.marker_total).where(~ok, None),
            "source_id": rows.source_id,
        }
    )
    return out.reset_index(drop=True)


def categories(store: Store, topic: Topic) -> list[str]:
    """The topic's categories, largest first in England's latest period (then any others by name)."""
    rows = all_rows(store, topic)
    eng = rows[rows.area_code == ENGLAND]
    eng = eng[eng.year == eng.year.max()].sort_values("count", ascending=False)
    return list(dict.fromkeys([*eng.breakdown, *sorted(rows.breakdown.unique())]))


def periods(store: Store, topic: Topic) -> list[str]:
    """Periods with at least one published count, oldest first."""
    rows = all_rows(store, topic)
    return list(dict.fromkeys(rows[rows["count"].notna()].sort_values("year").time_period))


def benchmark_rows(store: Store, topic: Topic, la_code: str, measure: str = SHARES) -> pd.DataFrame:
    """The authority, its region, England and its neighbours' median (with ``low``/``high`` range and
    ``n_neighbours``) for every category and period of a breakdown.

    ``measure``: :data:`SHARES` (``value`` in %) or :data:`COUNTS` (``value`` the count as published).
    Columns: series, area_code (None on the neighbours' rows), breakdown, time_period, year, value, marker,
    low, high, n_neighbours, count, total, source_id. Every category keeps a row for every series and period
    the breakdown is published in, with a marker or no figure, so gaps are said, never drawn as zero.
    """
    rows = all_rows(store, topic)
    if measure == COUNTS:
        rows = rows.assign(value=rows["count"], marker=rows.count_marker)
    la = store.local_authorities.set_index("new_la_code")
    areas = {la_code: la.at[la_code, "la_name"], la.at[la_code, "region_code"]: la.at[la_code, "region_name"],
             ENGLAND: "England"}  # fmt: skip
    own = rows[rows.area_code.isin(areas)].assign(series=lambda d: d.area_code.map(areas))
    nb = rows[rows.area_code.isin(store.neighbours(la_code).neighbour_code)]
    g = nb.groupby(["breakdown", "time_period", "year"], as_index=False).agg(
        value=("value", "median"), low=("value", "min"), high=("value", "max"), n_neighbours=("value", "count"),
        source_id=("source_id", "last"),
    )  # fmt: skip
    g = g.assign(series=compare.NEIGHBOURS, area_code=None, marker=None)
    g["value"] = g.value.where(g.n_neighbours > 0)
    out = pd.concat([own, g], ignore_index=True)
    # A full grid: every series x category x period, so a missing row reads 'not published'.
    grid = pd.MultiIndex.from_product(
        [[*areas.values(), compare.NEIGHBOURS], categories(store, topic), periods(store, topic)],
        names=["series", "breakdown", "time_period"],
    ).to_frame(index=False)
    year_of = dict(zip(rows.time_period, rows.year, strict=False))
    out = grid.merge(out.drop(columns=["year"]), on=["series", "breakdown", "time_period"], how="left")
    out["year"] = out.time_period.map(year_of)
    order = {s: i for i, s in enumerate([*areas.values(), compare.NEIGHBOURS])}
    cats = {c: i for i, c in enumerate(categories(store, topic))}
    out = out.sort_values(["year", "breakdown", "series"], key=lambda c: c.map(cats) if c.name == "breakdown"
                          else c.map(order) if c.name == "series" else c)  # fmt: skip
    cols = ["series", "area_code", "breakdown", "time_period", "year", "value", "marker", "low", "high",
            "n_neighbours", "count", "total", "source_id"]  # fmt: skip
    return out[cols].reset_index(drop=True)


def figure(value, marker, unit: str) -> str:
    """A figure as published: the marker when withheld, "not published" when absent; a share that rounds to
    0.0% but is not nil reads '<0.1%', so it never looks like zero."""
    if unit == "percent" and pd.notna(value) and 0 < value < 0.05:
        return "<0.1%"
    return format_value(value, marker if isinstance(marker, str) else None, unit)


def distribution_table(rows: pd.DataFrame, la_name: str, measure: str) -> pd.DataFrame:
    """One period of :func:`benchmark_rows` as one line per category: the authority's count and share,
    its region's and England's share (or count), and the neighbours' median (range), as published."""
    unit = "percent" if measure == SHARES else "count"
    out = []
    for cat, g in rows.groupby("breakdown", sort=False):
        by = g.set_index("series")
        own = by.loc[la_name]
        line = {"Category": cat, f"{la_name}: number": figure(own["count"], own.marker, "count")}
        if measure == SHARES:
            line[f"{la_name}: share"] = figure(own.value, own.marker, unit)
        for series in by.index:
            if series == la_name:
                continue
            r = by.loc[series]
            if series == compare.NEIGHBOURS:
                spread = (
                    f" (range {figure(r.low, None, unit)} to {figure(r.high, None, unit)})"
                    if pd.notna(r.value) and r.n_neighbours > 1
                    else ""
                )
                line[f"{series}"] = figure(r.value, None, unit) + spread
            else:
                line[series] = figure(r.value, r.marker, unit)
        out.append(line)
    return pd.DataFrame(out)


def history_table(rows: pd.DataFrame, la_name: str, measure: str) -> pd.DataFrame:
    """The authority's figure for every category (rows) in every period (columns), as published."""
    unit = "percent" if measure == SHARES else "count"
    own = rows[rows.series == la_name]
    own = own.assign(figure=[figure(v, m, unit) for v, m in zip(own.value, own.marker, strict=True)],
                     period=own.time_period.map(period_label))  # fmt: skip
    order = list(dict.fromkeys(own.sort_values("year").period))
    wide = own.pivot_table(index="breakdown", columns="period", values="figure", aggfunc="first", sort=False)
    return wide.reindex(columns=order).fillna("").rename_axis("Category").rename_axis(None, axis=1)
