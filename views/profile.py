"""Local authority profile: one LA on one page (headline table, trends, neighbours and data notes)."""

import streamlit as st

from send_pressure import profile, ui
from send_pressure.briefing import pdf_engine_problem
from send_pressure.catalogue import UNRANKED, UNRANKED_NOTE, period_label

store = ui.store()
state = ui.link_state()
inds = store.indicators

st.title("Local authority profile")
la_code = ui.la_picker(state)
ui.show_notices(state)
la_name = store.area_name(la_code)
ui.page_title("Local authority profile", la_name)
la = store.local_authorities.set_index("new_la_code")
st.markdown(f"**{la_name}** ({la_code}, DfE number {la.at[la_code, 'old_la_code']}), {la.at[la_code, 'region_name']}.")

table = profile.headline_table(store, la_code)
st.header("Headline figures")
st.markdown(
    "Latest published figure for each headline indicator, the one before, and how the authority compares. "
    "Ranks are among all local authorities with a figure (ties share a place: 'joint'); 'How ranked' says what "
    "1st means. Quartile A is the top quarter of ranks. Neighbour figures are for the 10 statistical neighbours; "
    "rates are recomputed from their totals, counts are their average."
)
shown = profile.display_table(table, store.sources)
st.dataframe(shown, hide_index=True, width="stretch")
if la_code in UNRANKED:
    st.info(UNRANKED_NOTE)
# The CSV keeps the published figure and marker beside the formatted text.
download = shown.assign(
    time_period=table.latest_period, value=table.latest_value, marker=table.latest_marker, source_id=table.source_id
)
st.download_button(
    "Download this table (CSV)",
    lambda: download.to_csv(index=False).encode("utf-8"),
    file_name=f"profile_{la_code}.csv",
    mime="text/csv",
    key="dl_profile_table",
    on_click="ignore",
)

st.header("Trends")
cols = st.columns(2)
for i, row in enumerate(table.itertuples()):
    ind = inds[row.indicator_id]
    with cols[i % 2]:
        summary = (
            (
                f"{la_name}, {period_label(row.latest_period)}: **{row.latest}** "
                f"({row.rank_text or 'not ranked'}; England {row.england})."
            )
            if row.latest_period
            else None
        )
        ui.benchmark_chart(ind.indicator_id, la_code, ind.label, key=f"profile_{ind.indicator_id}", summary=summary)

st.header("Statistical neighbours")
nbrs = store.neighbours(la_code)
if nbrs.empty:
    st.info(f"{la_name} has no published statistical neighbours.")
else:
    st.markdown(
        f"The 10 authorities most like {la_name} (children's services statistical neighbours, "
        f"{nbrs.version.iloc[0]}), closest first."
    )
    st.dataframe(
        nbrs.rename(
            columns={"rank": "Rank", "la_name": "Local authority", "closeness": "Closeness", "neighbour_code": "Code"}
        )[["Rank", "Local authority", "Code", "Closeness"]],
        hide_index=True,
        width="stretch",
    )

st.header("Data notes for this authority")
notes = list(dict.fromkeys([*profile.reorganisation_notes(store, la_code), *store.notes_for(la_code).note]))
if not notes:
    st.markdown(f"No authority-specific caveats are recorded for {la_name}. General caveats are on *About the data*.")
else:
    for note in notes:
        st.markdown(f"- {note}")

st.header(f"MPs whose constituencies {la_name} serves")
mps = store.constituencies()
mps = mps[mps.new_la_code == la_code]
if mps.empty:
    st.markdown("No constituency in the MP look-up is served by this authority.")
for row in mps.itertuples():
    st.page_link(
        "views/mp.py", label=f"{row.pcon_name}: {row.mp_name} ({row.party})", query_params={"pcon": row.pcon_code}
    )

st.header("Scrutiny briefing")
st.markdown(
    f"A printable briefing on {la_name}: headline table, charts, sentences computed from these figures, caveats and "
    "suggested scrutiny questions. Opens in any browser; print it to A4, or take the PDF."
)
col_html, col_pdf = st.columns(2)
slug = la_name.lower().replace(" ", "-").replace(",", "")
# Built only when clicked (callables): a briefing takes seconds, the profile itself must not wait for it.
col_html.download_button(
    "Download briefing (HTML)",
    lambda: ui.briefing_html_cached(la_code).encode("utf-8"),
    f"send-briefing-{slug}.html",
    "text/html",
    on_click="ignore",
)
problem = pdf_engine_problem()
if problem:
    col_pdf.info(f"PDF not available on this machine ({problem}); the HTML version prints to A4 from any browser.")
else:
    col_pdf.download_button(
        "Download briefing (PDF)",
        lambda: ui.briefing_pdf_cached(la_code),
        f"send-briefing-{slug}.pdf",
        "application/pdf",
        on_click="ignore",
    )
ui.cite_this(list(store.sources.source_id), f"Local authority profile: {la_name}", "profile")
