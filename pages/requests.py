"""Placeholder: requests page (being built)."""

import streamlit as st

st.title("requests")
st.info("This page is being built.")
