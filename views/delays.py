"""Assessment delays: how quickly an LA issues new EHC plans, against its region, England and its neighbours."""

import pandas as pd
import streamlit as st

from send_pressure import charts, compare, narrative, ui, uncertainty
from send_pressure.catalogue import (
    UNRANKED_NOTE,
    format_value,
    in_topic,
    lead,
    marker_reason,
    period_label,
    period_words,
    rank_text,
)
from send_pressure.escaping import md
from send_pressure.uncertainty import small_number_note

#: The page shows the timeliness topic's rates (20 weeks, more than a year; with and without exceptions).
TOPIC = "timeliness"

st.title("Assessment delays")
st.markdown(
    "The law allows 20 weeks from a request for an EHC needs assessment to the final EHC plan. "
    "These figures show how many new plans each local authority issued in time, and how many took over a year."
)

store = ui.store()
state = ui.link_state()
c1, c2, c3 = st.columns([2, 3, 1])
with c1:
    la = ui.la_picker(state)
with c2:
    measures = [i.indicator_id for i in in_topic(store.indicators, TOPIC, "rate")]
    ind = ui.indicator_picker(state, measures, label="Measure", default=lead(store.indicators, TOPIC).indicator_id)
with c3:
    period = ui.period_picker(state, ind.indicator_id, label="Year")
ui.show_notices(state)
st.caption(ind.definition)

la_name = store.area_name(la)
la_md = md(la_name)  # source text, shown in Markdown
ui.page_title("Assessment delays", la_name, ind.label, period_label(period))
region_name = store.region_of(la)[1]
bench = ui.benchmarks(ind.indicator_id, la)
# One row per role (LA, region, England, neighbours' median) in the chosen year; each neighbour is listed below.
at_period = ui.shared(
    ("benchmark roles", ind.indicator_id, la, period),
    lambda: bench[(bench.time_period == period) & (bench.role != "neighbour")].set_index("role"),
)


def _fig(role: str) -> str:
    """The figure of one benchmark role in the chosen year, as published (marker or 'not published')."""
    if role not in at_period.index:
        return "not published"
    return format_value(at_period.at[role, "value"], at_period.at[role, "marker"], ind.unit)


def _value(role: str) -> float | None:
    v = at_period.at[role, "value"] if role in at_period.index else None
    return None if v is None or v != v else float(v)


# --- summary sentence -------------------------------------------------------------------------------
own, eng = _value("la"), _value("england")
when = period_words(ind, period)
if own is None:
    marker = at_period.at["la", "marker"] if "la" in at_period.index else None
    reason = store.marker_note(ind.indicator_id, la, period) or marker_reason(marker) or "not in the publication"
    st.markdown(f"**{md(narrative.not_published_sentence(ind, la_name, when, reason))}**")
else:
    side = [narrative.versus("England", own, eng, _fig("la"), _fig("england"))] if eng is not None else []
    st.markdown(f"**{md(narrative.figure_sentence(ind, la_name, when, _fig('la'), side))}**")

n_total = len(store.neighbours(la))
group = ui.shared(
    ("neighbour group", ind.indicator_id, la),
    lambda: compare.group_series(store, ind, store.neighbours(la).neighbour_code.tolist()),
)
group = ui.shared(("neighbour group", ind.indicator_id, la, period), lambda: group[group.time_period == period])
nb_row = group.iloc[0] if len(group) else None
pooled = (
    f"; pooled (their plans in time over their plans issued, summed): {format_value(nb_row.pooled, None, ind.unit)}"
    if nb_row is not None and nb_row.pooled == nb_row.pooled
    else ""
)
st.markdown(
    f"{md(region_name)}: {_fig('region')} · England: {_fig('england')} · statistical neighbours: "
    f"{compare.group_summary_text(nb_row, ind.unit, n_total)}{pooled}."
)
each = ui.shared(("neighbour figures", ind.indicator_id, la), compare.neighbour_figures, store, ind.indicator_id, la)
each = ui.shared(("neighbour figures", ind.indicator_id, la, period), lambda: each[each.time_period == period])
better = narrative.count_better(ind, own, each.value)
if len(each) and better is not None:
    st.markdown(f"**{better} of {la_md}'s {len(each)} neighbours with a row did better in {period_label(period)}.**")
with st.expander(f"Each neighbour's figure, {period_label(period)}"):
    neighbours_table = ui.shared(
        ("neighbour figures table", ind.indicator_id, la, period),
        lambda: pd.DataFrame(
            {
                "Neighbour (closest first)": each.area_name,
                "Closeness": each.closeness,
                ind.label: [format_value(v, m, ind.unit) for v, m in zip(each.value, each.marker, strict=True)],
            }
        ),
    )
    ui.drawn(
        ("neighbour figures table", ui.identity(neighbours_table)),
        st.dataframe,
        neighbours_table,
        hide_index=True,
        width="stretch",
    )

ui.benchmark_chart(
    ind.indicator_id,
    la,
    f"{ind.chart_title}: {la_name} against benchmarks",
    key=f"delays_trend_{ind.indicator_id}_{la}",
    summary=(
        f"Thick line: {la_md}. A break in a line and a grey column mean no published figure (hover for the reason). "
        f"Statistical neighbours: the ten authorities the DfE judges most similar; the line is their median, and "
        f"'{charts.EACH_NEIGHBOUR}' in the legend draws each one."
    ),
)

# --- ranking ---------------------------------------------------------------------------------------
st.header(f"All local authorities, {period_label(period)}")
ranked = store.ranked(ind.indicator_id, period)


def _ranking_text() -> tuple[str, str, str | None, float | None]:
    """(the authority's place, the ranking chart's summary, the authorities without a figure or None, England's
    figure) for this measure, year and authority: shared, not worked out at every rerun."""
    cases = ui.shared(
        ("interval denominators", ind.indicator_id, period),
        lambda: uncertainty.intervals(store, ind, period).set_index("area_code").denominator,
    )
    few = ranked[ranked.area_code.map(cases) < uncertainty.SMALL_N].dropna(subset=["value"])
    national = store.snapshot(ind.indicator_id, period, "National")
    england = national.value.iloc[0] if len(national) and national.value.notna().iloc[0] else None
    own_row = ranked[ranked.area_code == la]
    if len(own_row) and own_row["rank"].notna().iloc[0]:
        place = rank_text(own_row["rank"].iloc[0], int(own_row.ranked_of.iloc[0]), bool(own_row.tied.iloc[0]))
        # A rank resting on a handful of cases says so.
        small = small_number_note(cases.get(la, float("nan")))
        place_md = (
            f"**{la_md} ranks {place}** local authorities in {period_label(period)} "
            f"(1st = {narrative.first_place(ind)} figure, {narrative.polarity_words(ind)}; tied "
            "authorities share a place)" + (f", {small}." if small else ".")
        )
    else:
        place_md = f"**{la_md} is not ranked for {period_label(period)}** (no figure, or too small to compare)."
    summary = (
        f"Bars are ordered {narrative.ranking_order(ind)}; the dashed line is England. {la_md} is "
        "highlighted. The chart draws "
        f"every authority with a figure ({int(ranked.value.notna().sum())}), including City of London or Isles of "
        "Scilly when they have one, but they are not ranked."
        + (
            f" {len(few)} of these figures rest on fewer than {uncertainty.SMALL_N} plans, so their place means "
            "little: "
            + ", ".join(f"{md(n)} ({cases[a]:.0f})" for n, a in zip(few.area_name, few.area_code, strict=True))
            + "."
            if len(few)
            else ""
        )
    )
    missing = ranked[ranked.value.isna()]
    missing_md = (
        f"**No figure for {period_label(period)}:** "
        + "; ".join(
            f"{md(n)} ({store.marker_note(ind.indicator_id, a, period) or marker_reason(m) or 'not published'})"
            for n, a, m in zip(missing.area_name, missing.area_code, missing.marker, strict=True)
        )
        if len(missing)
        else None
    )
    return place_md, summary, missing_md, england


place_md, ranking_summary, missing_md, england = ui.shared(
    ("delays ranking text", ind.indicator_id, period, la), _ranking_text
)
st.markdown(place_md)
ui.chart_block(
    ui.shared(
        ("delays ranking", ind.indicator_id, period, la),
        lambda: charts.ranking(ranked, ind, f"{ind.label}, {period_label(period)}", highlight=la, england=england),
    ),
    ranked,
    ind,
    key=f"delays_rank_{ind.indicator_id}_{period}",
    summary=ranking_summary,
)
if missing_md:
    st.markdown(missing_md)
st.caption(UNRANKED_NOTE)

ui.cite_this("Assessment delays", "delays")
