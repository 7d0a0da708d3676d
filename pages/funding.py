"""Placeholder: funding page (being built)."""

import streamlit as st

st.title("funding")
st.info("This page is being built.")
