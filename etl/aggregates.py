"""Aggregates a source does not publish, computed once by the build from the authorities' figures.

The SEND Tribunal table has LA and England rows but no regions, so the regional
appeal rate is computed here (sum of the region's appeals over the sum of its
appealable decisions), stored as ordinary observations under the LA rows' source
and explained by a ``data_note``. The app, the briefing, the CSV downloads and an
analyst with DuckDB then all read the same figure.

In these tables ``-`` means nil: it counts as zero in a sum (the LA's own cell
still shows ``-``). Any other marker (``..``, ``x``) leaves that authority out of
the sum, and the note names it.
"""

from __future__ import annotations

import pandas as pd

from etl.catalogue import INDICATORS, Indicator, by_id
from etl.model import ENGLAND_CODE, LOCAL_AUTHORITY, NATIONAL, REGIONAL, TOTAL

#: The published symbol for nil: zero in sums.
NIL = "-"

#: Columns of the rows :func:`missing_group_rates` returns (the loader's observation columns).
COLUMNS = [
    "indicator_id",
    "geographic_level",
    "area_code",
    "region_code",
    "breakdown_topic",
    "breakdown",
    "time_period",
    "year",
    "value",
    "marker",
    "source_id",
]


def nil_as_zero(rows: pd.DataFrame) -> pd.Series:
    """The figures of ``rows`` (columns value, marker) with the nil marker ``-`` read as 0; other markers NaN."""
    return rows.value.where(rows.marker != NIL, 0.0)


def _published_levels(headline: pd.DataFrame) -> set[tuple[str, str, int]]:
    """(indicator_id, geographic_level, year) for which the sources publish any aggregate row."""
    agg = headline.loc[headline.geographic_level != LOCAL_AUTHORITY, ["indicator_id", "geographic_level", "year"]]
    agg = agg.drop_duplicates()
    return set(zip(agg.indicator_id.tolist(), agg.geographic_level.tolist(), agg.year.tolist(), strict=True))


def _most_common(frame: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """Per ``keys`` group, the most frequent non-null value of ``column``; a tie goes to the smallest value
    (as ``Series.mode().iloc[0]``, without a Python call per group). Indexed by ``keys``."""
    counts = frame.groupby([*keys, column]).size().reset_index(name="n")
    counts = counts.sort_values([*keys, "n", column], ascending=[*(True for _ in keys), False, True], kind="stable")
    return counts.drop_duplicates(keys).set_index(keys)[column]


def _group_sums(las: pd.DataFrame, ind: Indicator, groups: pd.Series, names: dict) -> pd.DataFrame:
    """Per group and year: numerator and denominator sums over the LAs that published each (nil = 0).

    Each sum is taken separately, as the publishers do for England (the tribunal table's England rate
    is its total appeals over its total decisions). ``groups``: LA area_code -> group code; ``names``:
    area_code -> LA name. Returns group, year, time_period, num, den, source_id and left_out (LAs with
    another marker in either, '; '-joined).
    """
    num_id, den_id, _ = ind.ratio
    cols = ["area_code", "year", "time_period", "figure", "marker", "source_id"]
    num = las[las.indicator_id == num_id].assign(figure=lambda d: nil_as_zero(d))[cols]
    den = las[las.indicator_id == den_id].assign(figure=lambda d: nil_as_zero(d))[cols]
    m = num.merge(den, on=["area_code", "year"], how="outer", suffixes=("", "_den"))
    m["group"] = m.area_code.map(groups)
    m = m.dropna(subset=["group"])
    m["time_period"] = m.time_period.fillna(m.time_period_den)
    m["source_id"] = m.source_id.fillna(m.source_id_den)
    keys = ["group", "year"]
    grouped = m.groupby(keys, sort=True)
    out = grouped[["figure", "figure_den"]].sum().rename(columns={"figure": "num", "figure_den": "den"}).reset_index()
    # The period and source most of the group's LAs print (they agree but for stray rows).
    at = pd.MultiIndex.from_frame(out[keys])
    out["time_period"] = _most_common(m, keys, "time_period").reindex(at).to_numpy()
    out["source_id"] = _most_common(m, keys, "source_id").reindex(at).to_numpy()
    left = m[m.figure.isna() | m.figure_den.isna()]
    why = left.marker.fillna(left.marker_den).fillna("no row")
    named = left.area_code.map(lambda a: names.get(a, a)) + " ('" + why + "')"
    left_out = named.groupby([left.group, left.year]).agg("; ".join).to_dict()
    out["left_out"] = [left_out.get((g, y), "") for g, y in zip(out.group.tolist(), out.year.tolist(), strict=True)]
    out["year"] = out.year.astype(int)
    return out[["group", "year", "time_period", "num", "den", "left_out", "source_id"]]


def missing_group_rates(obs: pd.DataFrame, la: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """Regional and England rows a source omits, for every published ratio indicator (e.g. the tribunal rate).

    ``obs``: the assembled observations (columns as :data:`COLUMNS`, at least); ``la``: the
    ``local_authority`` table. For each indicator with a ``ratio`` that the build does not derive itself,
    and each year in which it has LA rows but no regional (or no England) rows, adds the group's numerator,
    denominator and rate (numerator and denominator only where those too are unpublished): the rate is
    the numerator sum over the denominator sum, each over the LAs that published it, ``-`` counting as
    zero; LAs with any other marker are left out of that sum and named in a note.

    Returns ``(rows, notes)``: rows with :data:`COLUMNS`; notes as ``data_note`` dicts (source_id,
    area_code, time_period, indicator_id, note).
    """
    columns = ["indicator_id", "geographic_level", "area_code", "time_period", "year", "value", "marker", "source_id"]
    ratios = [ind for ind in INDICATORS if ind.ratio and not ind.derived]
    involved = {iid for ind in ratios for iid in (ind.indicator_id, *ind.ratio[:2])}
    # Only the rows of those indicators (a small share of the observations) are copied.
    headline = obs.loc[
        obs.indicator_id.isin(list(involved)) & (obs.breakdown_topic == TOTAL) & (obs.breakdown == TOTAL), columns
    ]
    las = headline[headline.geographic_level == LOCAL_AUTHORITY]
    published = _published_levels(headline)
    region_of = la.set_index("new_la_code").region_code
    names = dict(zip(la.new_la_code, la.la_name, strict=True))
    labels = by_id()
    rows: list[dict] = []
    notes: list[dict] = []
    for ind in ratios:
        num_id, den_id, scale = ind.ratio
        years = set(las.year[las.indicator_id == ind.indicator_id])
        for level, groups in ((REGIONAL, region_of), (NATIONAL, region_of.map(lambda _: ENGLAND_CODE))):
            todo = {y for y in years if (ind.indicator_id, level, y) not in published}
            if not todo:
                continue
            sums = _group_sums(las[las.year.isin(todo)], ind, groups, names)
            for s in sums.itertuples():
                base = {
                    "geographic_level": level,
                    "area_code": s.group,
                    "region_code": s.group if level == REGIONAL else None,
                    "breakdown_topic": TOTAL,
                    "breakdown": TOTAL,
                    "time_period": s.time_period,
                    "year": s.year,
                    "marker": None,
                    "source_id": s.source_id,
                }
                rate = s.num / s.den * scale if s.den > 0 else None
                rows.append(
                    {
                        **base,
                        "indicator_id": ind.indicator_id,
                        "value": rate,
                        "marker": None if rate is not None else "z",
                    }
                )
                for iid, total in ((num_id, s.num), (den_id, s.den)):
                    if (iid, level, s.year) not in published:
                        rows.append({**base, "indicator_id": iid, "value": total})
                if s.left_out:
                    notes.append(
                        {
                            "source_id": s.source_id,
                            "area_code": s.group,
                            "time_period": s.time_period,
                            "indicator_id": ind.indicator_id,
                            "note": "Computed by this build from the area's local authorities; left out of the sums "
                            f"because not published: {s.left_out}.",
                        }
                    )
            computed = [ind.indicator_id] + [
                i for i in (num_id, den_id) if any((i, level, y) not in published for y in todo)
            ]
            sources = _most_common(sums, ["group"], "source_id")
            for group in sorted(set(sums.group)):
                source = sources[group]
                for iid in computed:
                    how = (
                        f"the sum of its {labels[num_id].label} over the sum of its {labels[den_id].label} × {scale:g}"
                        if iid == ind.indicator_id
                        else "the sum of its figures"
                    )
                    text = (
                        f"{labels[iid].label}: the source publishes no figure for this area, so this build "
                        f"computes it from the area's local authorities ({how}; '-' (nil) counts as zero)."
                    )
                    notes.append(
                        {
                            "source_id": source,
                            "area_code": group,
                            "time_period": None,
                            "indicator_id": iid,
                            "note": text,
                        }
                    )
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["value"] = out.value.astype(float)
    return out, notes


#: The last January in which statements of SEN were counted (the transfer to EHC plans ended in April 2018).
LAST_STATEMENTS_YEAR = 2018


def long_caseload(obs: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """One caseload series across the transfer from statements to EHC plans.

    ``statements_and_ehc_plans`` is published (2022 release, ``Total_all``) up to January 2022. Up to
    :data:`LAST_STATEMENTS_YEAR` it is kept as published; from January 2019, when no statements remain,
    it is the ``ehc_plans`` row itself (value or marker, and its source), so the long series and plans
    alone never disagree where they mean the same thing (headline rows only). Returns ``(obs, notes)``:
    the observations with the series replaced from 2019, and one ``data_note`` dict saying so.
    """
    combined = obs.indicator_id == "statements_and_ehc_plans"
    if not combined.any():
        return obs, []
    plans = obs[
        (obs.indicator_id == "ehc_plans")
        & (obs.year > LAST_STATEMENTS_YEAR)
        & (obs.breakdown_topic == TOTAL)
        & (obs.breakdown == TOTAL)
    ]
    keep = obs[~(combined & (obs.year > LAST_STATEMENTS_YEAR))]
    note = {
        "source_id": "ehcp_2022",
        "area_code": None,
        "time_period": None,
        "indicator_id": "statements_and_ehc_plans",
        "note": "Statements of SEN and EHC plans: up to January 2018 the 2022 release's published total of "
        "statements and plans; from January 2019 (no statements remain) the EHC plans figure of the newest "
        "release, under that release's source.",
    }
    return pd.concat([keep, plans.assign(indicator_id="statements_and_ehc_plans")], ignore_index=True), [note]
