"""Page router: the map first, then the permitting pages and the data page."""

import streamlit as st

from mapping.page_errors import show_user_errors

# No page icons: Streamlit fetches a material icon used as favicon from a font CDN, and an
# emoji needs an emoji font that offline machines often lack.
st.set_page_config(page_title="permitmap", layout="wide")

pages = [
    st.Page("pages/map_page.py", title="Map", default=True, url_path="map"),
    st.Page("pages/timeline_page.py", title="Site timeline", url_path="timeline"),
    st.Page("pages/portfolio_page.py", title="Portfolio", url_path="portfolio"),
    st.Page("pages/alerts_page.py", title="Alerts", url_path="alerts"),
    st.Page("pages/layers_page.py", title="Survey layers", url_path="layers"),
    st.Page("pages/upload_page.py", title="Upload a layer", url_path="upload"),
    st.Page("pages/data_page.py", title="Data and sources", url_path="data"),
]
with show_user_errors():
    st.navigation(pages).run()
