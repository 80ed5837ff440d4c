"""The map: filters in the sidebar, the map, and the clicked site's details beside it."""

import streamlit as st
from streamlit_folium import st_folium

from layers.site_query import filter_sites, located
from mapping import state_keys as keys
from mapping.cached import cached_map, cached_sites, deposit_total
from mapping.details_ui import (
    remember_selection,
    selection_from_map,
    show_details,
    site_picker,
)
from mapping.filters_ui import sidebar_filters
from mapping.store_access import engine

st.title("Critical-mineral sites and deposits", anchor=False)
sites = cached_sites()
site_filter, colour_by, show_deposits = sidebar_filters(sites)
shown = filter_sites(sites, site_filter)

on_map = len(located(shown))
summary = f"**{len(shown)} of {len(sites)} sites** match ({on_map} on the map"
summary += f", {len(shown) - on_map} without a known location)" if len(shown) > on_map else ")"
if show_deposits:
    summary += (f" · **{deposit_total(site_filter):,} deposits** match the commodity, status and "
                "country filters")
st.markdown(summary)
if shown.empty:
    st.warning(f"No site matches {site_filter.describe()}; clear a filter to see sites again.",
               icon=":material/filter_alt_off:")

map_column, detail_column = st.columns([3, 1.25], gap="medium")
with map_column:
    folium_map = cached_map(site_filter, colour_by, show_deposits)
    output = st_folium(folium_map, key=keys.MAP, height=640, use_container_width=True,
                       returned_objects=["last_active_drawing"])
with detail_column:
    site_picker(shown)
    hidden = set(sites["id"]) - set(shown["id"])
    selection = remember_selection(selection_from_map(output), hidden)
    show_details(engine(), selection)
