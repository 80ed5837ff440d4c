"""Cached loaders: the site table per data revision, the rendered map per filter state, the
layer catalog per layer revision."""

from __future__ import annotations

import copy
from datetime import date

import folium
import pandas as pd
import streamlit as st

from domain.bbox import Bounds
from domain.settings import load_settings
from mapping.store_access import data_version, deposit_views, engine
from mapping.webmap.site_map import FUTURE_EXPORT, MapOptions, build_map, with_health
from mapping.webmap.survey_overlays import Overlay
from sites.filters import SiteFilter, deposit_filter, filter_sites
from sites.selection import SiteSelection, deposit_params
from store.layer_repo import LayerRecord, layer_revision, list_layers
from store.records import load_sites


def cached_sites() -> pd.DataFrame:
    """All sites, reloaded only when the database or its data revision changes."""
    return _sites(*data_version())


@st.cache_data(show_spinner="Loading sites…", max_entries=4)
def _sites(database: str, revision: int) -> pd.DataFrame:
    return load_sites(engine())


def cached_map(site_filter: SiteFilter, colour_by: str, show_deposits: bool,
               health: tuple[tuple[str, str], ...] = (), overlays: tuple[Overlay, ...] = (),
               focus: Bounds | None = None, as_of: date | None = None) -> folium.Map:
    """The map for one filter state; rebuilt only when the filter or the data change.

    ``health`` ((site id, schedule health) pairs, for colouring by health) is part of the
    cache key: a map coloured on another as-of date is another map.

    A copy every time: rendering a folium map adds children to it (each layer's ``addTo``
    under its current name) and st_folium then renames the elements, so the cached map
    itself, rendered a second time, would call variables that no longer exist.
    """
    if colour_by != "health":
        health = ()  # the other colourings do not depend on it
    return copy.deepcopy(_map(site_filter, colour_by, show_deposits, health, overlays, focus,
                              as_of or date.today(), *data_version()))


@st.cache_resource(show_spinner="Drawing the map…", max_entries=64)
def _map(site_filter: SiteFilter, colour_by: str, show_deposits: bool,
         health: tuple[tuple[str, str], ...], overlays: tuple[Overlay, ...],
         focus: Bounds | None, as_of: date, database: str, revision: int) -> folium.Map:
    sites = filter_sites(_sites(database, revision), site_filter)
    if colour_by == "health":
        sites = with_health(sites, dict(health))
    options = MapOptions(colour_by=colour_by, deposit_params=deposit_params(site_filter),
                         show_deposits=show_deposits, overlays=overlays, focus=focus,
                         export_params=tuple(SiteSelection(site_filter, as_of)
                                             .url_params().items()),
                         export_unavailable=FUTURE_EXPORT if as_of > date.today() else "",
                         online_basemaps=load_settings().online_basemaps)
    return build_map(sites, options)


def deposit_total(site_filter: SiteFilter) -> int:
    """How many deposits match the deposit part of the filter anywhere."""
    return deposit_views()[1].count(deposit_filter(site_filter))


def cached_layers() -> list[LayerRecord]:
    """The layer catalog, reloaded only when some process changed it."""
    eng = engine()
    return _layers(eng.url.render_as_string(hide_password=False), layer_revision(eng))


@st.cache_data(show_spinner=False, max_entries=4)
def _layers(database: str, revision: int) -> list[LayerRecord]:
    return list_layers(engine())


def shown_overlays() -> tuple[Overlay, ...]:
    """The catalog's layers that are not hidden, oldest first (newer ones draw on top)."""
    return tuple(Overlay.of(r) for r in reversed(cached_layers()) if not r.hidden)
