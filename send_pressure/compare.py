"""Comparisons: polarity-aware ranks, quartile bands, and region / England / neighbour benchmarks.

All functions take frames from :class:`send_pressure.queries.Store` and return new
frames; nothing here queries the database.
"""

from __future__ import annotations

import pandas as pd

from etl.aggregates import nil_as_zero
from send_pressure import narrative
from send_pressure.catalogue import (
    UNRANKED,
    Indicator,
    format_change,
    format_value,
    has_value,
    lower_first,
    percent_indicator,
    period_label,
)
from send_pressure.charts import choropleth, simplify_boundaries
from send_pressure.queries import ENGLAND, Store
from send_pressure.ranking import QUARTILE_BANDS, rank_authorities  # noqa: F401  (part of this module's API)
from send_pressure.uncertainty import has_interval, intervals, small_number_note


def growth_indicator(ind: Indicator) -> Indicator:
    """The percentage change of a size count, as an indicator of its own (comparable, neutral, in %)."""
    label = f"Change in {lower_first(ind.label)} on the previous period"
    return percent_indicator(ind, f"{ind.indicator_id}__change", label, "rate")


def growth_snapshot(store: Store, indicator_id: str, time_period: str) -> pd.DataFrame:
    """Each LA's percentage change in one indicator from the period before ``time_period`` to it.

    Columns: area_code, area_name, value (% change; NaN when either figure is missing or the earlier one
    is 0), marker (the marker of whichever figure is missing, else None), latest, previous (the figures),
    time_period, previous_period, year, source_id. Empty when ``time_period`` is the first period.
    """
    periods = store.periods(indicator_id)
    if time_period not in periods or periods.index(time_period) == 0:
        return pd.DataFrame(
            columns=["area_code", "area_name", "value", "marker", "latest", "previous", "time_period",
                     "previous_period", "year", "source_id"]
        )  # fmt: skip
    prev = periods[periods.index(time_period) - 1]
    now = store.snapshot(indicator_id, time_period)
    before = store.snapshot(indicator_id, prev)[["area_code", "value", "marker"]]
    m = now.merge(before, on="area_code", how="left", suffixes=("", "_prev"))
    ok = m.value.notna() & (m.value_prev > 0)
    out = m.assign(
        latest=m.value,
        previous=m.value_prev,
        value=(m.value / m.value_prev - 1).where(ok) * 100,
        marker=m.marker.fillna(m.marker_prev).where(~ok, None),
        previous_period=prev,
    )
    return out[["area_code", "area_name", "value", "marker", "latest", "previous", "time_period", "previous_period",
                "year", "source_id"]].reset_index(drop=True)  # fmt: skip


#: The statistic a neighbour-group figure is, named wherever it is shown.
GROUP_STATISTIC = "median"
GROUP_METHOD = "median of the neighbours' own figures (range: lowest to highest)"
POOLED_METHOD = "pooled: the neighbours' summed numerators over their summed denominators"


def group_series(store: Store, indicator: Indicator, codes: list[str]) -> pd.DataFrame:
    """One summary per period of a group of LAs' own figures (e.g. statistical neighbours).

    Returns columns time_period, year, value (the median of the LAs with a figure), low and high (their
    range), n (LAs with a figure), pooled (for rates: sum(numerator) / sum(denominator) over the LAs
    that published both, '-' counting as nil; NaN otherwise) and method (:data:`GROUP_METHOD`).
    The median is the default summary: a pooled rate is dominated by the largest members.
    """
    own = store.observations(indicator.indicator_id)
    period_of = dict(zip(own.year, own.time_period, strict=False))
    part = own[own.area_code.isin(codes)]
    g = part.groupby("year", as_index=False).agg(
        value=("value", "median"), low=("value", "min"), high=("value", "max"), n=("value", "count")
    )
    g["pooled"] = float("nan")
    if indicator.numerator_id:
        # '-' is nil: zero in the group's sums (as the build does for regions).
        num = store.series(indicator.numerator_id, codes).assign(value=nil_as_zero)[["area_code", "year", "value"]]
        den = store.series(indicator.denominator_id, codes).assign(value=nil_as_zero)[["area_code", "year", "value"]]
        m = num.merge(den, on=["area_code", "year"], suffixes=("", "_den")).dropna()
        m = m[m.value_den > 0]
        sums = m.groupby("year")[["value", "value_den"]].sum()
        g["pooled"] = g.year.map(sums.value / sums.value_den * indicator.scale)
    g = g[g.year.isin(period_of) & (g.n > 0)].copy()
    g["time_period"] = g.year.map(period_of)
    g["method"] = GROUP_METHOD
    return g[["time_period", "year", "value", "low", "high", "n", "pooled", "method"]].reset_index(drop=True)


def neighbour_figures(store: Store, indicator_id: str, la_code: str) -> pd.DataFrame:
    """Each statistical neighbour's own figures for one indicator, every period.

    Columns: as :meth:`Store.observations` (area_code, area_name, time_period, year, value, marker,
    source_id ...) plus ``closeness_rank`` (1 = closest) and ``closeness``; ordered by year, then closeness.
    """
    nb = store.neighbours(la_code)[["neighbour_code", "rank", "closeness"]]
    rows = store.series(indicator_id, nb.neighbour_code.tolist())
    rows = rows.merge(nb, left_on="area_code", right_on="neighbour_code").drop(columns="neighbour_code")
    return rows.rename(columns={"rank": "closeness_rank"}).sort_values(["year", "closeness_rank"], ignore_index=True)


def group_summary_text(row, unit: str, of: int) -> str:
    """'median 35.5% (range 3.2% to 85.1%; 10 of 10 neighbours)' for one :func:`group_series` row
    (``row`` None or without figures: 'not published')."""
    if row is None or not has_value(row.value):
        return "not published"
    f = lambda v: format_value(v, None, unit)  # noqa: E731
    spread = f"range {f(row.low)} to {f(row.high)}; " if row.n > 1 else ""
    return f"{GROUP_STATISTIC} {f(row.value)} ({spread}{int(row.n)} of {of} neighbours)"


#: The role of each series of a benchmark frame (column ``role``): the chosen LA, its region, England, the
#: statistical neighbours' median, and each neighbour's own figures. Pages, charts and briefings pick series
#: by role, never by display name.
ROLES = ("la", "region", "england", "neighbours", "neighbour")


def benchmarks(store: Store, indicator_id: str, la_code: str) -> pd.DataFrame:
    """Series of an LA beside its region, England, its statistical neighbours' median and each neighbour.

    Returns long rows: area_code (None on the median rows), role (:data:`ROLES`), series (the display name:
    the LA's name, its region's name, 'England', :data:`NEIGHBOURS`, or a neighbour's name), time_period, year,
    value, marker, source_id, low / high (the neighbours' range, on the median rows) and n_neighbours (how many
    of the neighbours had data; NaN for the other series). The median is :func:`group_series`'s. Series stay in
    order: LA, region, England, neighbours' median, then each neighbour by closeness, within each year.
    Memoised on the store: filter the frame, never modify it in place.
    """
    return benchmarks_many(store, (indicator_id,), la_code)[indicator_id]


#: Columns of :func:`benchmarks`, in order.
BENCHMARK_COLUMNS = ["area_code", "role", "series", "time_period", "year", "value", "marker", "source_id", "low",
                     "high", "n_neighbours"]  # fmt: skip


def benchmarks_many(store: Store, indicator_ids: tuple[str, ...], la_code: str) -> dict[str, pd.DataFrame]:
    """:func:`benchmarks` of several indicators, keyed by id: the first that is not memoised yet computes them
    all at once (their observations read in one query, :meth:`Store.observations_many`), and each is memoised
    as :func:`benchmarks` would. A page comparing many indicators for one LA pays one pass, not one each."""
    batch: dict[str, pd.DataFrame] = {}

    def one(iid: str) -> pd.DataFrame:
        if not batch:
            batch.update(_benchmarks_many(store, tuple(dict.fromkeys(indicator_ids)), la_code))
        return batch[iid]

    return {i: store.memo(("benchmarks", i, la_code), lambda i=i: one(i)) for i in indicator_ids}


def _benchmarks_many(store: Store, indicator_ids: tuple[str, ...], la_code: str) -> dict[str, pd.DataFrame]:
    obs = pd.concat(store.observations_many(list(indicator_ids)).values(), ignore_index=True)
    return benchmark_frames(store, obs, indicator_ids, la_code)


def benchmark_frames(store: Store, obs: pd.DataFrame, ids: tuple[str, ...], la_code: str) -> dict[str, pd.DataFrame]:
    """The :func:`benchmarks` frame of each of ``ids`` from their headline rows ``obs`` (long: indicator_id,
    area_code, area_name, time_period, year, value, marker, source_id, ordered by year and period; at least the
    rows of the LA, its region, England and its neighbours). Also for published columns of the releases
    (``send_pressure.measures``), so both are compared alike. An id without rows gets an empty frame."""
    la = store.local_authorities.set_index("new_la_code")
    region = la.at[la_code, "region_code"]
    roles = {la_code: "la", region: "region", ENGLAND: "england"}
    names = {la_code: la.at[la_code, "la_name"], region: la.at[la_code, "region_name"], ENGLAND: "England"}
    # area_code travels with each row, so tables and CSVs can put data-quality flags beside the figure.
    cols = ["indicator_id", "area_code", "time_period", "year", "value", "marker", "source_id"]
    own = obs[obs.area_code.isin(roles)]
    own = own.sort_values("area_code", key=lambda c: c.map(list(roles).index), kind="stable")[cols]
    parts = [own.assign(role=own.area_code.map(roles), series=own.area_code.map(names))]
    closeness = dict(zip(*store.neighbours(la_code)[["neighbour_code", "rank"]].T.values, strict=True))
    if closeness:
        each = obs[obs.area_code.isin(closeness)]
        # The median of the neighbours' own figures per year (as group_series), labelled with the period and
        # release that published the indicator in that year.
        g = each.groupby(["indicator_id", "year"], as_index=False, sort=False).agg(
            value=("value", "median"), low=("value", "min"), high=("value", "max"), n_neighbours=("value", "count")
        )
        last = obs.drop_duplicates(["indicator_id", "year"], keep="last")[["indicator_id", "year", "time_period",
                                                                           "source_id"]]  # fmt: skip
        g = g[g.n_neighbours > 0].merge(last, on=["indicator_id", "year"], how="left")
        parts.append(g.assign(area_code=None, role="neighbours", series=NEIGHBOURS, marker=None))
        each = each.assign(closeness=each.area_code.map(closeness)).sort_values(["year", "closeness"], kind="stable")
        parts.append(each[[*cols, "area_name"]].rename(columns={"area_name": "series"}).assign(role="neighbour"))
    rows = pd.concat(parts, ignore_index=True)
    out = {
        iid: part.sort_values("year", kind="stable").reindex(columns=BENCHMARK_COLUMNS).reset_index(drop=True)
        for iid, part in rows.groupby("indicator_id", sort=False)
    }
    return {iid: out.get(iid, pd.DataFrame(columns=BENCHMARK_COLUMNS)) for iid in ids}


NEIGHBOURS = f"Statistical neighbours ({GROUP_STATISTIC})"


def region_series(store: Store, ind: Indicator, region_code: str) -> pd.DataFrame:
    """A region's figures for one indicator: time_period, year, value, marker, source_id.

    As stored: published where the source has regional rows, otherwise computed by the build from the
    region's LAs (``etl/aggregates.py``, explained in ``data_note``), so every reader gets the same figure.
    """
    obs = store.observations(ind.indicator_id)
    return obs[obs.area_code == region_code][["time_period", "year", "value", "marker", "source_id"]]


def change(series: pd.DataFrame) -> tuple[pd.Series | None, pd.Series | None]:
    """Latest and previous rows of one area's series (ordered by year); None where absent."""
    s = series.sort_values("year")
    latest = s.iloc[-1] if len(s) else None
    previous = s.iloc[-2] if len(s) > 1 else None
    return latest, previous


def biggest_changes(store: Store, indicator_id: str, n: int = 10) -> pd.DataFrame:
    """The n LAs with the largest absolute change between the two latest periods.

    Columns: area_code, area_name, previous, latest, change, previous_period, latest_period.
    LAs with a marker in either period are left out.
    """
    periods = store.periods(indicator_id)
    if len(periods) < 2:
        return pd.DataFrame()
    prev, last = periods[-2], periods[-1]
    a = store.snapshot(indicator_id, prev)[["area_code", "area_name", "value"]].rename(columns={"value": "previous"})
    b = store.snapshot(indicator_id, last)[["area_code", "value"]].rename(columns={"value": "latest"})
    m = a.merge(b, on="area_code").dropna(subset=["previous", "latest"])
    m = m[~m.area_code.isin(UNRANKED)]
    m["change"] = m.latest - m.previous
    m["previous_period"], m["latest_period"] = prev, last
    return m.reindex(m.change.abs().sort_values(ascending=False).index).head(n).reset_index(drop=True)


INDEXED_COLUMNS = [
    *("area_code", "area_name", "indicator_id", "series", "time_period", "year", "value", "raw_value"),
    *("marker", "source_id", "published_period", "base_period"),
]


def indexed_growth(store: Store, area_codes: list[str], indicator_ids: tuple[str, ...]) -> pd.DataFrame:
    """Each indicator for each area indexed to 100 in the first year all of them have a figure.

    Years are matched on ``year`` (the calendar year a period ends in), so financial
    year 2019-20 meets the January 2020 EHC plan count. Periods are relabelled with
    the first indicator's period (e.g. '2019-20'); the published one is kept in
    ``published_period``. Returns long rows: area_code, area_name, indicator_id,
    series ('Kent: High needs block allocation'), time_period, year, value (index),
    raw_value, marker, source_id, published_period, base_period. Empty when there is
    no common year.
    """
    frames = []
    for iid in indicator_ids:
        s = store.series(iid, area_codes)
        frames.append(s[s.value.notna()].assign(indicator_id=iid))
    data = pd.concat(frames, ignore_index=True)
    need = len(area_codes) * len(indicator_ids)
    counts = data.groupby("year")[["area_code", "indicator_id"]].apply(lambda g: len(g.drop_duplicates()))
    common = sorted(counts[counts == need].index)
    if not common:
        return pd.DataFrame(columns=INDEXED_COLUMNS)
    base_year = common[0]
    data = data[data.year >= base_year].copy()
    base = data[data.year == base_year].set_index(["area_code", "indicator_id"]).value
    data["raw_value"] = data.value
    keys = zip(data.value, data.area_code, data.indicator_id, strict=True)
    data["value"] = [v / base[(a, i)] * 100 for v, a, i in keys]
    first = store.observations(indicator_ids[0])
    label_of = dict(zip(first.year, first.time_period, strict=False))
    data["published_period"] = data.time_period
    data["time_period"] = data.year.map(label_of).fillna(data.time_period)
    data = data[data.year.isin(label_of)]
    inds = store.indicators
    data["series"] = [f"{n}: {inds[i].label}" for n, i in zip(data.area_name, data.indicator_id, strict=True)]
    data["base_period"] = label_of.get(base_year, str(base_year))
    return data[INDEXED_COLUMNS].sort_values(["series", "year"]).reset_index(drop=True)


def map_coverage(snapshot: pd.DataFrame, boundaries: pd.DataFrame) -> dict[str, list[str]]:
    """Check one period's LA rows against the map shapes.

    Returns lists of area names: 'no_shape' (a figure whose code matches no shape,
    e.g. a former authority), 'several_shapes' (a code matching more than one shape)
    and 'no_figure' (shapes whose LA has no figure: suppressed or not published).
    """
    counts = boundaries.new_la_code.value_counts()
    has = snapshot[snapshot.value.notna()]
    name = dict(zip(snapshot.area_code, snapshot.area_name, strict=False))
    name.update(zip(boundaries.new_la_code, boundaries.name, strict=False))
    return {
        "no_shape": sorted(name[c] for c in set(snapshot.area_code) - set(counts.index)),
        "several_shapes": sorted(name[c] for c in set(snapshot.area_code) if counts.get(c, 0) > 1),
        "no_figure": sorted(name[c] for c in set(boundaries.new_la_code) - set(has.area_code)),
    }


def map_boundaries(store: Store) -> pd.DataFrame:
    """The authorities' shapes as the maps draw them (``charts.simplify_boundaries`` of ``store.boundaries``:
    new_la_code, name, geometry), simplified once per database (memoised on the store)."""
    return store.memo(("map boundaries",), lambda: simplify_boundaries(store.boundaries))


def map_figure(store: Store, indicator_id: str, time_period: str, title: str, regional: bool = False):
    """The choropleth of one indicator and period, built once per database (memoised on the store).

    ``regional``: every LA shaded with its region's figure (:func:`region_snapshot`; a size count's change).
    Building the figure (plotly validates ~570 kB of GeoJSON) is most of the cost of the map.
    """

    def build():
        ind = store.indicators[indicator_id]
        if regional:
            shown = ind if ind.comparable else growth_indicator(ind)
            return choropleth(region_snapshot(store, ind, time_period), map_boundaries(store), shown, title)
        return choropleth(store.snapshot(indicator_id, time_period), map_boundaries(store), ind, title)

    return store.memo(("map", indicator_id, time_period, title, regional), build)


def pair_rows(store: Store, x_id: str, y_id: str) -> pd.DataFrame:
    """Latest-period LA rows of two indicators, long, for a scatter's data table.

    Columns: area_code, area_name, indicator_id, series (indicator label), time_period,
    year, number (raw figure), marker, figure (formatted in the indicator's own unit),
    source_id. There is deliberately no ``value`` column, so a table formats each
    indicator in its own unit.
    """
    rows = []
    for iid in dict.fromkeys((x_id, y_id)):
        period = store.latest_period(iid)
        if period is None:
            continue
        snap = store.snapshot(iid, period)
        ind = store.indicators[iid]
        figures = [format_value(v, m, ind.unit) for v, m in zip(snap.value, snap.marker, strict=True)]
        rows.append(snap.assign(series=ind.label, number=snap.value, figure=figures))
    if not rows:
        return pd.DataFrame()
    out = pd.concat(rows, ignore_index=True)
    cols = [
        "area_code",
        "area_name",
        "indicator_id",
        "series",
        "time_period",
        "year",
        "number",
        "marker",
        "figure",
        "source_id",
    ]
    return out[cols].sort_values(["area_name", "series"]).reset_index(drop=True)


def ranking_table(
    ranked: pd.DataFrame, authorities: pd.DataFrame, indicator: Indicator, store: Store | None = None
) -> pd.DataFrame:
    """A sortable table of :func:`rank_authorities` output: Local authority, Code, Region, Value (number),
    Figure (as published, marker kept), Rank, Ranked of, Quartile, and from ``store`` (empty without one)
    Denominator, 95% interval, Compared with England and Small number (percentages with a published
    denominator) and Data quality (flags and footnotes); ordered by rank, unranked last."""
    ci = None
    if store is not None and has_interval(indicator) and len(ranked):
        ci = intervals(store, indicator, ranked.time_period.iloc[0]).set_index("area_code")
    flags = store.flag_text if store is not None else (lambda *_: "")
    notes = store.marker_note if store is not None else (lambda *_: "")
    region = dict(zip(authorities.new_la_code, authorities.region_name, strict=True))
    out = pd.DataFrame(
        {
            "Local authority": ranked.area_name,
            "Code": ranked.area_code,
            "Region": ranked.area_code.map(region),
            "Value": ranked.value,
            "Figure": [format_value(v, m, indicator.unit) for v, m in zip(ranked.value, ranked.marker, strict=True)],
            "Rank": ranked["rank"],
            "Ranked of": ranked.ranked_of,
            "Quartile": ranked.quartile,
            "Denominator": ranked.area_code.map(ci.denominator) if ci is not None else None,
            "95% interval": ranked.area_code.map(ci.interval) if ci is not None else None,
            "Compared with England": ranked.area_code.map(ci.vs_england) if ci is not None else None,
            "Small number": ranked.area_code.map(ci.denominator).map(small_number_note) if ci is not None else None,
            "Data quality": [
                " ".join(t for t in (flags(indicator.indicator_id, a, p), notes(indicator.indicator_id, a, p)) if t)
                for a, p in zip(ranked.area_code, ranked.time_period, strict=True)
            ],
        }
    )
    return out.sort_values(["Rank", "Local authority"], na_position="last").reset_index(drop=True)


def long_run_growth(store: Store, area_code: str, indicator_id: str) -> str | None:
    """A sentence on growth since the first January with EHC plans, read from the long series.

    E.g. 'Counting statements of SEN and EHC plans together, England went from 240,183 in January 2015 to
    638,745 in January 2025 (2.7 times as many).' Uses the indicator's ``long_series_id`` (statements and plans
    together), so the transfer from statements does not read as growth. None when the indicator has no long
    series or the area lacks either figure.
    """
    long_id = store.indicators[indicator_id].long_series_id
    if long_id is None or long_id not in store.indicators:
        return None
    plans = store.series(indicator_id, [ENGLAND])
    started = plans[plans.value > 0]
    s = store.series(long_id, [area_code]).dropna(subset=["value"])
    if started.empty or s.empty:
        return None
    first, last = s[s.year == started.year.min()], s[s.year == s.year.max()]
    if first.empty or first.value.iloc[0] <= 0 or last.year.iloc[0] <= first.year.iloc[0]:
        return None
    v0, v1 = first.value.iloc[0], last.value.iloc[0]
    return narrative.long_run_sentence(
        store.area_name(area_code),
        (format_value(v0, None, "count"), f"January {first.year.iloc[0]}"),
        (format_value(v1, None, "count"), f"January {last.year.iloc[0]}"),
        v1 / v0,
    )


def change_table(growth: pd.DataFrame, authorities: pd.DataFrame, indicator: Indicator) -> pd.DataFrame:
    """A table of :func:`growth_snapshot` output for a size count: Local authority, Code, Region, the two
    figures (headed by their periods), Change (formatted) and Value (% change, number); no rank, by name."""
    region = dict(zip(authorities.new_la_code, authorities.region_name, strict=True))
    prev, now = period_label(growth.previous_period.iloc[0]), period_label(growth.time_period.iloc[0])
    fmt = lambda vs: [format_value(v, None, indicator.unit) for v in vs]  # noqa: E731
    out = pd.DataFrame(
        {
            "Local authority": growth.area_name,
            "Code": growth.area_code,
            "Region": growth.area_code.map(region),
            prev: fmt(growth.previous),
            now: fmt(growth.latest),
            "Change": [
                format_change(b - a, indicator.unit) for a, b in zip(growth.previous, growth.latest, strict=True)
            ],
            "Value": growth.value.round(1),
        }
    ).rename(columns={"Value": "% change"})
    return out.sort_values("Local authority").reset_index(drop=True)


def region_snapshot(store: Store, ind: Indicator, time_period: str) -> pd.DataFrame:
    """Every current LA shaded with its region's figure for one period: a regional view on the LA map.

    For an indicator that is not ``comparable`` (a size count) the figure is the region's percentage change
    from the previous period instead. Columns: area_code (the LA), area_name, region_code, region_name,
    time_period, year, value, marker, source_id. Empty when no region has a row for the period.
    """
    regions = store.regions.region_code.tolist()
    obs = store.observations(ind.indicator_id)
    now = obs[obs.area_code.isin(regions) & (obs.time_period == time_period)]
    if now.empty:
        return pd.DataFrame(
            columns=["area_code", "area_name", "region_code", "region_name", "time_period", "year", "value",
                     "marker", "source_id"]
        )  # fmt: skip
    now = now[["area_code", "time_period", "year", "value", "marker", "source_id"]].rename(
        columns={"area_code": "region_code"}
    )
    if not ind.comparable:
        periods = store.periods(ind.indicator_id)
        i = periods.index(time_period) if time_period in periods else 0
        before = obs[obs.area_code.isin(regions) & (obs.time_period == periods[i - 1])] if i > 0 else obs.iloc[0:0]
        prev = now.region_code.map(before.set_index("area_code").value)
        now = now.assign(value=(now.value / prev - 1) * 100)
        now["marker"] = now.marker.where(now.value.isna(), None)
    la = store.current_authorities[["new_la_code", "la_name", "region_code", "region_name"]]
    out = la.merge(now, on="region_code", how="left")
    return out.rename(columns={"new_la_code": "area_code", "la_name": "area_name"}).reset_index(drop=True)
