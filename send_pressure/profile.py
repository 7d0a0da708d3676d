"""One local authority on one page: the headline table behind the LA profile (and, later, the briefing).

:func:`headline_table` returns one row per headline indicator with the LA's latest
and previous figures, its rank among all LAs, its quartile band and the region,
England and statistical-neighbour figures for the same period. Nothing here draws.
"""

from __future__ import annotations

import math

import pandas as pd

from send_pressure.catalogue import (
    UNRANKED,
    UNRANKED_NOTE,
    Indicator,
    format_change,
    format_value,
    has_value,
    period_label,
    rank_text,
)
from send_pressure.compare import group_series, group_summary_text, region_series
from send_pressure.narrative import count_better, rank_basis
from send_pressure.queries import ENGLAND, Store
from send_pressure.uncertainty import has_interval, intervals, small_number_note

#: Catalogue topics whose indicators the profile shows besides those flagged ``headline``.
EXTRA_TOPICS = ("pupils",)

#: Columns of :func:`headline_table`, in order, with their meaning.
COLUMNS = {
    "indicator_id": "catalogue id",
    "indicator": "indicator label",
    "unit": "count | percent | gbp | rate_per_1000",
    "polarity": "higher_is_better | lower_is_better | neutral",
    "latest_period": "the indicator's latest published period (raw, e.g. '202425')",
    "latest_value": "the LA's figure in that period (NaN when suppressed or absent)",
    "latest_marker": "the published marker when the figure is suppressed, else None",
    "latest": "latest figure formatted for display (marker shown as itself)",
    "previous_period": "the period before (None if there is only one)",
    "previous_value": "the LA's figure in the previous period",
    "previous": "previous figure formatted",
    "change": "latest_value - previous_value (NaN unless both are figures)",
    "change_text": "change formatted with a sign ('+1,234', '-2.1 pp')",
    "rank": "competition rank among LAs with a figure (Int64; <NA> when unranked)",
    "ranked_of": "how many LAs were ranked (suppressed, City of London and Isles of Scilly left out)",
    "rank_text": "'12th of 150', 'joint 3rd of 150' or why not ranked (size counts are never ranked)",
    "rank_basis": "what 1st means for this indicator (polarity-aware; neutral ranked high-to-low)",
    "quartile": "quartile band A-D (compare.QUARTILE_BANDS) or None",
    "region_value": "the LA's region in the latest period (rates the source gives no regions for are computed by the "
    "build from the region's LAs, counting - as nil; NaN when not available)",
    "england_value": "England in the latest period",
    "neighbours_value": "median of the statistical neighbours' own figures in the latest period",
    "neighbours_low": "lowest neighbour figure",
    "neighbours_high": "highest neighbour figure",
    "neighbours_pooled": "rates only: the neighbours' summed numerators over summed denominators (NaN otherwise)",
    "neighbours_better": "how many neighbours have a better figure than the LA (comparable indicators with a "
    "better direction; <NA> otherwise)",
    "neighbours_n": "how many of the neighbours had data for the latest period",
    "neighbours_of": "how many statistical neighbours the LA has",
    "neighbours_method": "what the neighbour figure is (compare.GROUP_METHOD)",
    "region": "formatted region_value",
    "england": "formatted england_value",
    "neighbours": "'median 35.5% (range 3.2% to 85.1%; 10 of 10 neighbours)'",
    "source_id": "source of the LA's latest figure",
    "flag": "data-quality flags on the latest figure ('As published; looks implausible because ...') and any "
    "publisher footnote explaining its marker; '' when none",
    "denominator": "percentages with a published denominator: the LA's denominator (NaN otherwise)",
    "interval": "Wilson 95% interval of the LA's percentage ('31.4% to 35.2%'), '' without a denominator",
    "vs_england": "'significantly better' / 'similar' / 'significantly worse' than England (England outside the "
    "LA's interval or not), '' without a denominator",
    "note": "caveat for this row (e.g. the unranked note), else ''",
}


def headline_ids(store: Store) -> list[str]:
    """The profile's indicators: catalogue headlines plus the indicators of :data:`EXTRA_TOPICS`, in catalogue
    order."""
    return [i for i, ind in store.indicators.items() if ind.headline or ind.topic in EXTRA_TOPICS]


def _value_at(obs: pd.DataFrame, code: str, period: str | None) -> tuple[float, str | None, str | None]:
    if period is None:
        return math.nan, None, None
    row = obs[(obs.area_code == code) & (obs.time_period == period)]
    if row.empty:
        return math.nan, None, None
    r = row.iloc[0]
    marker = r.marker if isinstance(r.marker, str) else None
    return (float(r.value) if has_value(r.value) else math.nan), marker, r.source_id


def _row(store: Store, ind: Indicator, la_code: str, region: str, neighbours: list[str]) -> dict:
    iid = ind.indicator_id
    obs = store.observations(iid)
    periods = store.periods(iid)
    latest = periods[-1] if periods else None
    previous = periods[-2] if len(periods) > 1 else None
    value, marker, source = _value_at(obs, la_code, latest)
    prev_value, prev_marker, _ = _value_at(obs, la_code, previous)
    change = value - prev_value if has_value(value) and has_value(prev_value) else math.nan

    rank, ranked_of, quartile, rtext, note = pd.NA, 0, None, "", ""
    ci = None
    if latest is not None and has_interval(ind):
        found = intervals(store, ind, latest)
        found = found[found.area_code == la_code]
        ci = found.iloc[0] if len(found) else None
    if latest is not None:
        ranked = store.ranked(iid, latest)
        ranked_of = int(ranked.ranked_of.iloc[0]) if len(ranked) else 0
        mine = ranked[ranked.area_code == la_code]
        note = UNRANKED_NOTE if la_code in UNRANKED else ""
        if not ind.comparable:
            rtext = f"not ranked ({ind.not_comparable_because})"
        elif la_code in UNRANKED:
            rtext = "not ranked (too small to compare)"
        elif mine.empty or pd.isna(mine["rank"].iloc[0]):
            rtext = "not ranked (no figure published)"
        else:
            rank = int(mine["rank"].iloc[0])
            rtext = rank_text(rank, ranked_of, bool(mine.tied.iloc[0]))
            # A rank resting on a handful of cases says so.
            small = small_number_note(ci.denominator) if ci is not None else ""
            rtext += f" ({small})" if small else ""
            quartile = mine.quartile.iloc[0]

    region_rows = region_series(store, ind, region)
    region_rows = region_rows[region_rows.time_period == latest]
    region_value = (
        float(region_rows.value.iloc[0]) if len(region_rows) and has_value(region_rows.value.iloc[0]) else math.nan
    )
    england_value, _, _ = _value_at(obs, ENGLAND, latest)
    nb_row, better = None, pd.NA
    if neighbours and latest is not None:
        g = group_series(store, ind, neighbours)
        g = g[g.time_period == latest]
        nb_row = g.iloc[0] if len(g) else None
        if nb_row is not None:
            theirs = store.snapshot(iid, latest)
            better = count_better(ind, value, theirs[theirs.area_code.isin(neighbours)].value)
            better = pd.NA if better is None else better
    nb = lambda col: float(nb_row[col]) if nb_row is not None and has_value(nb_row[col]) else math.nan  # noqa: E731
    fmt = lambda v: format_value(v, None, ind.unit) if has_value(v) else "not published"  # noqa: E731
    return {
        "indicator_id": iid,
        "indicator": ind.label,
        "unit": ind.unit,
        "polarity": ind.polarity,
        "latest_period": latest,
        "latest_value": value,
        "latest_marker": marker,
        "latest": format_value(value, marker, ind.unit),
        "previous_period": previous,
        "previous_value": prev_value,
        "previous": format_value(prev_value, prev_marker, ind.unit) if previous else "",
        "change": change,
        "change_text": format_change(change, ind.unit) or "",
        "rank": rank,
        "ranked_of": ranked_of,
        "rank_text": rtext,
        "rank_basis": rank_basis(ind) if ind.comparable else "",
        "quartile": quartile,
        "region_value": region_value,
        "england_value": england_value,
        "neighbours_value": nb("value"),
        "neighbours_low": nb("low"),
        "neighbours_high": nb("high"),
        "neighbours_pooled": nb("pooled"),
        "neighbours_better": better,
        "neighbours_n": int(nb_row.n) if nb_row is not None else 0,
        "neighbours_of": len(neighbours),
        "neighbours_method": nb_row.method if nb_row is not None else "",
        "region": fmt(region_value),
        "england": fmt(england_value),
        "neighbours": group_summary_text(nb_row, ind.unit, len(neighbours)) if neighbours else "no neighbours",
        "source_id": source,
        "flag": " ".join(
            t for t in (store.flag_text(iid, la_code, latest), store.marker_note(iid, la_code, latest)) if t
        ),
        "denominator": float(ci.denominator) if ci is not None and has_value(ci.denominator) else math.nan,
        "interval": ci.interval if ci is not None else "",
        "vs_england": ci.vs_england if ci is not None else "",
        "note": note,
    }


def headline_table(store: Store, la_code: str) -> pd.DataFrame:
    """One row per profile indicator for one LA; columns as :data:`COLUMNS` (in that order).

    Ranks are :meth:`Store.ranked` on the latest period (competition
    ranking, polarity-aware; neutral indicators high-to-low). Ties read 'joint 3rd'.
    Suppressed figures are unranked and out of the count; City of London and Isles
    of Scilly are unranked with :data:`UNRANKED_NOTE`. Memoised on the store, per LA (a copy is returned).
    """
    return store.memo(("headline table", la_code), lambda: _headline_table(store, la_code)).copy()


def _headline_table(store: Store, la_code: str) -> pd.DataFrame:
    la = store.local_authorities.set_index("new_la_code")
    region = la.at[la_code, "region_code"]
    neighbours = store.neighbours(la_code).neighbour_code.tolist()
    inds = store.indicators
    rows = [_row(store, inds[i], la_code, region, neighbours) for i in headline_ids(store)]
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    out["rank"] = out["rank"].astype("Int64")
    out["neighbours_better"] = out["neighbours_better"].astype("Int64")
    return out


def display_table(table: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """The headline table as people read it: the comparisons beside the figure, then rank and change,
    periods as published, and the source release of each figure (``sources``: the ``source`` table)."""
    release = {s: f"{t} ({r})" for s, t, r in zip(sources.source_id, sources.title, sources.release, strict=True)}
    return pd.DataFrame(
        {
            "Indicator": table.indicator,
            "Latest period": table.latest_period.map(lambda p: period_label(p) if p else ""),
            "Latest": table.latest,
            # Beside the figure: '⚠' and why it looks implausible (as published, never changed), or a footnote.
            "Data quality": table.flag.map(lambda t: f"⚠ {t}" if t else ""),
            "England": table.england,
            "95% interval (denominator)": [
                f"{i} (n = {d:,.0f})" if i else "" for i, d in zip(table.interval, table.denominator, strict=True)
            ],
            "Compared with England": table.vs_england,
            "Region": table.region,
            "Statistical neighbours: median (range)": table.neighbours,
            "Rank": table.rank_text,
            "Quartile": table.quartile.fillna(""),
            "Previous": table.previous,
            "Change": table.change_text,
            "How ranked": table.rank_basis,
            "Source": table.source_id.map(release),
        }
    )


def reorganisation_notes(store: Store, la_code: str) -> list[str]:
    """Plain sentences on the reorganisations that formed or re-coded this LA (from ``la_succession``).

    E.g. 'Cumberland was formed on 1 April 2023 when Cumbria (E10000006) was split, which also formed
    Westmorland and Furness. ...'.
    """
    succ = store.successions
    mine = succ[succ.successor_code == la_code]
    name = store.area_name(la_code)
    out = []
    for (year, kind), part in mine.groupby(["year", "kind"]):
        if kind == "recode":
            old = part.predecessor_code.iloc[0]
            out.append(
                f"{name}'s area code changed on 1 April {year} (from {old} to {la_code}); its figures are shown as "
                "one series under the current code."
            )
            continue
        preds = ", ".join(f"{n} ({c})" for n, c in zip(part.predecessor_name, part.predecessor_code, strict=True))
        if kind == "split":
            siblings = succ[succ.predecessor_code.isin(part.predecessor_code) & (succ.successor_code != la_code)]
            also = sorted(set(siblings.successor_name))
            how = f"when {preds} was split" + (f", which also formed {', '.join(also)}" if also else "")
        else:
            how = f"by merging {preds}"
        out.append(
            f"{name} was formed on 1 April {year} {how}. Figures for earlier years were published for the "
            "predecessor authorities and are not part of this authority's series."
        )
    return out


def neighbour_table(store: Store, la_code: str) -> pd.DataFrame:
    """The LA and each statistical neighbour side by side on every profile indicator (latest period).

    Rows: the LA first, then its neighbours closest first. Columns: 'Local authority', 'Closeness', then one
    column per :func:`headline_table` indicator headed '<label> (<period>)' with the figure as published
    (marker kept), so each neighbour's own figure sits beside the group's median. Memoised on the store,
    per LA (a copy is returned).
    """
    return store.memo(("neighbour table", la_code), lambda: _neighbour_table(store, la_code)).copy()


def _neighbour_table(store: Store, la_code: str) -> pd.DataFrame:
    table = headline_table(store, la_code)
    nb = store.neighbours(la_code)
    codes = [la_code, *nb.neighbour_code]
    out = pd.DataFrame(
        {
            "Local authority": [store.area_name(c) for c in codes],
            "Closeness": ["(this authority)", *nb.closeness.fillna("").map(str)],
        }
    )
    for r in table.itertuples():
        if not r.latest_period:
            continue
        snap = store.snapshot(r.indicator_id, r.latest_period).set_index("area_code")
        unit = store.indicators[r.indicator_id].unit
        out[f"{r.indicator} ({period_label(r.latest_period)})"] = [
            format_value(snap.at[c, "value"], snap.at[c, "marker"], unit) if c in snap.index else "no row"
            for c in codes
        ]
    return out
