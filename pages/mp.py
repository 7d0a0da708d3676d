"""Placeholder: mp page (being built)."""

import streamlit as st

st.title("mp")
st.info("This page is being built.")
