"""Softmax Lab: home page."""

import streamlit as st

st.set_page_config(page_title="Softmax Lab", page_icon="📈")
st.title("Softmax Lab")
st.write("Watch softmax regression learn, one gradient-descent step at a time.")
