"""Compare and map: every LA on a map for one indicator and period, any two indicators against each other,
and a sortable table with ranks and quartiles."""

import streamlit as st

from send_pressure import charts, compare, narrative, ui
from send_pressure.catalogue import UNRANKED_NOTE, format_value, lead, period_label
from send_pressure.escaping import md
from send_pressure.queries import ENGLAND

store = ui.store()
state = ui.link_state()
options = ui.shared(("indicators with figures",), lambda: [i for i in store.indicators if store.periods(i)])

st.title("Compare and map")
c1, c2 = st.columns(2)
with c1:
    ind = ui.indicator_picker(state, options, key="ind", default=lead(store.indicators, "timeliness").indicator_id)
with c2:
    period = ui.period_picker(state, ind.indicator_id, key="period")
ui.show_notices(state)
state.notices.clear()  # shown; the scatter's pickers below report their own
if period is None:
    st.stop()
ui.page_title("Compare and map", ind.label, period_label(period))
st.caption(ind.definition)

# A size count is not compared across authorities: the map and table show its change instead.
shown_ind = ind if ind.comparable else compare.growth_indicator(ind)
if ind.comparable:
    snap = ui.shared(("snapshot", ind.indicator_id, period), store.snapshot, ind.indicator_id, period)
else:
    snap = ui.shared(
        ("growth snapshot", ind.indicator_id, period), compare.growth_snapshot, store, ind.indicator_id, period
    )
    if snap.empty:
        st.info(
            f"{ind.label} is {ind.not_comparable_because}, so authorities are not ranked or coloured by it, and "
            f"{period_label(period)} is its first period, so there is no change to show. Pick a later period."
        )
        st.stop()
    prev = snap.previous_period.iloc[0]
    st.info(
        f"**{ind.label}** is {ind.not_comparable_because}, so authorities are not ranked, banded or coloured by "
        f"it. The map and table show each authority's change from {period_label(prev)} to {period_label(period)} "
        "instead (a percentage, comparable between large and small authorities)."
    )
ranked = (
    store.ranked(ind.indicator_id, period)
    if ind.comparable
    else ui.shared(("ranked growth", ind.indicator_id, period), compare.rank_authorities, snap, shown_ind)
)

# Map.
title = f"{shown_ind.label}, {period_label(period)}"
st.header(f"Map: {title}")
fig = (
    compare.map_figure(store, ind.indicator_id, period, title)
    if ind.comparable
    else ui.shared(
        ("growth map", ind.indicator_id, period),
        charts.choropleth,
        snap,
        compare.map_boundaries(store),
        shown_ind,
        title,
    )
)
cover = ui.shared(("map coverage", ind.indicator_id, period), compare.map_coverage, snap, store.boundaries)
england = snap.value.dropna()
eng_row = store.series(ind.indicator_id, [ENGLAND])
eng_row = eng_row[eng_row.time_period == period]
summary = (
    f"{len(england)} authorities have a figure"
    + (
        f"; England {format_value(eng_row.value.iloc[0], eng_row.marker.iloc[0], ind.unit)}"
        if len(eng_row) and ind.comparable
        else ""
    )
    + f". Values range from {format_value(england.min(), None, shown_ind.unit)} to "
    f"{format_value(england.max(), None, shown_ind.unit)}. "
    + charts.map_legend_sentence(shown_ind)
    + " Hover an area for its figure; exact figures are in the table below."
)
ui.chart_block(fig, snap, shown_ind, key="compare_map", summary=summary)
if cover["no_figure"]:
    st.markdown(f"**Drawn in light grey, no figure ({len(cover['no_figure'])}):** " + ", ".join(cover["no_figure"]))
if cover["no_shape"]:
    st.markdown(
        f"**Figures for former authorities not on the current map ({len(cover['no_shape'])}):** "
        + ", ".join(cover["no_shape"])
    )
if cover["several_shapes"]:
    st.warning("Codes matching more than one shape: " + ", ".join(cover["several_shapes"]))

# Table.
st.header(f"All local authorities: {title}")
if ind.comparable:
    st.caption(
        f"Click a column heading to sort. Rank 1 = {narrative.first_place(ind)} value "
        f"({narrative.polarity_words(ind)} for this indicator); ties share a place. "
        "Where the publisher gives the denominator, the 95% interval (Wilson) shows how far chance alone could move "
        "the figure, 'Compared with England' says whether England lies outside it (significantly better or worse) "
        "and 'Small number' marks figures resting on fewer than 10 cases: their rank means little. " + UNRANKED_NOTE
    )
    table = ui.shared(
        ("ranking table", ind.indicator_id, period), compare.ranking_table, ranked, store.local_authorities, ind, store
    )
else:
    st.caption("Click a column heading to sort. Not ranked: the change is context, not a league table.")
    table = ui.shared(
        ("change table", ind.indicator_id, period), compare.change_table, snap, store.local_authorities, ind
    )
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={"Value": st.column_config.NumberColumn(format=f"%.{shown_ind.decimals}f")},
)

# Scatter.
st.header("Two indicators against each other")
c1, c2 = st.columns(2)
with c1:
    st.markdown(f"Across: **{ind.label}**")
with c2:
    # A different indicator up the side (the same one on both axes says nothing).
    others = [o for o in options if o != ind.indicator_id]
    caseload = lead(store.indicators, "plans").indicator_id
    ind2 = ui.indicator_picker(
        state, others, key="ind2", label="Up the side", default=caseload if caseload in others else others[0]
    )
highlight = None
if st.toggle("Highlight a local authority", value=bool(st.query_params.get("la")), key="w_highlight"):
    highlight = ui.la_picker(state, key="la")
else:
    state.write(la=None)
ui.show_notices(state)  # after the pickers, so an unknown authority in the link is reported too
pair = (ind.indicator_id, ind2.indicator_id)
wide = ui.shared(("wide", *pair), store.wide, list(pair))
px, py = store.latest_period(ind.indicator_id), store.latest_period(ind2.indicator_id)
title = f"{ind2.label} ({period_label(py)}) against {ind.label} ({period_label(px)})"
fig = ui.shared(
    ("scatter", *pair, highlight),
    lambda: (
        charts.scatter(wide, ind, ind2, title, highlight=highlight)
        .update_xaxes(title=f"{ind.label}, {period_label(px)} ({ind.short_unit})")
        .update_yaxes(title=f"{ind2.label}, {period_label(py)} ({ind2.short_unit})")
    ),
)
rows = ui.shared(("pair rows", *pair), compare.pair_rows, store, *pair)
n = (
    len(wide.dropna(subset=[ind.indicator_id, ind2.indicator_id]))
    if ind.indicator_id in wide and ind2.indicator_id in wide
    else 0
)
summary = (
    f"Each point is one of {n} authorities with both figures, using the latest period of each "
    f"({period_label(px)} across, {period_label(py)} up)."
    + (f" {md(store.area_name(highlight))} is the large star." if highlight else "")
)
ui.chart_block(fig, rows, ind2, key="compare_scatter", summary=summary)

ui.cite_this("Compare and map", "compare", also=("boundaries_2023",))
