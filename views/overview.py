"""Overview: England headline figures, and the local authorities whose figures moved most."""

import pandas as pd
import streamlit as st

from send_pressure import charts, compare, ui
from send_pressure.catalogue import UNRANKED_NOTE, format_change, format_value, lead, period_label
from send_pressure.escaping import md
from send_pressure.queries import ENGLAND

#: The colour of a tile's change, by whether a rise is better (``Indicator.better_than``): None is neither.
DELTA_COLOUR = {True: "normal", False: "inverse", None: "off"}

st.title("SEND in England: the latest official figures")
st.markdown(
    "England totals for the most recent period of each measure, with the change on the period before. "
    "Periods are shown as published: January census years (2024/25), calendar years (2024) and financial "
    "years (2023-24)."
)

store = ui.store()
state = ui.link_state()
inds = store.indicators
#: The England tiles: the catalogue's headline indicators, in its order (request to plan, appeals, funding).
tiles = [i for i, ind in inds.items() if ind.headline]
#: Indicators offered for "biggest changes": those with two periods or more.
change_options = ui.shared(("indicators with changes",), lambda: [i for i in inds if len(store.periods(i)) > 1])

# One row of columns per four tiles, so on a narrow screen the tiles stack in reading order.
rows = [st.columns(4) for _ in range(0, len(tiles), 4)]
lines = []
for i, iid in enumerate(tiles):
    ind = inds[iid]
    series = ui.shared(("england series", iid), store.series, iid, [ENGLAND])
    ui.record_rows(series)
    lines.append(ui.shared(("england series labelled", iid), series.assign, series=ind.label, indicator_id=iid))
    latest, previous = compare.change(series)
    with rows[i // 4][i % 4], st.container(border=True):
        st.markdown(f"**{ind.label}**", help=ind.definition)
        if latest is None:
            st.metric(ind.label, "not published", label_visibility="collapsed")
            continue
        delta = None if previous is None else latest.value - previous.value
        shown = format_value(latest.value, latest.marker, ind.unit, compact=True)
        st.metric(
            ind.label,
            shown,
            delta=format_change(delta, ind.unit),
            delta_color=DELTA_COLOUR[ind.better_than(1, 0)],
            label_visibility="collapsed",
        )
        since = f"; change on {period_label(previous.time_period)}" if previous is not None else ""
        st.caption(f"England, {period_label(latest.time_period)}{since}")
        # A caseload's line counts statements of SEN before 2019, so the transfer to plans does not read as growth.
        long_id = ind.long_series_id
        line = ui.shared(("england series", long_id), store.series, long_id, [ENGLAND]) if long_id in inds else series
        if long_id in inds:
            st.caption("Line: statements of SEN and EHC plans together before 2019.")
        breaks = ui.breaks_for(iid)
        for first in breaks.first_period:
            st.caption(f"Line broken before {period_label(first)}: counted by a new method from then on.")
        spark = ui.shared(("sparkline", iid), charts.sparkline, line, breaks)
        alt = f"Line of {ind.label}, England, {ui.shared(('england span', iid), charts.period_span, series)}. "
        alt += f"Latest: {shown}."
        # Converted to JSON once per process, then replayed (ui.drawn).
        ui.drawn(
            ("sparkline", ui.identity(spark), alt),
            st.plotly_chart,
            spark,
            key=f"spark_{iid}",
            config={"staticPlot": True},
            width="stretch",
            alt=alt,
        )
st.caption(
    "Colour of the change: green is better and red is worse where a lower or higher figure is clearly better "
    "(refusals, appeals, 20-week timeliness); grey where it is neither (numbers of plans, requests, funding). "
    "Lines: every published period, England. Sources: DfE *Education, health and care plans*, HMCTS tribunal "
    "statistics and DfE dedicated schools grant allocations (see About the data)."
)

with st.expander("Data table: the lines in the tiles"):
    tiles = ui.shared(("overview tiles table",), lambda: ui.tidy_for_download(pd.concat(lines, ignore_index=True)))
    ui.data_table(tiles, "overview_tiles")

st.header("Biggest changes since the previous period")
ind = ui.indicator_picker(state, change_options, default=lead(inds, "plans").indicator_id)
ui.page_title("Overview", ind.label)
ui.show_notices(state)
changes = ui.shared(("biggest changes", ind.indicator_id), compare.biggest_changes, store, ind.indicator_id)
if changes.empty:
    st.warning("This measure has fewer than two published periods, so there is no change to show.")
    st.stop()
prev, last = changes.previous_period.iloc[0], changes.latest_period.iloc[0]
st.markdown(
    f"The ten local authorities with the biggest change in **{ind.label}** between "
    f"{period_label(prev)} and {period_label(last)} (largest rise or fall, either way)."
)


def _changes_table() -> pd.DataFrame:
    # A change this big is often a data problem: the build's flag on the latest figure sits beside it.
    flagged = store.attach_flags(changes.assign(time_period=last), ind.indicator_id)
    return changes.assign(
        previous=changes.previous.map(lambda v: format_value(v, None, ind.unit)),
        latest=changes.latest.map(lambda v: format_value(v, None, ind.unit)),
        change=changes.change.map(lambda d: format_change(d, ind.unit)),
        flag=flagged.flag.to_numpy(),
    )[["area_name", "previous", "latest", "change", "flag"]].rename(
        columns={
            "area_name": "Local authority",
            "previous": period_label(prev),
            "latest": period_label(last),
            "change": "Change",
            "flag": "Data quality",
        }
    )


table = ui.shared(("biggest changes table", ind.indicator_id), _changes_table)
ui.drawn(("biggest changes table", ui.identity(table)), st.dataframe, table, hide_index=True, width="stretch")
rows = ui.shared(
    ("biggest changes rows", ind.indicator_id),
    lambda: store.series(ind.indicator_id, list(changes.area_code)).pipe(lambda r: r[r.time_period.isin([prev, last])]),
)
ui.chart_block(
    ui.shared(
        ("biggest changes chart", ind.indicator_id),
        lambda: charts.changes(changes, ind, f"Change: {ind.label}, {period_label(prev)} to {period_label(last)}"),
    ),
    rows,
    ind,
    key=f"overview_changes_{ind.indicator_id}",
    summary=(
        f"Largest: {md(changes.area_name.iloc[0])} ({format_change(changes.change.iloc[0], ind.unit)}). "
        "Plain bars are rises, hatched bars are falls. Authorities without a figure in either period are left out. "
        "Big authorities dominate changes in counts."
    ),
)
st.caption(UNRANKED_NOTE + " They are also left out of this list.")

ui.cite_this("Overview")  # served at the root
