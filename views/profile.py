"""Local authority profile: one LA on one page (headline table, trends, neighbours and data notes)."""

import pandas as pd
import streamlit as st

from send_pressure import profile, ui
from send_pressure.briefing import pdf_engine_problem
from send_pressure.catalogue import LONG_SERIES_NOTE, UNRANKED, UNRANKED_NOTE, period_label
from send_pressure.escaping import csv_bytes, md

store = ui.store()
state = ui.link_state()
inds = store.indicators

st.title("Local authority profile")
la_code = ui.la_picker(state)
ui.show_notices(state)
la_name = store.area_name(la_code)
la_md = md(la_name)  # source text, shown in Markdown below
ui.page_title("Local authority profile", la_name)


def _la_line() -> str:
    la = store.local_authorities.set_index("new_la_code")
    return f"**{la_md}** ({la_code}, DfE number {la.at[la_code, 'old_la_code']}), {md(la.at[la_code, 'region_name'])}."


st.markdown(ui.shared(("profile la line", la_code), _la_line))

table = ui.shared(("profile headline table", la_code), profile.headline_table, store, la_code)
st.header("Headline figures")
st.markdown(
    "Latest published figure for each headline indicator, the one before, and how the authority compares. "
    "Ranks are among all local authorities with a figure (ties share a place: 'joint'); 'How ranked' says what "
    "1st means. Quartile A is the top quarter of ranks. Counts and £ totals mostly reflect an authority's size, so "
    "they are not ranked: read their change instead. Neighbour figures are the median (and range) of the 10 "
    "statistical neighbours' own figures; each neighbour's figure is in the table under *Statistical neighbours* "
    "and one legend click away on every chart."
)
shown = ui.shared(("profile table", la_code), profile.display_table, table, store.sources)
ui.drawn(
    ("profile table", ui.identity(shown)),
    st.dataframe,
    shown,
    hide_index=True,
    width="stretch",
    column_config={"Data quality": st.column_config.TextColumn(width="medium")},
)
ui.record_rows(ui.shared(("profile rows", la_code), lambda: table.assign(time_period=table.latest_period)))
if la_code in UNRANKED:
    st.info(UNRANKED_NOTE)
# The CSV keeps the published figure and marker beside the formatted text.
download = ui.shared(
    ("profile download", la_code),
    lambda: shown.assign(
        time_period=table.latest_period, value=table.latest_value, marker=table.latest_marker, source_id=table.source_id
    ),
)
st.download_button(
    "Download this table (CSV)",
    lambda: csv_bytes(download),
    file_name=f"profile_{la_code}.csv",
    mime="text/csv",
    key="dl_profile_table",
    on_click="ignore",
)

st.header("Trends")


def _trends() -> list[tuple[str, str, str | None]]:
    """(indicator drawn, chart key, summary) for each headline indicator, in the table's order."""
    out = []
    for row in table.itertuples():
        ind = inds[row.indicator_id]
        summary = (
            (
                f"{la_md}, {period_label(row.latest_period)}: **{row.latest}** "
                f"({row.rank_text or 'not ranked'}; England {row.england})."
            )
            if row.latest_period
            else None
        )
        # Over time, a caseload is drawn with statements of SEN before 2019 (the same thing, counted whole).
        long_id = ind.long_series_id if ind.long_series_id in inds else ind.indicator_id
        if long_id != ind.indicator_id:
            summary = f"{summary or ''} {LONG_SERIES_NOTE}".strip()
        out.append((long_id, f"profile_{ind.indicator_id}", summary))
    return out


cols = st.columns(2)
for i, (long_id, key, summary) in enumerate(ui.shared(("profile trends", la_code), _trends)):
    with cols[i % 2]:
        ui.benchmark_chart(long_id, la_code, inds[long_id].chart_title, key=key, summary=summary)

st.header("Statistical neighbours")
nbrs = store.neighbours(la_code)
if nbrs.empty:
    st.info(f"{la_md} has no published statistical neighbours.")
else:
    st.markdown(
        f"The 10 authorities most like {la_md} (children's services statistical neighbours, "
        f"{nbrs.version.iloc[0]}), closest first, each with its own latest figures: the headline table's "
        "neighbour median and range are read from these."
    )
    ui.drawn(
        ("neighbour table", la_code),
        lambda: st.dataframe(profile.neighbour_table(store, la_code), hide_index=True, width="stretch"),
    )

st.header("Data-quality flags for this authority")
mine = ui.shared(("profile flag rows", la_code), lambda: store.flags[store.flags.area_code == la_code])
if mine.empty:
    st.markdown(f"The build's checks flag none of {la_md}'s published figures.")
else:
    st.markdown(
        f"{len(mine)} of {la_md}'s published figures look implausible by the build's checks (year-on-year "
        "jumps, zero refusals with many requests, breakdowns not adding up, plans without requests). They are "
        "shown as published, never changed; the flag sits beside the figure in the tables above and in downloads."
    )
    flagged = ui.shared(
        ("profile flags", la_code),
        lambda: pd.DataFrame(
            {
                "Indicator": mine.indicator_id.map(lambda i: inds[i].label if i in inds else i),
                "Period": mine.time_period.map(period_label),
                "Check": mine.rule,
                "Why": mine.explanation,
            }
        ),
    )
    with st.expander(f"All {len(mine)} flags"):
        ui.drawn(("profile flags", ui.identity(flagged)), st.dataframe, flagged, hide_index=True, width="stretch")

st.header("Data notes for this authority")
notes = ui.shared(
    ("profile notes", la_code),
    lambda: list(dict.fromkeys([*profile.reorganisation_notes(store, la_code), *store.notes_for(la_code).note])),
)
if not notes:
    st.markdown(f"No authority-specific caveats are recorded for {la_md}. General caveats are on *About the data*.")
else:
    st.markdown("\n".join(f"- {md(note)}" for note in notes))  # one list (a screen reader says how many)

st.header(f"MPs whose constituencies {la_md} serves")
mps = ui.shared(
    ("profile constituencies", la_code), lambda: store.constituencies()[store.constituencies().new_la_code == la_code]
)
if mps.empty:
    st.markdown("No constituency in the MP look-up is served by this authority.")
for row in mps.itertuples():
    st.page_link(
        "views/mp.py",
        label=md(f"{row.pcon_name}: {row.mp_name} ({row.party})"),
        query_params={"pcon": row.pcon_code},
    )

st.header("Scrutiny briefing")
st.markdown(
    f"A printable briefing on {la_md}: headline table, charts, sentences computed from these figures, caveats and "
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
ui.cite_this(f"Local authority profile: {la_name}", "profile", also=("statistical_neighbours", "mp_lookup"))
