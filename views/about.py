"""About the data: sources, definitions, and the caveats a reader needs before quoting a figure."""

import pandas as pd
import streamlit as st

from send_pressure import freshness, narrative, ui
from send_pressure.catalogue import MARKER_MEANINGS, UNRANKED_NOTE
from send_pressure.escaping import csv_bytes

store = ui.store()
state = ui.link_state()
ui.show_notices(state)


def table(name: str, frame, **options) -> None:
    """``st.dataframe(frame(), **options)`` made and converted for the browser once per process (``ui.drawn``):
    nothing on this page depends on the reader."""
    ui.drawn(("about", name), lambda: st.dataframe(frame(), **options))


def titles_of(source_ids: list[str]) -> list[str]:
    """Source titles with their release, for ids of the source table (unknown ids as given)."""
    s = store.sources.set_index("source_id")
    return [f"{s.at[i, 'title']} ({s.at[i, 'release']})" if i in s.index else i for i in source_ids if i]


ui.page_title("About the data")
st.title("About the data")
st.markdown(
    "Every figure on this dashboard is an official statistic, loaded as published. Where the build found a "
    f"publisher error it says so below. The database was built on {store.built_at:%d %B %Y at %H:%M} UTC."
)

st.header("What's new")
src = store.sources
newest = src.dropna(subset=["newest_release"]).groupby("publication").newest_release.max()
for pub, slug in newest.items():
    loaded = src[(src.publication == pub) & src.follows_latest.fillna(False).astype(bool)]
    parts = [f"{r.title}: {r.release}" for r in loaded.itertuples()]
    st.markdown(f"**{pub}**: newest release known **{slug}**. Following it: " + "; ".join(parts) + ".")
for notice in freshness.stale_notices(src):
    st.warning(notice)
for notice in freshness.missing_notices(src):
    st.info(notice)

st.subheader("New periods")
added = ui.shared(("new periods",), freshness.new_periods, store)
if added.empty:
    st.markdown("No release added periods that older releases did not have.")
else:
    table(
        "new periods",
        lambda: added.rename(columns={"indicator": "Indicator", "periods": "New periods", "release": "Release"}),
        hide_index=True,
        width="stretch",
    )

st.subheader("Series breaks")
if store.series_breaks.empty:
    st.markdown("No method change is recorded for the figures loaded.")
for line in ui.shared(
    ("break sentences",),
    freshness.break_sentences,
    store.series_breaks,
    list(store.series_breaks.indicator_id),
    lambda i: store.indicators[i].label,
):
    st.markdown(f"- {line}")

st.subheader("Revised figures (old → new, biggest change first)")
revised = ui.shared(("revised figures", 100), freshness.revised_figures, store, limit=100)
if revised.empty:
    st.markdown("No figure is printed differently by two loaded releases.")
else:
    st.markdown(
        "Figures the newest release prints differently from the release before it; the dashboard shows the "
        "newest. Rows marked *new method* are counted differently on each side of a series break."
    )
    table(
        "revised figures",
        lambda: revised.assign(
            change=revised.change.map(lambda c: "" if pd.isna(c) else f"{c:+.0%}"),
            series_break=revised.series_break.map({True: "new method", False: ""}),
        ).rename(
            columns={
                "indicator": "Indicator",
                "area": "Area",
                "period": "Period",
                "old": "Was",
                "new": "Now",
                "change": "Change",
                "old_release": "Was in",
                "new_release": "Now in",
                "series_break": "Method",
            }
        )[["Indicator", "Area", "Period", "Was", "Now", "Change", "Method", "Was in", "Now in"]],
        hide_index=True,
        width="stretch",
    )

st.subheader("Publisher errors: new and retired")
corr = store.corrections
st.markdown(
    "Each known publisher error is checked against every file: it applies only where the error is still printed, "
    "and is *retired* once the newest release no longer has it."
)
table(
    "publisher errors",
    lambda: corr.assign(
        applied_to=corr.applied_to.fillna("").str.split(", ").map(lambda ids: "; ".join(titles_of(ids)))
    )[["status", "description", "applied_to"]].rename(
        columns={"status": "Status", "description": "Error and what the build does", "applied_to": "Found in"}
    ),
    hide_index=True,
    width="stretch",
)

st.header("Sources")
for r in src[src.status != "not loaded"].itertuples():
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
    ui.shared(("sources csv",), csv_bytes, src),
    file_name="sources.csv",
    mime="text/csv",
    key="dl_sources",
)

st.header("Definitions")
titles = dict(zip(src.source_id, src.title, strict=True))
labels = {i.indicator_id: i.label for i in store.indicators.values()}


def definitions() -> pd.DataFrame:
    """One row per indicator: its unit, which way is better (``narrative``), definition, source and method."""
    ind_list = list(store.indicators.values())
    inds = pd.DataFrame([vars(i) for i in ind_list])
    return pd.DataFrame(
        {
            "Indicator": inds.label,
            "Unit": [i.short_unit for i in ind_list],
            "Which is better": [narrative.polarity_words(i) for i in ind_list],
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
            "Comparable across authorities": [
                "yes" if c else f"no: {why}"
                for c, why in zip(inds.comparable, inds.not_comparable_because, strict=True)
            ],
        }
    )


table("definitions", definitions, hide_index=True, width="stretch")
st.markdown(
    "Regional and England rates a source does not publish (SEND Tribunal regions) are computed by the build from "
    "the region's total numerator and denominator, counting '-' (nil) as zero, never an average of rates. "
    "Statistical-neighbour figures are the **median and range** of the neighbours' own figures (each neighbour's "
    "figure is shown too); a pooled rate, where shown, is named 'pooled'. Counts and £ totals mostly reflect an "
    "authority's size: they are not ranked, banded or map-coloured ('Comparable' below). Percentages with a "
    "published denominator carry a Wilson 95% interval and a comparison with England. "
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
table(
    "reorganisations",
    lambda: pd.DataFrame(
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
table(
    "markers",
    lambda: pd.DataFrame({"Marker": list(MARKER_MEANINGS), "Meaning": list(MARKER_MEANINGS.values())}),
    hide_index=True,
)

st.subheader("SEND Tribunal: collection and method changes")
st.markdown(
    "The 2025 release notes a change in the tribunal data collection from 2023, so its 2023 rate is not strictly "
    "comparable with earlier years (shown as published, without a break). Its 'In development' measures for 2024 "
    "were not official statistics and are not loaded. The 2026 release then revised 2024 to a new method for "
    "appealable decisions (England 2024: 364,912 decisions and 6.1%, where the 2025 release said 689,739 and "
    "3.2%): every chart breaks its line there, from 2024 (see *Series breaks* above)."
)

st.subheader("Data-quality flags: figures kept as published that look implausible")
flags = store.flags
st.markdown(
    "Every build runs these checks over the published figures. A flag **never changes a figure** (corrections, "
    "listed next, do that); it is shown beside the figure on the authority's profile, in tables, in CSV "
    "downloads and in the briefing's caveats, reading *As published; looks implausible because …*\n\n"
    "- **jump**: an authority's count moves by more than 40% from one year to the next (where the larger "
    "figure is 100 or more and England's own figure did not move that much);\n"
    "- **zero_refusals**: 0 refusals published against 100 or more initial requests;\n"
    "- **breakdown_sum**: a breakdown (e.g. by primary need) whose parts do not add up to the headline;\n"
    "- **plans_without_requests**: 0 initial requests published in a year with new EHC plans."
)
table(
    "flags by check",
    lambda: flags.groupby("rule").size().rename("Flags").reset_index().rename(columns={"rule": "Check"}),
    hide_index=True,
)
# Filled only once opened (a rerun): the full list is about 2,900 rows, most of this page's weight.
with st.expander(f"All {len(flags):,} flags", key="all_flags", on_change="rerun") as all_flags:
    if all_flags.open:
        st.dataframe(
            flags.assign(
                area=flags.area_code.map(store.area_name),
                indicator=flags.indicator_id.map(lambda i: labels.get(i, i)),
            )[["indicator", "area", "time_period", "rule", "explanation"]],
            hide_index=True,
            width="stretch",
        )
        st.download_button(
            "Download the flags (CSV)",
            lambda: flags.to_csv(index=False).encode("utf-8"),
            file_name="data_flags.csv",
            mime="text/csv",
            key="dl_flags",
            on_click="ignore",
        )

st.subheader("Publisher errors the build corrected or withheld, and notes on computed figures")
notes = store.notes_for()
table(
    "data notes",
    lambda: notes.assign(source=notes.source_id.map(titles), area=notes.area_code.map(store.area_name))[
        ["source", "area", "time_period", "note"]
    ].drop_duplicates(subset=["source", "note", "area"]),
    hide_index=True,
    width="stretch",
)
