"""England and regions: every headline indicator over time for England, the nine regions side by side, and a
regional map."""

import streamlit as st

from send_pressure import charts, compare, ui
from send_pressure.catalogue import LONG_SERIES_NOTE, format_value, period_label
from send_pressure.escaping import md
from send_pressure.queries import ENGLAND

store = ui.store()
state = ui.link_state()
inds = store.indicators
headlines = [i for i, ind in inds.items() if ind.headline and store.periods(i)]

st.title("England and regions")
st.markdown(
    "England's published figures over time for every headline indicator, then the nine regions side by side. "
    "Regional figures are as published; where a source publishes none (SEND Tribunal appeal rates) the build "
    "computes them from the region's local authorities, counting '-' (nil) as zero, and says so on *About the data*."
)

st.header("England over time")
cols = st.columns(2)
for i, iid in enumerate(headlines):
    ind = inds[iid]
    long_id = ind.long_series_id
    with cols[i % 2]:
        if long_id in inds:
            # Caseloads: statements and plans together is the series that means the same thing over time.
            growth = ui.shared(("long run growth", ENGLAND, iid), compare.long_run_growth, store, ENGLAND, iid)
            summary = f"{growth or ''} {LONG_SERIES_NOTE}".strip()
            ui.areas_chart(
                (long_id, iid),
                (ENGLAND,),
                f"England: {ind.label}, with statements of SEN before 2019",
                key=f"england_{iid}",
                by="indicator",
                highlight=inds[long_id].label,
                summary=summary,
            )
        else:
            ui.areas_chart((iid,), (ENGLAND,), f"England: {ind.label}", key=f"england_{iid}", by="indicator",
                           highlight=ind.label)  # fmt: skip

st.header("Regions side by side")
# Also the long series behind a headline (statements and plans together), for growth across the transfer.
longs = [inds[i].long_series_id for i in headlines]
options = headlines + [i for i in longs if i in inds and i not in headlines]
ind = ui.indicator_picker(state, options, key="ind", default=options[0])
ui.page_title("England and regions", ind.label)
ui.show_notices(state)
state.notices.clear()  # shown; the period picker below reports its own
note = (
    f" {ind.label} is {ind.not_comparable_because}: regions differ in size, so compare their change, not their level."
    if not ind.comparable
    else ""
)
ui.areas_chart(
    (ind.indicator_id,),
    (*store.regions.region_code, ENGLAND),
    f"{ind.label}: regions and England",
    key=f"regions_{ind.indicator_id}",
    highlight="England",
    summary=f"Each line is one region; England is the thick line.{note} Exact figures are in the data table.",
)

period = ui.period_picker(state, ind.indicator_id, key="period", label="Period for the regional map")
ui.show_notices(state)  # the period's own notice (a link's period that has no figures)
state.notices.clear()
if period is None:
    st.stop()
shown = ind if ind.comparable else compare.growth_indicator(ind)
snap = ui.shared(("region snapshot", ind.indicator_id, period), compare.region_snapshot, store, ind, period)
if snap.empty:
    st.info(f"{ind.label} has no regional figures for {period_label(period)}.")
    st.stop()
title = f"Regions: {shown.label}, {period_label(period)}"
st.subheader(title)
fig = compare.map_figure(store, ind.indicator_id, period, title, regional=True)


def _map_summary() -> str:
    """The map in words: the regions with the lowest and highest figure, and how to read the shading."""
    figures = snap.drop_duplicates("region_code").dropna(subset=["value"]).sort_values("value")
    return (
        "Each local authority is shaded with its region's figure. "
        + (
            f"Lowest: {md(figures.region_name.iloc[0])} ({format_value(figures.value.iloc[0], None, shown.unit)}); "
            f"highest: {md(figures.region_name.iloc[-1])} ({format_value(figures.value.iloc[-1], None, shown.unit)}). "
            if len(figures)
            else ""
        )
        + charts.map_legend_sentence(shown)
    )


summary = ui.shared(("region map summary", ind.indicator_id, period), _map_summary)
table = ui.shared(
    ("region map rows", ind.indicator_id, period),
    lambda: snap.drop_duplicates("region_code").assign(
        area_code=lambda d: d.region_code, area_name=lambda d: d.region_name
    ),
)
ui.chart_block(fig, table, shown, key=f"regions_map_{ind.indicator_id}", summary=summary)

ui.cite_this("England and regions", "england")
