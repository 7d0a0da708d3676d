"""SEND Pressure Dashboard: navigation and the shared sidebar; each page lives in views/."""

import streamlit as st

from send_pressure.ui import SITE_NAME, apply_style

# Each page then names itself and its selection in the title (send_pressure.ui.page_title).
st.set_page_config(page_title=SITE_NAME, page_icon="📊", layout="wide")
apply_style()

PAGES = [
    st.Page("views/overview.py", title="Overview", default=True),  # the default page is served at /
    st.Page("views/england.py", title="England and regions", url_path="england"),
    st.Page("views/delays.py", title="Assessment delays", url_path="delays"),
    st.Page("views/requests.py", title="Requests and assessments", url_path="requests"),
    st.Page("views/journey.py", title="EHC plan journey", url_path="journey"),
    st.Page("views/explore.py", title="Breakdowns", url_path="explore"),
    st.Page("views/funding.py", title="Funding", url_path="funding"),
    st.Page("views/profile.py", title="Local authority profile", url_path="profile"),
    st.Page("views/compare.py", title="Compare and map", url_path="compare"),
    st.Page("views/mp.py", title="MPs and constituencies", url_path="mp"),
    st.Page("views/about.py", title="About the data", url_path="about"),
    st.Page("views/guide.py", title="How to use this dashboard", url_path="guide"),
    st.Page("views/accessibility.py", title="Accessibility statement", url_path="accessibility"),
]

page = st.navigation(PAGES, expanded=True)  # every page listed (Streamlit folds a list of more than ten)
with st.sidebar:
    st.markdown(
        "Official figures on special educational needs and disabilities (SEND) for every local authority in "
        "England: EHC plans, requests, assessment timeliness, tribunal appeals and high needs funding."
    )
    st.caption("Every view is in the address bar: copy the link to share exactly what you see.")
page.run()
