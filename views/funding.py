"""Funding: an LA's high needs block over time, per EHC plan against its comparators, and growth of funding
against growth of plans."""

import streamlit as st

from send_pressure import charts, compare, freshness, ui
from send_pressure.catalogue import format_value, lead, period_label
from send_pressure.escaping import md
from send_pressure.queries import ENGLAND

store = ui.store()
state = ui.link_state()
inds = store.indicators
# The funding topic's lead is the block per EHC plan; its numerator and denominator are the block and the plans.
per_plan = lead(inds, "funding")
hnb, plans = inds[per_plan.numerator_id], inds[per_plan.denominator_id]

st.title("High needs funding")
st.markdown(
    "The **high needs block** is the part of the dedicated schools grant (DSG) that pays for special educational "
    "provision. Figures are allocations for each financial year (April to March)."
)
la_code = ui.la_picker(state)
ui.show_notices(state)
dsg = ui.shared(
    ("funding missing notices",),
    lambda: freshness.missing_notices(
        store.sources[store.sources.publication.fillna("").str.contains("dedicated-schools-grant")]
    ),
)
for notice in dsg:
    st.info(notice)
la_name = store.area_name(la_code)
la_md = md(la_name)  # source text, shown in Markdown
ui.page_title("High needs funding", la_name)
region_code, region_name = store.region_of(la_code)

st.caption(
    "City of London and Isles of Scilly are not in the DSG tables, so they have no funding figures. "
    "Financial year 2019-20 comes from the combined 2019-20 to 2023-24 file (its £ million sheet converted to £); "
    "each later year comes from its own allocations file. The source of every figure is in the data tables."
)

# 1. The LA's allocation over time.
own = ui.shared(("funding series", la_code), lambda: store.series(hnb.indicator_id, [la_code]).assign(series=la_name))
st.header(f"{la_md}: high needs block allocation")


def _own_summary() -> str | None:
    """The authority's latest allocation against its first, in words; None when none is published."""
    published = own.dropna(subset=["value"])
    if published.empty:
        return None
    latest, first = published.iloc[-1], published.iloc[0]
    return (
        f"{la_md}'s high needs block was **{format_value(latest.value, None, 'gbp')}** in "
        f"{period_label(latest.time_period)}"
        + (
            f", against {format_value(first.value, None, 'gbp')} in {period_label(first.time_period)}."
            if len(published) > 1
            else ", the only year with a published figure for this authority."
        )
    )


summary = ui.shared(("funding summary", la_code), _own_summary)
if summary is not None:
    fig = ui.shared(
        ("funding trend", la_code),
        charts.trend,
        own,
        hnb,
        f"High needs block allocation, {la_name} (£)",
        highlight=la_name,
    )
    ui.chart_block(fig, own, hnb, key="funding_la", summary=summary)
else:
    st.info(f"No high needs block figures are published for {la_md}.")

# 2. Region and England (much larger, so in a chart of their own).
st.header(f"{md(region_name)} and England: high needs block allocation")
wider = ui.shared(
    ("funding region series", region_code),
    lambda: store.series(hnb.indicator_id, [region_code, ENGLAND]).pipe(
        lambda w: w.assign(series=w.area_name, role=w.area_code.map({ENGLAND: "england", region_code: "region"}))
    ),
)
fig = ui.shared(
    ("funding region trend", region_code),
    charts.trend,
    wider,
    hnb,
    f"High needs block allocation, {region_name} and England (£)",
)


def _england_summary() -> str | None:
    eng = wider[wider.area_code == ENGLAND].dropna(subset=["value"])
    return (
        f"England's high needs block was **{format_value(eng.value.iloc[-1], None, 'gbp')}** in "
        f"{period_label(eng.time_period.iloc[-1])}."
        if len(eng)
        else None
    )


summary = ui.shared(("funding england summary", region_code), _england_summary)
ui.chart_block(fig, wider, hnb, key="funding_region_england", summary=summary)

# 3. Per EHC plan against region, England and statistical neighbours.
st.header("High needs block per EHC plan")
st.markdown(
    "The allocation for the financial year divided by the EHC plans maintained in the January within it "
    "(2023-24 uses January 2024). The statistical-neighbour line is the median of their own figures (each "
    "neighbour is in the legend and the data table). There is no pupil headcount in these tables, so no "
    "per-pupil figure."
)


def _per_plan_summary() -> str | None:
    """The latest year's figure per EHC plan for the authority, region, England and neighbours' median."""
    bench = ui.benchmarks(per_plan.indicator_id, la_code)
    last = bench[(bench.year == bench.year.max()) & (bench.role != "neighbour")]
    parts = [
        f"{s}: {format_value(v, None, per_plan.unit)}" for s, v in zip(last.series, last.value, strict=True) if v == v
    ]
    median = last[last.role == "neighbours"]
    nb = median.n_neighbours.iloc[0] if len(median) else None
    return (
        (
            f"In {period_label(last.time_period.iloc[0])}: "
            + "; ".join(parts)
            + "."
            + (
                f" Neighbours' median from {int(nb)} of 10 statistical neighbours."
                if nb == nb and nb is not None
                else ""
            )
        )
        if len(last)
        else None
    )


summary = ui.shared(("funding per plan summary", la_code), _per_plan_summary)
ui.benchmark_chart(
    per_plan.indicator_id,
    la_code,
    f"High needs block per EHC plan: {la_name} and comparators (£)",
    key="funding_per_plan",
    summary=summary,
)

# 4. Growth of funding against growth of plans.
st.header("Growth in funding against growth in EHC plans")
growth = ui.shared(
    ("funding growth", la_code),
    compare.indexed_growth,
    store,
    [la_code, ENGLAND],
    (hnb.indicator_id, plans.indicator_id),
)
if growth.year.nunique() < 2:
    st.info(f"{la_md} has fewer than two years with both a high needs block and an EHC plan count: no growth yet.")
else:
    base = growth.base_period.iloc[0]

    def _growth_summary() -> str:
        end = growth[growth.year == growth.year.max()].set_index("series").value
        lines = [f"{s}: {v:.0f}" for s, v in end.items()]
        return (
            f"Each line is indexed to {base} = 100 (the first year with both figures). By "
            f"{growth.time_period.iloc[-1]}: " + "; ".join(lines) + ". Above 100 means growth since "
            f"{base}. EHC plans are the January count within each financial year. The data table's 'figure' column "
            "is the index; the CSV also has the published figures (raw_value)."
        )

    index_ind = plans  # the index is formatted as a whole number, like a count
    fig = ui.shared(
        ("funding growth chart", la_code),
        lambda: charts.trend(
            growth,
            index_ind,
            f"Index, {base} = 100: high needs block and EHC plans",
            highlight=f"{la_name}: {hnb.label}",
        ).update_yaxes(title=f"Index ({base} = 100)", ticksuffix=""),
    )
    ui.chart_block(
        fig,
        growth,
        index_ind,
        key="funding_growth",
        summary=ui.shared(("funding growth summary", la_code), _growth_summary),
    )

ui.cite_this("High needs funding", "funding")
