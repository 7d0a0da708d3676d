"""Breakdowns of a figure (primary need, placement type, age, reason a plan ceased ...): one authority's
distribution against its region, England and its statistical neighbours, as counts and as shares of the
authority's total, over time.

Two kinds, both read from the published columns of the EHC plans releases (``breakdown_value`` through
:meth:`send_pressure.queries.Store.breakdown_rows`):

* a **row breakdown**: one count column's rows by a published breakdown topic (age, sex, ethnicity, placement,
  years held ...), e.g. the caseload by age; the total is the same column's 'Total' row;
* a **column group** (:data:`BREAKDOWN_GROUPS`): columns of one file that split its total, e.g. the caseload's
  placement columns or the ceased plans' reasons.

A share is the category's count over the area's published total for the same period, in percent; a withheld
count or total keeps its marker and gets no share (never zero). Neighbour figures are the median and range of
the neighbours' own figures, as on every page (:data:`send_pressure.compare.GROUP_METHOD`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from etl.catalogue import BREAKDOWN_GROUPS
from send_pressure import compare
from send_pressure.catalogue import Indicator, format_value, lower_first, percent_indicator, period_label
from send_pressure.queries import ENGLAND, Store

SHARES, COUNTS = "share", "count"
#: A row label that sums others beside it ('Mainstream - total').
SUBTOTAL = re.compile(r"\btotal\b", re.IGNORECASE)


@dataclass(frozen=True)
class Topic:
    """One breakdown the explorer offers: ``key`` (its link parameter), ``figure`` (the indicator or measure
    broken down), ``title`` ('placement type', 'Sex'), ``total`` (the measure holding the total) and either
    ``parts`` (a column group) or ``row_topic`` (a published breakdown topic of ``total``'s rows)."""

    key: str
    figure: str
    title: str
    total: str
    parts: tuple[str, ...] = ()
    row_topic: str | None = None


def topics(store: Store) -> tuple[Topic, ...]:
    """Every breakdown the database holds: the :data:`BREAKDOWN_GROUPS` whose columns are loaded, then every
    published breakdown topic of each count column that feeds a headline indicator; in catalogue order
    (memoised on the store)."""
    return store.memo(("breakdown topics",), lambda: _topics(store))


def _topics(store: Store) -> tuple[Topic, ...]:
    m = store.measures.set_index("measure_id")
    out = []
    for g in BREAKDOWN_GROUPS:
        parts = tuple(p for p in g.parts if p in m.index)
        if g.total in m.index and parts and g.figure in store.indicators:
            out.append(Topic(g.key, g.figure, g.title, g.total, parts))
    feeds = m[m.indicator_id.notna() & (m.unit == "count")]
    for mid, iid in zip(feeds.index, feeds.indicator_id, strict=True):
        if iid not in store.indicators:
            continue
        for t in store.breakdown_topics(mid):
            if t != "Total":
                out.append(Topic(f"{mid}|{t}", iid, t, mid, row_topic=t))
    order = {iid: i for i, iid in enumerate(store.indicators)}
    return tuple(sorted(out, key=lambda t: order.get(t.figure, len(order))))


def figures(store: Store) -> list[str]:
    """Indicator ids with at least one breakdown, in catalogue order."""
    return list(dict.fromkeys(t.figure for t in topics(store)))


def label(store: Store, topic: Topic) -> str:
    """'EHC plans (January) by placement type'; a row breakdown names its file when one figure is published in
    several ('EHC plans (January) by sex (caseload)')."""
    same = [t for t in topics(store) if t.figure == topic.figure and t.title == topic.title]
    where = f" ({topic.total.split('.')[0].replace('_', ' ')})" if len(same) > 1 else ""
    return f"{store.indicators[topic.figure].label} by {lower_first(topic.title)}{where}"


def share_indicator(ind: Indicator) -> Indicator:
    """The share of an indicator's total in one category, as an indicator of its own (percent, comparable)."""
    return percent_indicator(ind, f"{ind.indicator_id}__share", f"Share of {lower_first(ind.label)}", "share")


#: Columns of :func:`area_rows`.
COLUMNS = ["area_code", "breakdown", "time_period", "year", "count", "count_marker", "total", "value", "marker",
           "source_id"]  # fmt: skip


def area_rows(store: Store, topic: Topic, area_codes: tuple[str, ...]) -> pd.DataFrame:
    """Some areas' rows of one breakdown, each with its share of the area's total.

    Columns :data:`COLUMNS`: ``breakdown`` (the category: a column's data-guidance label, or the published
    row label), ``count`` and ``count_marker`` (as published), ``total`` (the area's total that period),
    ``value`` (share in %, NaN when the count or the total is withheld or the total is not positive) and
    ``marker`` (the count's marker, else the total's, when there is no share).
    """
    codes = list(area_codes)
    if topic.parts:
        rows = store.breakdown_rows([topic.total, *topic.parts], area_codes=codes, topic="Total")
        totals, parts = rows[rows.measure_id == topic.total], rows[rows.measure_id != topic.total]
        parts = parts.assign(breakdown=parts.label.map(category_name))
    else:
        rows = store.breakdown_rows([topic.total], area_codes=codes)
        totals, parts = rows[rows.breakdown_topic == "Total"], rows[rows.breakdown_topic == topic.row_topic]
    totals = totals[["area_code", "time_period", "value", "marker"]]
    m = parts.merge(totals, on=["area_code", "time_period"], how="left", suffixes=("", "_total"))
    ok = m.value.notna() & (m.value_total > 0)
    out = pd.DataFrame(
        {
            "area_code": m.area_code,
            "breakdown": m.breakdown,
            "time_period": m.time_period,
            "year": m.year,
            "count": m.value,
            "count_marker": m.marker,
            "total": m.value_total,
            "value": (m.value / m.value_total * 100).where(ok),
            "marker": m.marker.fillna(m.marker_total).where(~ok, None),
            "source_id": m.source_id,
        }
    )
    return out.reset_index(drop=True)


def category_name(label: str) -> str:
    """A column's data-guidance label as a category: 'Number moved to paid employment' -> 'Moved to paid
    employment', 'Number where maximum age reached' -> 'Maximum age reached', 'Total special schools' ->
    'Special schools'."""
    short = re.sub(r"^(Number (where |of |with )?|Total )", "", label).strip()
    return short[:1].upper() + short[1:] if short else label


def _first_number(text: str) -> float:
    """The first number in a label, just below it for 'under N' (so 'under 3' sorts before 'Age 3'); -1 if none."""
    found = re.search(r"\d+", text)
    if not found:
        return -1.0
    return float(found.group()) - (0.5 if text.lower().startswith("under") else 0)


def categories(rows: pd.DataFrame, topic: Topic, store: Store) -> list[str]:
    """The categories of :func:`area_rows` in the order shown: a column group's declared order; ages and years
    in number order ('under 3' first); anything else largest first in England's latest period. Sub-totals
    published beside their parts ('Mainstream - total') are left out, so no plan is drawn twice."""
    if topic.parts:
        labels = store.measures.set_index("measure_id").label.map(category_name)
        return [labels[p] for p in topic.parts if labels[p] in set(rows.breakdown)]
    names = sorted(n for n in rows.breakdown.unique() if not SUBTOTAL.search(n))
    numbered = [n for n in names if _first_number(n) >= 0]
    if len(numbered) > len(names) / 2:
        return sorted(names, key=lambda n: (_first_number(n), n))
    eng = rows[rows.area_code == ENGLAND]
    eng = eng[eng.year == eng.year.max()].sort_values("count", ascending=False)
    return list(dict.fromkeys([*(n for n in eng.breakdown if n in names), *names]))


def periods(rows: pd.DataFrame) -> list[str]:
    """Periods with at least one published count in :func:`area_rows`, oldest first."""
    return list(dict.fromkeys(rows[rows["count"].notna()].sort_values("year").time_period))


def benchmark_rows(store: Store, topic: Topic, la_code: str, measure: str = SHARES) -> pd.DataFrame:
    """The authority, its region, England and its neighbours' median (with ``low``/``high`` range and
    ``n_neighbours``) for every category and period of a breakdown.

    ``measure``: :data:`SHARES` (``value`` in %) or :data:`COUNTS` (``value`` the count as published).
    Columns: role ('la', 'region', 'england', 'neighbours': ``send_pressure.compare.ROLES``), series (its
    display name), area_code (None on the neighbours' rows), breakdown, time_period, year, value, marker, low,
    high, n_neighbours, count, total, source_id; categories in :func:`categories` order. Every category keeps a
    row for every role and period the breakdown is published in, with a marker or no figure, so gaps are said,
    never drawn as zero.
    """
    la = store.local_authorities.set_index("new_la_code")
    region = la.at[la_code, "region_code"]
    roles = {la_code: "la", region: "region", ENGLAND: "england"}
    names = {"la": la.at[la_code, "la_name"], "region": la.at[la_code, "region_name"], "england": "England",
             "neighbours": compare.NEIGHBOURS}  # fmt: skip
    neighbours = tuple(store.neighbours(la_code).neighbour_code)
    rows = area_rows(store, topic, (*roles, *neighbours))
    if measure == COUNTS:
        rows = rows.assign(value=rows["count"], marker=rows.count_marker)
    own = rows[rows.area_code.isin(roles)].assign(role=lambda d: d.area_code.map(roles))
    nb = rows[rows.area_code.isin(neighbours)]
    g = nb.groupby(["breakdown", "time_period"], as_index=False).agg(
        value=("value", "median"), low=("value", "min"), high=("value", "max"), n_neighbours=("value", "count"),
        source_id=("source_id", "last"),
    )  # fmt: skip
    g = g.assign(role="neighbours", area_code=None, marker=None)
    g["value"] = g.value.where(g.n_neighbours > 0)
    out = pd.concat([own.drop(columns=["year"]), g], ignore_index=True)
    # A full grid: every role x category x period, so a missing row reads 'not published'.
    cats = categories(rows, topic, store)
    grid = pd.MultiIndex.from_product([list(names), cats, periods(rows)], names=["role", "breakdown", "time_period"])
    out = grid.to_frame(index=False).merge(out, on=["role", "breakdown", "time_period"], how="left")
    out["series"] = out.role.map(names)
    out["year"] = out.time_period.map(dict(zip(rows.time_period, rows.year, strict=False)))
    rank = {**{s: i for i, s in enumerate(names)}, **{c: i for i, c in enumerate(cats)}}
    out = out.sort_values(["year", "breakdown", "role"], key=lambda c: c if c.name == "year" else c.map(rank))
    cols = ["role", "series", "area_code", "breakdown", "time_period", "year", "value", "marker", "low", "high",
            "n_neighbours", "count", "total", "source_id"]  # fmt: skip
    return out[cols].reset_index(drop=True)


def figure(value, marker, unit: str) -> str:
    """A figure as published: the marker when withheld, "not published" when absent; a share that rounds to
    0.0% but is not nil reads 'under 0.1%', so it never looks like zero."""
    if unit == "percent" and pd.notna(value) and 0 < value < 0.05:
        return "under 0.1%"
    return format_value(value, marker if isinstance(marker, str) else None, unit)


def distribution_table(rows: pd.DataFrame, measure: str) -> pd.DataFrame:
    """One period of :func:`benchmark_rows` as one line per category: the authority's count and share,
    its region's and England's share (or count), and the neighbours' median (range), as published; columns
    headed by the series' names."""
    unit = "percent" if measure == SHARES else "count"
    out = []
    for cat, g in rows.groupby("breakdown", sort=False):
        by = g.set_index("role")
        own, la_name = by.loc["la"], by.at["la", "series"]
        line = {"Category": cat, f"{la_name}: number": figure(own["count"], own.marker, "count")}
        if measure == SHARES:
            line[f"{la_name}: share"] = figure(own.value, own.marker, unit)
        for role, r in by.drop(index="la").iterrows():
            if role == "neighbours":
                spread = (
                    f" (range {figure(r.low, None, unit)} to {figure(r.high, None, unit)})"
                    if pd.notna(r.value) and r.n_neighbours > 1
                    else ""
                )
                line[r.series] = figure(r.value, None, unit) + spread
            else:
                line[r.series] = figure(r.value, r.marker, unit)
        out.append(line)
    return pd.DataFrame(out)


def history_table(rows: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The authority's figure (:func:`benchmark_rows` of role 'la') for every category (rows) in every period
    (columns), as published."""
    unit = "percent" if measure == SHARES else "count"
    own = rows[rows.role == "la"]
    own = own.assign(figure=[figure(v, m, unit) for v, m in zip(own.value, own.marker, strict=True)],
                     period=own.time_period.map(period_label))  # fmt: skip
    order = list(dict.fromkeys(own.sort_values("year").period))
    wide = own.pivot_table(index="breakdown", columns="period", values="figure", aggfunc="first", sort=False)
    return wide.reindex(columns=order).fillna("").rename_axis("Category").rename_axis(None, axis=1)
