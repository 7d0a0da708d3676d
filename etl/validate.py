"""Checks run on every build before the new database replaces the old one.

``validate(tables)`` returns (failures, report_lines). Any failure stops the
build; the report explains what was checked, including published totals that
differ from the sum of their parts for a documented reason.
"""

from __future__ import annotations

import pandas as pd

from etl.catalogue import INDICATORS
from etl.load import KEY, Tables
from etl.model import LOCAL_AUTHORITY, NATIONAL, REGIONAL, TOTAL, map_text

#: Fewest / most LA rows a headline period may have (153 LAs today; 149 in DSG, which
#: leaves out City of London and Isles of Scilly; a few LAs missing in some years).
LA_ROWS_RANGE = (140, 158)
#: Relative tolerance when comparing a published total with the sum of its parts
#: (the DSG £m sheet for 2019-20 is rounded to the pound after conversion).
TOLERANCE = 1e-6


def validate(t: Tables) -> tuple[list[str], list[str]]:
    """Run every check on the assembled tables.

    Returns ``(failures, report)``: failures are lines that must stop the build;
    report lines summarise what was checked and any explained exceptions.
    """
    failures: list[str] = []
    report: list[str] = []
    obs = t.observation
    units = {i.indicator_id: i.unit for i in INDICATORS}
    # Headline rows, only the columns the checks below read (copying fewer columns is what costs).
    columns = ["indicator_id", "geographic_level", "area_code", "time_period", "year", "value", "marker"]
    headline = obs.loc[(obs.breakdown_topic == TOTAL) & (obs.breakdown == TOTAL), columns]

    # Every indicator and observation has its source, and every observation its indicator.
    known_sources = set(t.source.source_id)
    for ind in INDICATORS:
        if ind.source_id not in known_sources:
            failures.append(f"indicator {ind.indicator_id} names source {ind.source_id}, which was not loaded")
    for sid in sorted(set(obs.source_id.unique()) - known_sources):
        failures.append(f"observations from unknown source {sid}")
    for iid in sorted(set(obs.indicator_id.unique()) - set(t.indicator.indicator_id)):
        failures.append(f"observations of indicator {iid}, which is not in the indicator table")

    # Every indicator of the catalogue has figures (a source that lost its rows must not pass quietly).
    slugs, present = t.source.set_index("source_id").release_slug, set(obs.indicator_id.unique())
    for ind in INDICATORS:
        if ind.indicator_id in present:
            continue
        loaded = slugs.get(ind.source_id)
        if ind.first_release and not (isinstance(loaded, str) and loaded >= ind.first_release):
            report.append(f"{ind.indicator_id}: not yet published (first in release {ind.first_release})")
        else:
            failures.append(f"indicator {ind.indicator_id} has no observations")

    # One row per key.
    dupes = obs.duplicated(KEY).sum()
    if dupes:
        failures.append(f"{dupes} observation rows repeat a key")

    # LA counts per period.
    la_rows = headline[headline.geographic_level == LOCAL_AUTHORITY]
    counts = la_rows.groupby(["indicator_id", "time_period"]).size()
    lo, hi = LA_ROWS_RANGE
    for (iid, period), n in counts.items():
        if not lo <= n <= hi:
            failures.append(f"{iid} {period}: {n} local authority rows (expected {lo}-{hi})")
    report.append(f"LA rows per headline period: {counts.min()}-{counts.max()} across {len(counts)} indicator periods")

    # Ranges.
    unit = map_text(obs.indicator_id, units)
    bad = obs[(unit == "percent") & ((obs.value < 0) | (obs.value > 100))]
    for row in bad.head(10).itertuples():
        failures.append(f"{row.indicator_id} {row.time_period} {row.area_code}: {row.value} is not within 0-100")
    neg = obs[unit.isin(["count", "gbp"]) & (obs.value < 0)]
    for row in neg.head(10).itertuples():
        failures.append(f"{row.indicator_id} {row.time_period} {row.area_code}: negative value {row.value}")
    report.append(f"ranges: {len(bad)} percentages outside 0-100, {len(neg)} negative counts or amounts")

    f, r = _check_totals(headline, t.local_authority)
    failures += f
    report += r
    names = dict(zip(t.local_authority.new_la_code, t.local_authority.la_name, strict=True))
    report += _large_changes(headline, names)
    return failures, report


#: An LA's EHC plan caseload moving by more than this share in a year is listed for a person to check.
LARGE_CHANGE = 0.4


def _large_changes(headline: pd.DataFrame, names: dict[str, str]) -> list[str]:
    """Caseload jumps worth a look (not failures: they are published so), e.g. Newham 2023/24 -> 2024/25.
    ``names``: area_code -> LA name, for the lines.

    Only from January 2019 on: earlier years hold the transfer from statements to EHC plans.
    """
    plans = headline[(headline.indicator_id == "ehc_plans") & (headline.geographic_level == LOCAL_AUTHORITY)]
    plans = plans[plans.year >= 2019].dropna(subset=["value"]).sort_values(["area_code", "year"])
    plans = plans.assign(
        prev=plans.groupby("area_code").value.shift(), prev_period=plans.groupby("area_code").time_period.shift()
    )
    jumps = plans[(plans.prev > 0) & ((plans.value / plans.prev - 1).abs() > LARGE_CHANGE)]
    lines = [
        f"  check: {names.get(r.area_code, r.area_code)} ({r.area_code}) EHC plans {r.prev_period} {r.prev:,.0f} "
        f"-> {r.time_period} {r.value:,.0f} ({(r.value / r.prev - 1) * 100:+.0f}%), as published"
        for r in jumps.itertuples()
    ]
    return [f"large changes: {len(lines)} LA caseloads moved by more than {LARGE_CHANGE:.0%} in a year", *lines]


def _check_totals(headline: pd.DataFrame, la: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Region = sum of its LAs and England = sum of regions, for additive counts.

    A published total larger than the sum is accepted (and reported) when some of
    its LAs are shown as a marker or have no row: the publishers count those LAs in
    the totals (data-notes §14). Any other difference fails.
    """
    failures, explained, checked = [], [], 0
    additive = [i.indicator_id for i in INDICATORS if i.additive and not i.derived]
    data = headline[headline.indicator_id.isin(additive)]
    region_of = la.set_index("new_la_code").region_code
    lifetimes = _lifetimes(la)
    las = data[data.geographic_level == LOCAL_AUTHORITY].assign(parent=lambda d: map_text(d.area_code, region_of))
    regions = data[data.geographic_level == REGIONAL].assign(parent="E92000001")
    nations = data[data.geographic_level == NATIONAL]
    for parts, totals, what in ((las, regions, "region vs its LAs"), (regions, nations, "England vs regions")):
        if parts.empty or totals.empty:
            continue
        # One aggregation at a time: pandas' named aggregation of several columns costs twice as much.
        grouped = parts.groupby(["indicator_id", "time_period", "parent"])
        sums = grouped.value.sum().rename("total").to_frame().assign(gaps=grouped.marker.count(), n=grouped.size())
        sums = sums.reset_index()
        key = ["indicator_id", "time_period"]
        m = totals.dropna(subset=["value"]).merge(sums, left_on=[*key, "area_code"], right_on=[*key, "parent"])
        checked += len(m)
        m["diff"] = m.value - m.total
        off = m[m["diff"].abs() > TOLERANCE * m.value.abs().clip(lower=1)]
        for row in off.itertuples():
            missing = _expected_parts(lifetimes, row, what) - row.n + row.gaps
            if row.diff > 0 and missing > 0:
                explained.append(
                    f"{row.indicator_id} {row.time_period} {row.area_code}: published {row.value:,.0f} exceeds the "
                    f"sum {row.total:,.0f} by {row.diff:,.0f}; {missing} part(s) suppressed or not published are "
                    "counted in the published total"
                )
            else:
                failures.append(
                    f"{row.indicator_id} {row.time_period} {row.area_code} ({what}): published {row.value:,.0f} "
                    f"but the parts sum to {row.total:,.0f}"
                )
    report = [f"totals: {checked} published totals compared with the sum of their parts; {len(explained)} explained"]
    report += [f"  explained: {line}" for line in explained]
    return failures, report


def _lifetimes(la: pd.DataFrame) -> dict[str, list[tuple[int | None, int | None]]]:
    """Region code -> (first_year, last_year) of each of its LAs (None: no limit), for :func:`_expected_parts`."""
    out: dict[str, list[tuple[int | None, int | None]]] = {}
    for region, first, last in zip(la.region_code, la.first_year, la.last_year, strict=True):
        out.setdefault(region, []).append((None if pd.isna(first) else first, None if pd.isna(last) else last))
    return out


def _expected_parts(lifetimes: dict[str, list[tuple[int | None, int | None]]], row, what: str) -> int:
    """How many LAs (or regions) should make up this total in this year (``lifetimes``: :func:`_lifetimes`)."""
    if what == "England vs regions":
        return 9
    return sum(
        (first is None or first <= row.year) and (last is None or last >= row.year)
        for first, last in lifetimes.get(row.area_code, [])
    )
