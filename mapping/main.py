"""Page router: the map first, then the data page."""

import streamlit as st

from mapping.errors_ui import show_user_errors

st.set_page_config(page_title="permitmap", layout="wide")

pages = [
    st.Page("pages/map_page.py", title="Map", icon=":material/map:", default=True,
            url_path="map"),
    st.Page("pages/data_page.py", title="Data and sources", icon=":material/database:",
            url_path="data"),
]
with show_user_errors():
    st.navigation(pages).run()
