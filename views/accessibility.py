"""Accessibility statement: the standard we aim for, how the dashboard was tested, and known limitations."""

import streamlit as st

from send_pressure import ui

ui.page_title("Accessibility statement")
st.title("Accessibility statement")
st.markdown(
    "This dashboard is meant for everyone, including disabled people and their families. We aim to meet the "
    "[Web Content Accessibility Guidelines (WCAG) 2.2](https://www.w3.org/TR/WCAG22/) at level AA."
)

st.header("What you can do")
st.markdown(
    "- Use every page with the keyboard alone: the charts have no toolbars to tab through, and each chart's "
    "figures are in a data table you can open with Enter.\n"
    "- Use a screen reader: each chart has a name and a sentence giving its latest figures, and a table of "
    "every figure it draws.\n"
    "- Zoom to 200% or use a screen 320 pixels wide without losing content: the layout reflows into one column.\n"
    "- Tell charts' lines apart without colour: they also differ by line style and symbol, and bars by pattern.\n"
    "- Know where you are: the browser tab names the page and the authority or indicator you chose.\n"
    "- Read the scrutiny briefing PDF with a screen reader: it is a tagged PDF (PDF/UA) with a title and language."
)

st.header("How we tested it")
st.markdown(
    "- **Automated checks** on every page and its main selections (for example a chosen authority or indicator) "
    "with [axe-core](https://github.com/dequelabs/axe-core) 4.14 in headless Chromium, against the WCAG 2.0, 2.1 "
    "and 2.2 A and AA rules. They run with every change to the dashboard, which fails if any serious or "
    "critical problem is found.\n"
    "- **Keyboard-only test**: an automated test picks an authority and opens a chart's data table using the "
    "keyboard only.\n"
    "- **Page titles**: a test checks the browser title names the page and the chosen authority.\n"
    "- **Manual checks** by the developers: pages viewed at 1400 and 320 pixels wide, heading order, and the "
    "contrast of chart labels (all text near-black on white).\n"
    "- Not yet tested with disabled users or with every screen reader."
)

st.header("Known limitations")
st.markdown(
    "- The charts themselves (lines, bars and the map) can be explored by mouse or touch only: hovering shows "
    "each figure. Keyboard and screen reader users get the same figures from the data table under each chart.\n"
    "- The map's colour scale cannot be read without colour vision; every figure is in the table under it.\n"
    "- Large tables (for example every authority for one year) are shown as a scrolling grid, which some screen "
    "readers announce less well than a plain table. The CSV download has the same rows.\n"
    "- The page is drawn by JavaScript: it does not work with JavaScript turned off. Links with a preview "
    "(from **Share** under a chart) are plain pages that lead to the live view.\n"
    "- Some text comes from the publishers' files as published, including abbreviations such as EHC (education, "
    "health and care) and SEN2 (the DfE's data collection)."
)

st.header("Reporting a problem")
st.markdown(
    "If something on the dashboard is hard to use, please tell the people who run it and say which page and what "
    "you were trying to do. The figures themselves are available from their publishers: see **About the data**."
)
