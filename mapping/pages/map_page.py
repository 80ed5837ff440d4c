"""The map: filters in the sidebar, the map filling the page, the chosen site's details in a
panel over the map's right side.

The map is built once per viewer and rarely-changed options; filters, colouring and the
selection are drawn into it in place (``site_layer``), so it never reloads while the user
works. The selection is read from the map's last output before the map is drawn, so a click
highlights its site in the same rerun.
"""

from datetime import date

import streamlit as st
from streamlit_folium import st_folium

from domain.i18n import tr
from mapping import state_keys as keys
from mapping.access_state import current_principal
from mapping.cached import cached_map, cached_sites, deposit_total, shown_overlays
from mapping.parts.as_of_picker import as_of_sidebar
from mapping.parts.detail_panel import (
    close_selection,
    deposit_id,
    remember_selection,
    selection_from_map,
    selection_position,
    show_details,
    site_picker,
)
from mapping.parts.export_buttons import export_controls
from mapping.parts.map_layout import MAP_HEIGHT, PANEL_KEY, PANEL_WIDTH, map_page_style
from mapping.parts.map_view import view_request
from mapping.parts.safe_text import plain
from mapping.parts.sidebar_filters import sidebar_filters
from mapping.parts.timeline_sections import timeline_link
from mapping.permit_cache import health_for
from mapping.store_access import data_version, engine
from mapping.vocab_words import filter_words
from mapping.webmap.site_map import FUTURE_EXPORT, SiteView, site_layer, with_health
from sites.filters import filter_sites, located
from sites.selection import SiteSelection, deposit_params

principal = current_principal()
sites = cached_sites(principal)
as_of = as_of_sidebar()
site_filter, colour_by, show_deposits = sidebar_filters(sites)
health = health_for(as_of) if colour_by == "health" else ()
shown = filter_sites(sites, site_filter)
with st.sidebar:
    site_picker(shown)

on_map = len(located(shown))
summary = tr("**{shown} of {total} sites** match ({on_map} on the map").format(
    shown=len(shown), total=len(sites), on_map=on_map)
summary += tr(", {n} without a known location)").format(n=len(shown) - on_map) \
    if len(shown) > on_map else ")"
if show_deposits:
    deposits = deposit_total(site_filter, principal)
    summary += " · " + tr("**{n} deposits** match the commodity, status and country "
                          "filters").format(n=f"{deposits:,}")
focus = st.session_state.get(keys.LAYER_FOCUS)
map_page_style(extra_lines=int(shown.empty) + int(focus is not None))
with st.container(key="pm-header", horizontal=True, vertical_alignment="center"):
    title = tr("Critical-mineral sites and deposits")
    st.markdown(f"**{title}** · {summary}", width="stretch")
    with st.popover(tr("Export these sites"), icon=":material/download:"):
        st.caption(tr("Every site the filters show. For only what the map shows, use "
                      "'Export this view' on the map."))
        export_controls(SiteSelection(site_filter, as_of), "map", with_pack=True,
                        principal=principal)
if shown.empty:
    st.warning(tr("No site matches {filters}; clear a filter to see sites again.").format(
        filters=plain(filter_words(site_filter))), icon=":material/filter_alt_off:")
if focus is not None:
    note, back = st.columns([4, 1], vertical_alignment="center")
    note.caption(":material/layers: " + tr("Zoomed to the survey layer {name}.").format(
        name=plain(focus[0])))
    if back.button(tr("Back to all sites")):
        del st.session_state[keys.LAYER_FOCUS]
        st.rerun()

hidden = set(sites["id"]) - set(shown["id"])
clicked = selection_from_map(st.session_state.get(keys.MAP))
selection, clicked_now = remember_selection(clicked, hidden)
panel = PANEL_WIDTH if selection is not None else 0
view = view_request(repr(site_filter), shown,
                    focus[1] if focus else None,
                    selection_position(engine(), selection, sites, principal),
                    clicked_now)
shown_sites = with_health(shown, dict(health)) if colour_by == "health" else shown
sites_layer = site_layer(shown_sites, SiteView(
    colour_by=colour_by, show_deposits=show_deposits,
    deposit_params=deposit_params(site_filter),
    export_params=tuple(SiteSelection(site_filter, as_of).url_params().items()),
    export_unavailable=tr(FUTURE_EXPORT) if as_of is not None and as_of > date.today() else "",
    selected=selection[1] if selection and selection[0] == "site" else None,
    selected_deposit=deposit_id(selection),
    view=view, panel_width=panel, data_revision=data_version()[1],
    hint="" if selection else tr("Click a site or a deposit on the map to see its details.")))
st_folium(cached_map(show_deposits, shown_overlays(principal)),
          key=keys.MAP, height=MAP_HEIGHT, use_container_width=True,
          returned_objects=["last_active_drawing", "last_object_clicked_count"],
          feature_group_to_add=sites_layer)

if selection is not None:
    with st.container(key=PANEL_KEY):
        st.button(tr("Close"), icon=":material/close:", on_click=close_selection,
                  key="close_detail")
        show_details(engine(), selection, principal)
        if selection[0] == "site" and selection[1] in set(sites["id"]):
            timeline_link(selection[1], dict(health or health_for(as_of)))
