"""The map: filters in the sidebar, the map, and the clicked site's details beside it."""

import streamlit as st
from streamlit_folium import st_folium

from mapping import state_keys as keys
from mapping.access_state import current_principal
from mapping.cached import cached_map, cached_sites, deposit_total, shown_overlays
from mapping.parts.as_of_picker import as_of_sidebar
from mapping.parts.detail_panel import (
    remember_selection,
    selection_from_map,
    show_details,
    site_picker,
)
from mapping.parts.export_buttons import export_controls
from mapping.parts.sidebar_filters import sidebar_filters
from mapping.parts.timeline_sections import timeline_link
from mapping.permit_cache import health_for
from mapping.store_access import engine
from sites.filters import filter_sites, located
from sites.selection import SiteSelection

st.title("Critical-mineral sites and deposits", anchor=False)
principal = current_principal()
sites = cached_sites(principal)
as_of = as_of_sidebar()
site_filter, colour_by, show_deposits = sidebar_filters(sites)
health = health_for(as_of) if colour_by == "health" else ()
shown = filter_sites(sites, site_filter)

on_map = len(located(shown))
summary = f"**{len(shown)} of {len(sites)} sites** match ({on_map} on the map"
summary += f", {len(shown) - on_map} without a known location)" if len(shown) > on_map else ")"
if show_deposits:
    deposits = deposit_total(site_filter, principal)
    summary += (f" · **{deposits:,} deposits** match the commodity, status and "
                "country filters")
st.markdown(summary)
if shown.empty:
    st.warning(f"No site matches {site_filter.describe()}; clear a filter to see sites again.",
               icon=":material/filter_alt_off:")

focus = st.session_state.get(keys.LAYER_FOCUS)
if focus is not None:
    note, back = st.columns([4, 1])
    note.info(f"Zoomed to the survey layer {focus[0]}.", icon=":material/layers:")
    if back.button("Back to all sites"):
        del st.session_state[keys.LAYER_FOCUS]
        st.rerun()

map_column, detail_column = st.columns([3, 1.25], gap="medium")
with map_column:
    folium_map = cached_map(site_filter, colour_by, show_deposits, health,
                            shown_overlays(principal), focus[1] if focus else None,
                            as_of, principal=principal)
    output = st_folium(folium_map, key=keys.MAP, height=640, use_container_width=True,
                       returned_objects=["last_active_drawing"])
with detail_column:
    site_picker(shown)
    hidden = set(sites["id"]) - set(shown["id"])
    selection = remember_selection(selection_from_map(output), hidden)
    show_details(engine(), selection, principal)
    if selection is not None and selection[0] == "site" and selection[1] in set(sites["id"]):
        timeline_link(selection[1], dict(health or health_for(as_of)))
    with st.expander("Export these sites", icon=":material/download:"):
        st.caption("Every site the filters show. For only what the map shows, use "
                   "'Export this view' at the map's bottom left.")
        export_controls(SiteSelection(site_filter, as_of), "map", with_pack=True,
                        principal=principal)
