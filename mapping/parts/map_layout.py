"""The map page's layout: the map fills the window below a one-line header, and the detail
panel floats over the map's right side (from the map's top) instead of taking a column
from it; in a window narrower than a tablet (a phone) it floats over the map's bottom.

Streamlit lays out its elements in one column; these rules (in the page, not the map's
iframe) narrow the sidebar, size the map's iframe to the window and pin the keyed panel
container. The map's own controls make room for the panel (``sites.js`` sets
``--pm-panel`` on the map).
"""

import streamlit as st

from mapping.webmap.site_map import PANEL_BELOW_PX, PANEL_BELOW_SHARE, PANEL_SHARE

MAP_HEIGHT = 640  # st_folium's height before the style below applies (and in AppTest)
PANEL_KEY = "pm-detail"
PANEL_WIDTH = 380  # pixels, at most PANEL_SHARE of the window
SIDEBAR_PX = 248
TOP_REM = 3.2  # Streamlit's own header bar, with its menu, over the page's top
LINE_REM = 2.7  # one line of the page's header (title, counts and the export button)


def map_page_style(extra_lines: int = 0) -> None:
    """Put the map page's layout rules into the page (they take no space). ``extra_lines``:
    notes above the map besides the title line (each about one line high)."""
    header = TOP_REM + LINE_REM * (1 + extra_lines) + 0.8
    st.html(f"""<style>
section[data-testid="stSidebar"][data-collapsed="false"] {{ width: {SIDEBAR_PX}px !important;
  min-width: {SIDEBAR_PX}px !important; }}
[data-testid="stMainBlockContainer"] {{ padding: {TOP_REM}rem 1.25rem 0 1.25rem; }}
.st-key-pm-header {{ flex-wrap: nowrap !important; gap: 0.75rem; }}
.st-key-pm-header > div:first-child {{ flex: 1 1 auto; min-width: 0; }}
.st-key-pm-header > div:last-child {{ flex: 0 0 auto; width: auto; }}
.st-key-pm-header p {{ margin: 0; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }}
iframe[title="streamlit_folium.st_folium"] {{
  height: max(360px, calc(100vh - {header:.1f}rem)) !important; }}
.st-key-{PANEL_KEY} {{
  position: fixed; z-index: 990; top: {header - 0.2:.1f}rem; right: calc(1.25rem + 10px);
  width: min({PANEL_WIDTH}px, {PANEL_SHARE * 100:.0f}vw);
  max-height: calc(100vh - {header + 0.6:.1f}rem); overflow-y: auto;
  background-color: white; border-radius: 8px;
  box-shadow: 0 2px 12px rgba(0, 0, 0, 0.25); padding: 0.6rem 1rem; }}
.st-key-{PANEL_KEY} .st-key-close_detail {{ position: absolute; top: 0.4rem; right: 0.6rem;
  width: auto; z-index: 1; }}
.st-key-{PANEL_KEY} h3 {{ padding-right: 5.5rem; overflow-wrap: anywhere; }}
@media (max-width: {PANEL_BELOW_PX - 1}px) {{
  [data-testid="stMainBlockContainer"] {{ padding: {TOP_REM}rem 0.5rem 0 0.5rem; }}
  .st-key-{PANEL_KEY} {{ top: auto; bottom: 0.5rem; left: 0.5rem; right: 0.5rem; width: auto;
    max-height: {PANEL_BELOW_SHARE * 100:.0f}vh; }}
}}
</style>""")
