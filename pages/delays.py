"""Placeholder: delays page (being built)."""

import streamlit as st

st.title("delays")
st.info("This page is being built.")
