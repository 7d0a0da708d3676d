"""About the data: sources, definitions, and the caveats a reader needs before quoting a figure."""

import pandas as pd
import streamlit as st

from send_pressure import ui
from send_pressure.catalogue import MARKER_MEANINGS, UNRANKED_NOTE

store = ui.store()
state = ui.link_state()
ui.show_notices(state)

ui.page_title("About the data")
st.title("About the data")
st.markdown(
    "Every figure on this dashboard is an official statistic, loaded as published. Where the build found a "
    f"publisher error it says so below. The database was built on {store.built_at:%d %B %Y at %H:%M} UTC."
)

st.header("Sources")
src = store.sources
for r in src.itertuples():
    with st.expander(f"{r.title} ({r.publisher})"):
        st.markdown(
            f"- **Release:** {r.release}\n- **File:** `{r.file_name}`\n- **Retrieved:** {r.retrieved_at:%d %B %Y}\n"
            if pd.notna(r.retrieved_at)
            else f"- **Release:** {r.release}\n- **File:** `{r.file_name}`\n- **Retrieved:** from the offline mirror\n"
        )
        st.markdown(
            f"- **Licence:** {r.licence}\n- **SHA-256:** `{r.sha256}`\n- **Page:** [{r.page_url}]({r.page_url})"
            + (f"\n- **File link:** [{r.file_url}]({r.file_url})" if isinstance(r.file_url, str) and r.file_url else "")
        )
st.download_button(
    "Download the source list (CSV)",
    src.to_csv(index=False).encode("utf-8"),
    file_name="sources.csv",
    mime="text/csv",
    key="dl_sources",
)

st.header("Definitions")
inds = pd.DataFrame([vars(i) for i in store.indicators.values()])
titles = dict(zip(src.source_id, src.title, strict=True))
labels = {i.indicator_id: i.label for i in store.indicators.values()}
polarity = {"higher_is_better": "higher is better", "lower_is_better": "lower is better", "neutral": "neither"}
defs = pd.DataFrame(
    {
        "Indicator": inds.label,
        "Unit": inds.unit.map({"count": "number", "percent": "%", "gbp": "£", "rate_per_1000": "per 1,000"}),
        "Better is": inds.polarity.map(polarity),
        "Definition": inds.definition,
        "Source": inds.source_id.map(titles),
        "Time period": inds.time_identifier,
        "How rates are computed": [
            f"{labels.get(n, n)} ÷ {labels.get(d, d)} × {s:g}"
            + (" (computed by this build)" if dv else " (as published)")
            if isinstance(n, str)
            else ("as published" if u in ("percent", "rate_per_1000") else "")
            for n, d, s, dv, u in zip(
                inds.numerator_id, inds.denominator_id, inds.scale, inds.derived, inds.unit, strict=True
            )
        ],
        "Headline": inds.headline.map({True: "yes", False: ""}),
    }
)
st.dataframe(defs, hide_index=True, width="stretch")
st.markdown(
    "Figures for a group of authorities (regions in charts, statistical neighbours) recompute a rate from the "
    "group's total numerator and denominator, never an average of rates. Counts for neighbours are their average. "
    "Periods are labelled as published: 2024/25 is the January 2025 count, 2023-24 a financial year, 2024 a "
    "calendar year. **No pupil headcount is available** in these sources, so there are no per-pupil rates; the "
    "'% of pupils' indicators are as published in LAIT."
)

st.header("Caveats")
st.subheader("Local authority reorganisations")
succ = store.successions
st.markdown(
    "- **2019:** Bournemouth, Christchurch and Poole formed from Bournemouth, Poole and part of Dorset County; "
    "a new Dorset council took the rest.\n"
    "- **2021:** Northamptonshire split into North Northamptonshire and West Northamptonshire.\n"
    "- **2023:** Cumbria split into Cumberland and Westmorland and Furness; North Yorkshire and Somerset became "
    "unitary authorities with new codes (their history is shown under the new code).\n\n"
    "Authorities that no longer exist keep their figures up to their last year; successors start in their first "
    "year. Figures are not added across a reorganisation."
)
st.dataframe(
    pd.DataFrame(
        {
            "Year": succ.year,
            "Change": succ.kind,
            "From": succ.predecessor_name,
            "To": succ.successor_name,
            "From code": succ.predecessor_code,
            "To code": succ.successor_code,
        }
    ),
    hide_index=True,
    width="stretch",
)
st.markdown(UNRANKED_NOTE + " They are also not in the DSG (funding) tables.")

st.subheader("Suppression and other markers")
st.markdown(
    "A marker replaces a figure the publisher did not print. It is shown as itself, never as zero; in charts "
    "the line breaks and a grey column carries the marker's meaning on hover."
)
st.dataframe(
    pd.DataFrame({"Marker": list(MARKER_MEANINGS), "Meaning": list(MARKER_MEANINGS.values())}), hide_index=True
)

st.subheader("SEND Tribunal: 2023 collection change")
st.markdown(
    "From 2023 the tribunal appeal rate follows a change in the tribunal data collection, so 2023 and 2024 rates "
    "are not strictly comparable with earlier years. The publisher's 'In development' measures for 2024 are not "
    "official statistics and are not loaded."
)

st.subheader("Publisher errors the build corrected or withheld")
notes = store.notes_for()
st.dataframe(
    notes.assign(source=notes.source_id.map(titles), area=notes.area_code.map(store.area_name))[
        ["source", "area", "time_period", "note"]
    ].drop_duplicates(subset=["source", "note", "area"]),
    hide_index=True,
    width="stretch",
)
