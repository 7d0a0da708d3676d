"""Data-quality flags: published figures that look implausible, computed by every build.

A flag never changes a figure (that is what ``etl/corrections.py`` is for): it is
stored in the ``data_flag`` table and shown beside the figure on screen, in tables,
in CSV downloads and in briefing caveats as "as published; looks implausible
because ...". Each rule is one function over the assembled observations, listed in
:data:`RULES`; the explanation names the figures that trip it.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from etl.catalogue import INDICATORS, by_id
from etl.model import LOCAL_AUTHORITY, NATIONAL, TOTAL, period_label

#: Columns of the ``data_flag`` table.
COLUMNS = ["indicator_id", "area_code", "time_period", "rule", "explanation"]

#: A count moving by more than this share from one period to the next is flagged.
JUMP = 0.4
#: Refusals of 0 are flagged when at least this many initial requests were received.
MANY_REQUESTS = 100
#: Breakdowns (e.g. by primary need) are flagged when their sum differs from the headline by more than this share.
BREAKDOWN_TOLERANCE = 0.01
#: The jump rule ignores counts whose larger figure is below this (a few cases more or less is not implausible).
JUMP_MIN_SIZE = 100
#: Count indicators the jump rule skips, and why.
NO_JUMP_CHECK = {
    "statements_of_sen": "statements were converted to EHC plans between 2014 and 2018",
    "statements_and_ehc_plans": "from 2019 it repeats the EHC plan count, which is checked",
}
#: EHC plans are checked from this January on: before it the count grows with the conversion of statements.
PLANS_CHECKED_FROM = 2019
AS_PUBLISHED = "As published; looks implausible because "


#: The columns the rules read from a headline row.
_HEADLINE_COLUMNS = ["indicator_id", "area_code", "time_period", "year", "value"]


def _totals(obs: pd.DataFrame) -> pd.Series:
    """Mask of the rows without a breakdown (headline figures)."""
    return (obs.breakdown_topic == TOTAL) & (obs.breakdown == TOTAL)


def _headline(obs: pd.DataFrame, indicators: list[str]) -> pd.DataFrame:
    """The LA headline rows of ``obs`` for ``indicators``, only :data:`_HEADLINE_COLUMNS` (copying fewer rows and
    columns is what costs)."""
    rows = obs.indicator_id.isin(indicators) & _totals(obs) & (obs.geographic_level == LOCAL_AUTHORITY)
    return obs.loc[rows, _HEADLINE_COLUMNS]


def _rows(frame: pd.DataFrame, columns: list[str]):
    """Tuples of ``columns`` of ``frame``, row by row (plain lists: iterating arrow-backed columns is slow)."""
    return zip(*(frame[c].tolist() for c in columns), strict=True)


def _fmt(v: float) -> str:
    return f"{v:,.0f}"


def _flag(iid: str, area: str, period: str, rule: str, because: str) -> dict:
    return {"indicator_id": iid, "area_code": area, "time_period": period, "rule": rule,
            "explanation": AS_PUBLISHED + because}  # fmt: skip


def year_on_year_jumps(obs: pd.DataFrame) -> list[dict]:
    """Rule ``jump``: an LA count more than :data:`JUMP` above or below its previous published period.

    Skipped: counts whose larger figure is under :data:`JUMP_MIN_SIZE`, years in which England's own figure
    moved by more than :data:`JUMP` (a change to the whole system, such as EHC plans replacing statements
    in 2014-15), and :data:`NO_JUMP_CHECK`. For EHC plans the explanation adds the share of pupils with a
    plan (LAIT) when it moved the other way, which points to a recording change rather than a real fall
    (Newham, January 2025).
    """
    labels = by_id()
    counts = [i.indicator_id for i in INDICATORS if i.unit == "count" and i.indicator_id not in NO_JUMP_CHECK]
    h = _headline(obs, [*counts, "pct_pupils_ehc_plan"])
    data = h[
        h.indicator_id.isin(counts)
        & h.value.notna()
        & ~((h.indicator_id == "ehc_plans") & (h.year < PLANS_CHECKED_FROM))
    ].sort_values("year")  # each LA's series in time order (sorting on the text columns costs more)
    prev = data.groupby(["indicator_id", "area_code"], sort=False)[["value", "time_period", "year"]].shift()
    data = data.assign(prev=prev.value, prev_period=prev.time_period, prev_year=prev.year)
    national = obs.loc[
        obs.indicator_id.isin(counts) & _totals(obs) & (obs.geographic_level == NATIONAL),
        ["indicator_id", "year", "value"],
    ]
    national = national.sort_values("year").assign(
        national_change=lambda d: d.groupby("indicator_id").value.pct_change(fill_method=None)
    )
    data = data.merge(national[["indicator_id", "year", "national_change"]], on=["indicator_id", "year"], how="left")
    # Consecutive periods only: a gap of several years is not a year-on-year change.
    jumps = data[
        (data.prev > 0)
        & (data.year - data.prev_year == 1)
        & ((data.value / data.prev - 1).abs() > JUMP)
        & (data[["value", "prev"]].max(axis=1) >= JUMP_MIN_SIZE)
        & ~(data.national_change.abs() > JUMP)
    ]
    plan_share = h[h.indicator_id == "pct_pupils_ehc_plan"]
    share = dict(zip(_rows(plan_share, ["area_code", "year"]), plan_share.value.tolist(), strict=True))
    out = []
    columns = ["indicator_id", "area_code", "time_period", "year", "value", "prev", "prev_period", "prev_year"]
    for iid, area, period, year, value, before_value, prev_period, prev_year in _rows(jumps, columns):
        change = (value / before_value - 1) * 100
        digits = 0 if round(abs(change)) > JUMP * 100 else 1  # '+40%' would not read as more than 40%
        because = (
            f"{labels[iid].label} went from {_fmt(before_value)} in {period_label(prev_period)} to "
            f"{_fmt(value)} in {period_label(period)} ({change:+.{digits}f}%), a change of more than "
            f"{JUMP:.0%} in a year."
        )
        if iid == "ehc_plans":
            before, after = share.get((area, prev_year)), share.get((area, year))
            if before is not None and after is not None and (after - before) * change < 0:
                because += (
                    f" Over the same years the share of its pupils with an EHC plan moved the other way "
                    f"({before:.1f}% to {after:.1f}%)."
                )
        out.append(_flag(iid, area, period, "jump", because))
    return out


def zero_refusals(obs: pd.DataFrame) -> list[dict]:
    """Rule ``zero_refusals``: 0 requests refused against :data:`MANY_REQUESTS` or more initial requests."""
    h = _headline(obs, ["requests_refused", "initial_requests"])
    refused = h[(h.indicator_id == "requests_refused") & (h.value == 0)]
    requests = h[h.indicator_id == "initial_requests"][["area_code", "year", "value"]]
    m = refused.merge(requests, on=["area_code", "year"], suffixes=("", "_req"))
    m = m[m.value_req >= MANY_REQUESTS]
    return [
        _flag(
            iid,
            r.area_code,
            r.time_period,
            "zero_refusals",
            f"0 initial requests are published as refused in {period_label(r.time_period)} against "
            f"{_fmt(r.value_req)} initial requests received.",
        )
        for r in m.itertuples()
        for iid in ("requests_refused", "requests_refused_pct")
    ]


def breakdown_mismatch(obs: pd.DataFrame) -> list[dict]:
    """Rule ``breakdown_sum``: a breakdown (e.g. primary need) whose published parts, all numbers, differ
    from the headline figure by more than :data:`BREAKDOWN_TOLERANCE` (any geographic level)."""
    keys = ["indicator_id", "geographic_level", "area_code", "time_period", "breakdown_topic"]
    parts = obs.loc[(obs.breakdown_topic != TOTAL) & (obs.indicator_id.isin(by_id())), [*keys, "value", "marker"]]
    if parts.empty:
        return []
    sums = parts.groupby(keys, as_index=False).agg(total=("value", "sum"), markers=("marker", "count"))
    head = obs.loc[_totals(obs) & obs.indicator_id.isin(parts.indicator_id.unique()), keys[:4] + ["value"]]
    m = sums[sums.markers == 0].merge(head, on=keys[:4])
    off = m[(m.value - m.total).abs() > BREAKDOWN_TOLERANCE * m.value.abs()]
    labels = by_id()
    return [
        _flag(
            r.indicator_id,
            r.area_code,
            r.time_period,
            "breakdown_sum",
            f"its {labels[r.indicator_id].label.lower()} by {r.breakdown_topic.lower()} add up to "
            f"{_fmt(r.total)}, against a headline figure of {_fmt(r.value)} for {period_label(r.time_period)}.",
        )
        for r in off.itertuples()
    ]


def plans_without_requests(obs: pd.DataFrame) -> list[dict]:
    """Rule ``plans_without_requests``: 0 initial requests published in a year the LA issued new EHC plans."""
    h = _headline(obs, ["initial_requests", "new_ehc_plans"])
    zero = h[(h.indicator_id == "initial_requests") & (h.value == 0)]
    plans = h[(h.indicator_id == "new_ehc_plans") & (h.value > 0)][["area_code", "year", "value"]]
    m = zero.merge(plans, on=["area_code", "year"], suffixes=("", "_plans"))
    return [
        _flag(
            "initial_requests",
            r.area_code,
            r.time_period,
            "plans_without_requests",
            f"0 initial requests are published for {period_label(r.time_period)}, a year in which the authority "
            f"issued {_fmt(r.value_plans)} new EHC plans.",
        )
        for r in m.itertuples()
    ]


#: Every rule, in the order flags are listed.
RULES: dict[str, Callable[[pd.DataFrame], list[dict]]] = {
    "jump": year_on_year_jumps,
    "zero_refusals": zero_refusals,
    "breakdown_sum": breakdown_mismatch,
    "plans_without_requests": plans_without_requests,
}


def compute_flags(obs: pd.DataFrame) -> pd.DataFrame:
    """Run every rule of :data:`RULES` on the assembled observations (``observation`` columns).

    Returns the ``data_flag`` table: indicator_id, area_code, time_period, rule, explanation (one row per
    flagged figure and rule), sorted.
    """
    rows = [row for rule in RULES.values() for row in rule(obs)]
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.drop_duplicates().sort_values(COLUMNS[:4]).reset_index(drop=True)


#: Publisher footnotes that explain a cell published as a marker, so the dashboard words the marker as the
#: publisher does: (source_id, old_la_code, time_period, indicator_ids, footnote as published, where). The
#: source is the EHC plans publication's latest-following source, which holds these 2024 figures.
FOOTNOTES = [
    (
        "ehcp",
        code,
        "2024",
        ("pct_within_20_weeks", "pct_over_1_year", "plans_within_20_weeks", "plans_issued_excl_exceptions"),
        "For the 2024 calendar year, Dorset and City of London have classed all new plans as having permitted "
        "exceptions to the 20 week statutory timeframe.",
        "data-guidance/data-guidance.txt, timeliness_20_week.csv, footnote 1",
    )
    for code in ("838", "201")
]


def footnote_notes(la: pd.DataFrame) -> list[dict]:
    """``data_note`` rows for :data:`FOOTNOTES`: one per authority, period and indicator, quoting the footnote.

    ``la``: the ``local_authority`` table (old_la_code -> new_la_code). The app words a marker on such a cell
    with this note instead of the marker's generic meaning.
    """
    gss = la.set_index("old_la_code").new_la_code
    return [
        {
            "source_id": sid,
            "area_code": gss[code],
            "time_period": period,
            "indicator_id": iid,
            "note": f"Publisher's footnote ({where}): {text}",
        }
        for sid, code, period, iids, text, where in FOOTNOTES
        for iid in iids
    ]
