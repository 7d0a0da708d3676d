"""The journey for one authority: from a request for an EHC needs assessment to a plan, the caseload, annual
reviews and ceased plans, with refusals, withdrawals and appeals branching off (send_pressure.journey)."""

import streamlit as st

from send_pressure import breakdowns, charts, journey, measures, ui
from send_pressure.escaping import md, md_table
from send_pressure.freshness import break_sentences

st.title("The EHC plan journey")
st.markdown(
    "From a request for an EHC needs assessment to a plan, and what happens to plans afterwards, for one "
    "local authority and one calendar year, beside its region, England and its statistical neighbours."
)

store = ui.store()
state = ui.link_state()
inds = store.indicators
years = journey.years(store)
c1, c2 = st.columns([3, 1])
with c1:
    la = ui.la_picker(state)
with c2:
    options = [str(y) for y in reversed(years)]
    year = int(st.selectbox("Year", options, index=options.index(state.choice("year", options, options[0], "year")),
                            key="w_year"))  # fmt: skip
    state.write(year=str(year))
steps = journey.steps(store)
keys = [s.key for s in steps]
titles = {s.key: s.title for s in steps}
chosen = state.choice("step", keys, keys[0], "step", titles[keys[0]])  # read before the notices are shown
ui.show_notices(state)
la_name = store.area_name(la)
la_md = md(la_name)  # source text, shown in Markdown
region_name = store.region_of(la)[1]
ui.page_title("EHC plan journey", la_name, str(year))
st.info(
    "Each step counts what happened in the calendar year (the caseload: the January after it). The steps do not "
    "follow the same children: a request made in December may be assessed, and its plan issued, the next year. "
    "Counts mostly reflect an authority's size, so they are shown, never ranked; percentages compare authorities.",
    icon="ℹ️",
)

rows = ui.shared(("journey rows", la, year), journey.journey_rows, store, la, year)

# --- the flow -----------------------------------------------------------------------------------------------
st.header(f"{la_md} in {year}")
flow = ui.shared(("journey flow", la, year), journey.flow_frame, rows, year)
count = inds[journey.steps(store)[0].counts[0]]
fig = ui.shared(("journey flow chart", la, year), charts.flow, flow, count, f"The EHC plan journey: {la_name}, {year}")
flow_words = ui.shared(("journey flow sentence", la, year), journey.flow_sentence, rows, la_name, year)
ui.chart_block(
    fig,
    flow,
    count,
    key=f"journey_flow_{la}_{year}",
    alt=flow_words,
    summary=md(flow_words)
    + " Hatched bars (↳) are part of the step above them: those that left the path there (refused, withdrawn,"
    " appealed) or, for annual reviews, the meetings held. A step with no published figure has no bar and says why.",
    url_path="journey",
)

# --- against England and the neighbours ---------------------------------------------------------------------
st.header(f"Each step against England and the neighbours, {year}")
st.markdown(
    f"{la_md} beside {md(region_name)}, England and the median of its statistical neighbours (the ten "
    "authorities the DfE judges most similar; range: lowest to highest of their own figures). A marker such as "
    "'x' is the publisher's: the figure is withheld, never zero."
)
table = ui.shared(
    ("journey table", la, year),
    lambda: md_table(
        journey.comparison_table(rows, la_name, region_name, len(store.neighbours(la))).set_index("Measure")
    ),
)
download = ui.shared(("journey download", la, year), ui.tidy_for_download, rows.drop(columns=["unit"]))
# A shared frame: record_rows memoises on the very frame, so one made at every run would pile up in the memo.
ui.record_rows(ui.shared(("journey rows drawn", la, year), lambda: rows.dropna(subset=["time_period"])))
ui.data_table(download, f"journey_{la}_{year}", table=(table, ""))

# --- why plans ceased --------------------------------------------------------------------------------------
ceased = next((t for t in breakdowns.topics(store) if t.key == journey.CEASED_REASONS), None)
ceased_rows = ui.shared(("breakdown rows", journey.CEASED_REASONS, la, breakdowns.SHARES), breakdowns.benchmark_rows,
                        store, ceased, la, breakdowns.SHARES) if ceased else None  # fmt: skip
ceased_years = (
    ui.shared(("ceased years", la), lambda: set(ceased_rows.dropna(subset=["count"]).time_period)) if ceased else set()
)
if str(year) in ceased_years:
    st.header(f"Why plans ceased, {year}")
    ui.distribution_block(ceased, la, str(year), breakdowns.SHARES, key=f"journey_ceased_{la}_{year}",
                          url_path="journey")  # fmt: skip
    st.caption("Every breakdown of ceased plans (age, placement, years held) is on the Breakdowns page.")

# --- over time ----------------------------------------------------------------------------------------------
st.header("Over time")
history = ui.shared(("journey history", la), journey.history_rows, store, la)
st.markdown(f"{la_md}'s own figures for every step, in every year published (blank: not in that release).")
breaks = ui.shared(
    ("journey history breaks", la),
    lambda: break_sentences(store.series_breaks, list(dict.fromkeys(history.indicator_id)), lambda i: inds[i].label),
)
if breaks:
    st.caption(" ".join(breaks))
ui.record_rows(history)
ui.data_table(
    ui.shared(("journey history download", la), ui.tidy_for_download, history.drop(columns=["unit"])),
    f"journey_history_{la}",
    table=(ui.shared(("journey history table", la), lambda: md_table(journey.history_table(history))), ""),
)

key = st.selectbox("Step to draw over time", keys, index=keys.index(chosen), format_func=titles.get, key="w_step")
state.write(step=key)
step = steps[keys.index(key)]
st.caption(step.what)
for iid in (*step.rates, *step.counts, *step.branches):
    ind = measures.as_indicator(store, iid)
    ui.benchmark_chart(
        iid,
        la,
        f"{journey.label(store, iid)}: {la_name} against benchmarks",
        key=f"journey_{iid}_{la}",
        summary=ind.definition + ("" if ind.comparable else f" Not ranked: {ind.not_comparable_because}."),
    )

ui.cite_this(f"EHC plan journey: {la_name}, {year}", "journey", also=("statistical_neighbours",))
