"""Breakdowns: one authority's distribution of an indicator (primary need, placement, age ...) against its region,
England and its statistical neighbours, as shares or counts, over time (send_pressure.breakdowns)."""

import streamlit as st

from send_pressure import breakdowns, charts, ui
from send_pressure.catalogue import period_label
from send_pressure.escaping import md, md_table

st.title("Breakdowns")
st.markdown(
    "How an authority's children and young people with EHC plans divide up (by primary need, placement, age "
    "and other breakdowns the releases publish), beside its region, England and its statistical neighbours."
)

store = ui.store()
state = ui.link_state()
topics = breakdowns.topics(store)
if not topics:
    st.warning("This database holds no breakdowns. Rebuild it with `python -m etl build`.")
    st.stop()
inds = store.indicators
c1, c2, c3 = st.columns([2, 2, 3])
with c1:
    la = ui.la_picker(state)
with c2:
    figure = ui.indicator_picker(state, breakdowns.figures(store), key="fig", label="Figure").indicator_id
with c3:
    by_key = {t.key: t for t in topics if t.figure == figure}
    keys = list(by_key)
    chosen = state.choice("bd", keys, keys[0], "breakdown", breakdowns.label(store, by_key[keys[0]]))
    key = st.selectbox("Broken down by", keys, index=keys.index(chosen), key=f"w_bd_{figure}",
                       format_func=lambda k: breakdowns.label(store, by_key[k]).split(" by ", 1)[1])  # fmt: skip
    state.write(bd=key)
topic = by_key[key]
c4, c5 = st.columns(2)
with c5:
    measures = {breakdowns.SHARES: "Shares (% of the authority's total)", breakdowns.COUNTS: "Counts"}
    m = state.choice("as", list(measures), breakdowns.SHARES, "measure", measures[breakdowns.SHARES])
    measure = st.radio("Show", list(measures), index=list(measures).index(m), format_func=measures.get,
                       horizontal=True, key="w_as")  # fmt: skip
    state.write(**{"as": measure})
rows = ui.shared(("breakdown rows", key, la, measure), breakdowns.benchmark_rows, store, topic, la, measure)
periods = list(dict.fromkeys(rows.dropna(subset=["count"]).sort_values("year").time_period))
with c4:
    newest_first = periods[::-1]
    p = state.choice("period", newest_first, newest_first[0], "period")
    period = st.selectbox("Period", newest_first, index=newest_first.index(p), format_func=period_label,
                          key=f"w_period_{key}")  # fmt: skip
    state.write(period=period)
cats = list(dict.fromkeys(rows.breakdown))
c = state.choice("cat", cats, cats[0], "category")  # read before the notices are shown
ui.show_notices(state)

ind = inds[figure]
shown = breakdowns.share_indicator(ind) if measure == breakdowns.SHARES else ind
la_name = store.area_name(la)
la_md = md(la_name)  # source text, shown in Markdown
what = breakdowns.label(store, topic)
ui.page_title("Breakdowns", la_name, what, period_label(period))
st.caption(ind.definition)

# --- the distribution in one period ----------------------------------------------------------------------------
st.header(f"{la_md}, {period_label(period)}")
ui.distribution_block(topic, la, period, measure, key=f"explore_{figure}_{la}_{period}_{measure}", url_path="explore")

# --- over time -------------------------------------------------------------------------------------------------
st.header("Over time")
cat = st.selectbox("Category", cats, index=cats.index(c), key=f"w_cat_{key}")
state.write(cat=cat)
one = ui.shared(("breakdown category", key, la, measure, cat), lambda: rows[rows.breakdown == cat])
if len(periods) == 1:
    st.info(f"This database holds this breakdown for {period_label(periods[0])} only.", icon="ℹ️")
trend = ui.shared(
    ("breakdown trend", key, la, measure, cat),
    charts.trend,
    one,
    shown,
    f"{shown.label}: {cat}, {la_name} against benchmarks",
)
ui.chart_block(trend, one, shown, key=f"explore_trend_{figure}_{la}_{measure}", url_path="explore")
st.subheader(f"{la_md}: every category in every period")
history = ui.shared(("breakdown history", key, la, measure),
                    lambda: md_table(breakdowns.history_table(rows, measure)))  # fmt: skip
own_rows = ui.shared(("breakdown own rows", key, la, measure), lambda: rows[rows.role == "la"])
ui.data_table(
    ui.shared(
        ("breakdown history download", key, la, measure),
        ui.tidy_for_download,
        own_rows.assign(indicator_id=shown.indicator_id),
        shown,
    ),  # fmt: skip
    f"explore_history_{figure}_{la}_{measure}",
    shown,
    table=(history, ""),
)

ui.cite_this(f"Breakdowns: {what}, {la_name}", "explore", also=("statistical_neighbours",))
