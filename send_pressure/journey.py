"""The SEN2 journey of one local authority: request -> decision to assess -> assessment -> plan -> caseload ->
annual reviews -> ceased, with refusals, withdrawals and appeals branching off.

The path is declared once, in the catalogue (:data:`etl.catalogue.JOURNEY`); the functions read each
measure's rows through :func:`send_pressure.compare.benchmarks` (the authority, its region, England and its
statistical neighbours' median and range, as every page compares) and return plain frames for the journey
page. A step's figures are headline indicators or published columns of the releases
(:mod:`send_pressure.measures`, ids with a dot); those the database does not hold are skipped, so the page
shows what is loaded. The steps are counts of one calendar year each: they do not follow the same children
from step to step.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import pandas as pd

from etl.catalogue import JOURNEY, JOURNEY_LABELS, JourneyStep
from send_pressure import compare, measures
from send_pressure.catalogue import format_value, period_label
from send_pressure.queries import Store


def label(store: Store, some_id: str) -> str:
    """The name a step gives an indicator or measure: its short name in :data:`etl.catalogue.JOURNEY_LABELS`, else
    its catalogue or guidance label."""
    return JOURNEY_LABELS.get(some_id) or measures.as_indicator(store, some_id).label


#: The breakdown (``send_pressure.breakdowns``) that says why plans ceased.
CEASED_REASONS = "ceased_reason"

#: Roles of the series in :func:`journey_rows` (``send_pressure.compare.ROLES``; each neighbour's own figures
#: are left out).
LA, REGION, ENGLAND, NEIGHBOURS = "la", "region", "england", "neighbours"


def steps(store: Store) -> list[JourneyStep]:
    """:data:`etl.catalogue.JOURNEY` with the measures this database holds (a step with none of its counts is left out);
    memoised on the store."""
    return list(store.memo(("journey steps",), lambda: _steps(store)))


def _steps(store: Store) -> tuple[JourneyStep, ...]:
    out = []
    for s in JOURNEY:
        have = functools.partial(measures.known, store)
        counts = tuple(filter(have, s.counts))
        if counts:
            out.append(replace(s, counts=counts, branches=tuple(filter(have, s.branches)),
                               rates=tuple(filter(have, s.rates))))  # fmt: skip
    return tuple(out)


def years(store: Store) -> list[int]:
    """Calendar years in which the first step (initial requests) is published, oldest first (memoised on the
    store)."""

    def build() -> tuple[int, ...]:
        obs = store.observations(steps(store)[0].counts[0])
        return tuple(sorted({int(y) for y in obs[obs.value.notna()].year}))

    return list(store.memo(("journey years",), build))


def _measures(step: JourneyStep) -> list[tuple[str, bool]]:
    """(indicator id, is a branch) for every count and rate of a step, in order."""
    return [(step.counts[0], False), *((i, True) for i in step.branches), *((i, False) for i in step.rates)]


#: Columns of :func:`journey_rows`.
COLUMNS = [
    "step", "step_title", "indicator_id", "measure", "unit", "branch", "rate", "role", "series", "area_code",
    "time_period", "year", "value", "marker", "low", "high", "n_neighbours", "source_id",
]  # fmt: skip


def journey_rows(store: Store, la_code: str, year: int) -> pd.DataFrame:
    """Every measure of every step in one calendar year for the authority, its region, England and its
    statistical neighbours (their median, with range ``low``-``high`` and ``n_neighbours``).

    ``year``: the calendar year of the flow (a January count is read for ``year + 1``). Indicators are read
    with :func:`send_pressure.compare.benchmarks_many`, measures with
    :func:`send_pressure.measures.benchmarks_many` (one query and one pass each; every frame memoised on the
    store). Columns :data:`COLUMNS`; ``role`` is :data:`LA`, :data:`REGION`,
    :data:`ENGLAND` or :data:`NEIGHBOURS`, ``series`` its display name. A measure with no row for an area that
    year keeps a row with no value and no marker ('not published'); a withheld figure keeps its marker.
    """
    la = store.local_authorities.set_index("new_la_code")
    names = {LA: la.at[la_code, "la_name"], REGION: la.at[la_code, "region_name"], ENGLAND: "England",
             NEIGHBOURS: compare.NEIGHBOURS}  # fmt: skip
    lines = _lines(store)
    # Every role of every line: a role with no row that year keeps its line, so the table says 'not published'.
    grid = lines.assign(year=year + lines.snapshot_lag).merge(pd.DataFrame({"role": list(names)}), how="cross")
    every = _benchmark_rows(store, la_code)
    out = grid.merge(every, on=["indicator_id", "year", "role"], how="left")
    out["series"] = out.series.fillna(out.role.map(names))
    return out[COLUMNS]


def _lines(store: Store) -> pd.DataFrame:
    """One row per measure of each step, in journey order: step, step_title, indicator_id, measure, unit,
    branch, rate, snapshot_lag (memoised on the store)."""

    def build() -> pd.DataFrame:
        return pd.DataFrame(
            [
                {"step": step.key, "step_title": step.title, "indicator_id": iid, "measure": label(store, iid),
                 "unit": ind.unit, "branch": branch, "rate": ind.unit != "count", "snapshot_lag": step.snapshot_lag}
                for step in steps(store)
                for iid, branch in _measures(step)
                for ind in [measures.as_indicator(store, iid)]
            ]
        )  # fmt: skip

    return store.memo(("journey lines",), build)


def _benchmark_rows(store: Store, la_code: str) -> pd.DataFrame:
    """The benchmark rows (``compare.benchmarks`` columns, plus indicator_id) of every measure of the journey for
    one authority, each neighbour's own rows left out: measures read in one query
    (:func:`send_pressure.measures.benchmarks_many`), indicators in one pass
    (:func:`send_pressure.compare.benchmarks_many`); memoised on the store."""

    def build() -> pd.DataFrame:
        ids = tuple(dict.fromkeys(_lines(store).indicator_id))
        frames = measures.benchmarks_many(store, tuple(filter(measures.is_measure, ids)), la_code)
        frames.update(compare.benchmarks_many(store, tuple(i for i in ids if i not in frames), la_code))
        every = pd.concat(frames, names=["indicator_id", None]).reset_index(level=0).reset_index(drop=True)
        return every[every.role != "neighbour"].astype({"year": "int64"}).reset_index(drop=True)

    return store.memo(("journey benchmark rows", la_code), build)


def flow_frame(rows: pd.DataFrame, year: int) -> pd.DataFrame:
    """The authority's counts in journey order, for the flow chart: :func:`journey_rows` rows of role
    :data:`LA` and counts only, with ``series`` the label drawn ('Initial requests ...', branches prefixed
    '↳ ') and ``period`` the period as published where it is not the calendar ``year`` itself (a January)."""
    own = rows[(rows.role == LA) & ~rows.rate].copy()
    own["series"] = [("↳ " if b else "") + m for m, b in zip(own.measure, own.branch, strict=True)]
    own["period"] = own.time_period.map(lambda p: period_label(p) if isinstance(p, str) and p != str(year) else "")
    return own.reset_index(drop=True)


def _figure(value, marker, unit: str) -> str:
    """A figure as published; no row at all reads 'not published'."""
    return format_value(value, marker if isinstance(marker, str) else None, unit)


def flow_sentence(rows: pd.DataFrame, la_name: str, year: int) -> str:
    """The flow in words (the chart's text alternative): each step's count and its branches, markers kept.

    E.g. 'Kent, 2024: Initial requests for an EHC needs assessment 4,000 (of which Requests: decided not to
    assess 1,000; ...); ...'. Names come from the database (escape before Markdown).
    """
    own = rows[(rows.role == LA) & ~rows.rate]
    parts = []
    for _, step in own.groupby("step", sort=False):
        main = step[~step.branch].iloc[0]
        text = f"{main.measure} {_figure(main.value, main.marker, main.unit)}"
        if isinstance(main.time_period, str) and main.time_period != str(year):
            text += f" ({period_label(main.time_period)})"
        branches = step[step.branch]
        if len(branches):
            text += " (" + "; ".join(f"{b.measure} {_figure(b.value, b.marker, b.unit)}" for b in branches.itertuples())
            text += ")"
        parts.append(text)
    return f"{la_name}, {year}: " + "; ".join(parts) + "."


def _neighbour_text(row, of: int) -> str:
    """'1,234 (800 to 2,000)' for a neighbours' median row ('; 9 of 10' when only 9 of the ``of`` neighbours
    have a figure); 'not published' without one."""
    if not pd.notna(row.value):
        return "not published"
    f = lambda v: format_value(v, None, row.unit)  # noqa: E731
    n = int(row.n_neighbours) if pd.notna(row.n_neighbours) else 0
    spread = f"{f(row.low)} to {f(row.high)}" if n > 1 else ""
    some = f"{n} of {of}" if n < of else ""
    inside = "; ".join(p for p in (spread, some) if p)
    return f"{f(row.value)} ({inside})" if inside else f(row.value)


#: Heading of the neighbours' column in :func:`comparison_table`.
NEIGHBOURS_COLUMN = "Neighbours: median (range)"


def comparison_table(rows: pd.DataFrame, la_name: str, region_name: str, n_neighbours: int) -> pd.DataFrame:
    """One line per measure, in journey order: Measure (a step's own count numbered, '↳' for a branch, the
    period added where it is not the calendar year: the January caseload), the authority's figure, its
    region's, England's and its ``n_neighbours`` neighbours' median (range), as published (markers kept,
    never zero). Five columns, so it fits a phone.

    ``rows``: from :func:`journey_rows`. Counts are shown side by side, never ranked (a count mostly reflects
    an authority's size); percentages are the comparable figures.
    """
    out = []
    steps_seen: list[str] = []
    for (step, _iid), g in rows.groupby(["step", "indicator_id"], sort=False):
        by = g.set_index("role")
        first = by.iloc[0]
        period = next((p for p in g.time_period if isinstance(p, str)), None)
        if step not in steps_seen:
            steps_seen.append(step)
            name = f"Step {len(steps_seen)}: {first.measure}"  # not '1.': a table cell is Markdown (a list)
        else:
            name = ("↳ " if first.branch else "") + first.measure
        if period and period_label(period) != period:  # a January count, read for the January after the year
            name += f" ({period_label(period)})"
        out.append(
            {
                "Measure": name,
                la_name: _figure(by.at[LA, "value"], by.at[LA, "marker"], first.unit),
                region_name: _figure(by.at[REGION, "value"], by.at[REGION, "marker"], first.unit),
                "England": _figure(by.at[ENGLAND, "value"], by.at[ENGLAND, "marker"], first.unit),
                NEIGHBOURS_COLUMN: _neighbour_text(by.loc[NEIGHBOURS], n_neighbours),
            }
        )
    return pd.DataFrame(out)


def history_rows(store: Store, la_code: str) -> pd.DataFrame:
    """The authority's own figure for every measure of the journey in every journey year (:func:`years`).

    Long rows: step, step_title, indicator_id, measure, unit, branch, area_code, area_name, time_period,
    year, journey_year (the calendar year the figure belongs to on the journey: a January count is that of
    the January after it), value, marker, source_id; in journey order, then time.
    """
    lines = _lines(store)
    own = _benchmark_rows(store, la_code)
    own = own[own.role == LA].rename(columns={"series": "area_name"})
    out = lines.merge(own, on="indicator_id")  # journey order, each measure's rows in time order
    out["journey_year"] = out.year - out.snapshot_lag
    cols = ["step", "step_title", "indicator_id", "measure", "unit", "branch", "area_code", "area_name",
            "time_period", "year", "journey_year", "value", "marker", "source_id"]  # fmt: skip
    return out[out.journey_year.isin(years(store))][cols].reset_index(drop=True)


def history_table(history: pd.DataFrame) -> pd.DataFrame:
    """:func:`history_rows` as one line per measure and one column per journey year (figures as published,
    markers kept; blank where that release does not publish the measure). A January count's label names the
    January it is read for."""
    lag = history.year != history.journey_year
    labels = [
        ("↳ " if b else "") + (f"{m.removesuffix(' (January)')}, the January after the year" if late else m)
        for m, b, late in zip(history.measure, history.branch, lag, strict=True)
    ]
    h = history.assign(
        label=labels,
        figure=[_figure(v, m, u) for v, m, u in zip(history.value, history.marker, history.unit, strict=True)],
    )
    wide = h.pivot_table(index="label", columns="journey_year", values="figure", aggfunc="first", sort=False)
    wide = wide.reindex(index=list(dict.fromkeys(h.label)), columns=sorted(h.journey_year.unique())).fillna("")
    wide.columns = [str(c) for c in wide.columns]
    return wide.rename_axis("Measure")
