"""How to use this dashboard: pick an authority, read a chart, share and cite."""

import streamlit as st

from send_pressure import ui

ui.page_title("How to use this dashboard")
st.title("How to use this dashboard")
st.markdown(
    "Every figure here is an official statistic, shown as published, with its source, release and period "
    "beside it. This page explains how to find your local authority, read a chart, and share or cite what you see."
)

st.header("Pick a local authority")
st.markdown(
    "- Open a page from the list on the left (on a phone, open the list with the arrow at the top left).\n"
    "- In the **Local authority** box, start typing the council's name and press Enter, or pick it from the "
    "list with the arrow keys. The box works with the keyboard alone: press Tab until it is highlighted.\n"
    "- The authority you choose stays chosen as you move between pages.\n"
    "- Not sure which council runs SEND services where you live? The **MPs and constituencies** page finds the "
    "authorities that serve a constituency, by place or MP's name."
)

st.header("Follow a request, or split a figure")
st.markdown(
    "- **EHC plan journey** puts one authority's year on one page: requests, decisions to assess (and how many "
    "within 6 weeks), assessments, plans issued (within 20 weeks, in 20 to 52 weeks, after a year), the "
    "caseload, annual reviews and ceased plans with the reasons, and mediation and tribunal appeals, each beside "
    "the region, England and the statistical neighbours, as a chart and a table. Each step counts one calendar "
    "year: the steps do not follow the same children.\n"
    "- **Breakdowns** splits a figure by what the releases publish (primary need, placement type, age, sex, "
    "ethnicity, years held, reasons, outcomes), as shares of the authority's total or as counts, for one year "
    "and over time."
)

st.header("Read a chart")
st.markdown(
    "- The chart's title says what it shows; the sentence under it gives the latest figures in words.\n"
    "- The chosen authority is the thick solid line (or the highlighted, hatched bar). England, the region and "
    "the authority's statistical neighbours (the ten councils most like it) differ by line style and symbol as "
    "well as colour.\n"
    "- A break in a line, or a light grey column, means no figure was published for that year (for example "
    "suppressed to protect privacy). It is never shown as zero. Hover or tap the column to see why.\n"
    "- Under each chart, **Data table** lists every figure the chart draws, with its marker and source, and "
    "downloads them as a CSV file. The table is the way to read a chart with a screen reader or the keyboard.\n"
    "- Caveats about a figure (changes in how it was collected, local government reorganisations) are on the "
    "page beside it and on **About the data**."
)

st.header("Share and cite")
st.markdown(
    "- The address in your browser records the page and everything you picked: copy it to share exactly what "
    "you see.\n"
    "- Under each chart, **Share** gives the link to copy, a link with a preview for social media where one "
    "exists (its preview shows the title, the latest figure and the chart), a ready-made citation, and the "
    "chart as an SVG or PNG image with its title, period, source and link printed on it.\n"
    "- At the foot of each page, **Cite this** gives a citation of the whole page: publisher, release, file, "
    "the date you looked and the link.\n"
    "- The **Local authority profile** page offers a printable briefing on one authority (HTML or PDF)."
)
