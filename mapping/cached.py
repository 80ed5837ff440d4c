"""Cached loaders: the site table per data revision, the map itself per options, the
layer catalog per layer revision."""

from __future__ import annotations

import copy
import math

import folium
import pandas as pd
import streamlit as st

from domain.access import PUBLIC, Principal
from domain.deposit_view import for_principal
from domain.i18n import N_, current_language, language
from domain.settings import load_settings
from mapping.loading import loading
from mapping.store_access import data_version, deposit_views, engine, withheld_deposits
from mapping.webmap.site_map import MapOptions, build_map
from mapping.webmap.survey_overlays import Overlay
from sites.filters import SiteFilter, deposit_filter
from sites.visibility import hidden_site_ids, visible_sites
from store.crosswalk_repo import place_links as store_place_links
from store.layer_repo import LayerRecord, layer_revision, list_layers, visible_layers
from store.markings import attribute_marks
from store.records import load_sites

LOADING_SITES = N_("Loading sites…")


def cached_sites(principal: Principal) -> pd.DataFrame:
    """The sites as ``principal`` may receive them (:func:`sites.visibility.visible_sites`:
    those their clearance reaches, attributes marked above it withheld), reloaded only when
    the database or its data revision changes (a marking set bumps it)."""
    with loading(LOADING_SITES):
        return _sites(*data_version(), principal.clearance)


def hidden_sites(principal: Principal) -> frozenset[str]:
    """The ids of the sites ``principal``'s clearance does not reach: the permitting pages
    leave out the projects linked to them."""
    return _hidden(*data_version(), principal.clearance)


def site_marks(site_id: str) -> tuple[str, dict[str, str]]:
    """One site's own marking and its attribute markings ({attribute: marking}): to say how
    a withheld attribute is marked without its value, and for the editor's control."""
    sites, marks = _stored(*data_version())
    own = sites.loc[sites["id"] == site_id, "marking"]
    return (str(own.iloc[0] or PUBLIC) if len(own) else PUBLIC), marks.get(site_id, {})


@st.cache_data(show_spinner=False, max_entries=4)
def _stored(database: str, revision: int) -> tuple[pd.DataFrame, dict[str, dict[str, str]]]:
    return load_sites(engine()), attribute_marks(engine(), "site")


@st.cache_data(show_spinner=False, max_entries=12)
def _sites(database: str, revision: int, clearance: str) -> pd.DataFrame:
    return visible_sites(*_stored(database, revision), clearance)


@st.cache_data(show_spinner=False, max_entries=12)
def _hidden(database: str, revision: int, clearance: str) -> frozenset[str]:
    return hidden_site_ids(_stored(database, revision)[0], clearance)


def cached_map(show_deposits: bool, overlays: tuple[Overlay, ...] = ()) -> folium.Map:
    """The map itself: rebuilt only when the deposits are switched on or off or the survey
    layers shown change (``overlays``: those the viewer may see). It holds no record, so edits
    and imports leave it in place; filters, colours, the selection and the data revision are
    drawn into it (``site_map.site_layer``).

    A copy every time: rendering a folium map adds children to it (each layer's ``addTo``
    under its current name) and st_folium then renames the elements, so the cached map
    itself, rendered a second time, would call variables that no longer exist.
    """
    return copy.deepcopy(_map(show_deposits, overlays, load_settings().online_basemaps,
                              current_language()))


@st.cache_resource(show_spinner=False, max_entries=64)
def _map(show_deposits: bool, overlays: tuple[Overlay, ...], online_basemaps: bool,
         in_language: str) -> folium.Map:
    """One map per language too: its layer control names the layers."""
    with language(in_language):
        return build_map(MapOptions(show_deposits=show_deposits, overlays=overlays,
                                    online_basemaps=online_basemaps))


def deposit_total(site_filter: SiteFilter, principal: Principal) -> int:
    """How many deposits match the deposit part of the filter anywhere, of those
    ``principal`` may see."""
    filters = for_principal(deposit_filter(site_filter), principal, withheld_deposits(principal))
    return deposit_views()[1].count(filters)


def cached_layers(principal: Principal) -> list[LayerRecord]:
    """The layer catalog as ``principal`` may see it, reloaded only when some process
    changed it."""
    eng = engine()
    return visible_layers(_layers(eng.url.render_as_string(hide_password=False),
                                  layer_revision(eng)), principal)


@st.cache_data(show_spinner=False, max_entries=4)
def _layers(database: str, revision: int) -> list[LayerRecord]:
    return list_layers(engine())


def shown_overlays(principal: Principal) -> tuple[Overlay, ...]:
    """The catalog's layers that are not hidden and that ``principal`` may see, oldest first
    (newer ones draw on top)."""
    return tuple(Overlay.of(r) for r in reversed(cached_layers(principal)) if not r.hidden)


def place_links(principal: Principal) -> pd.DataFrame:
    """The cross-walk's links not rejected, those to a record ``principal`` may not see
    left out."""
    links = _place_links(*data_version())
    seen = links["b_marking"].map(lambda m: principal.may_see(m or PUBLIC))
    return links[seen.astype(bool)]


@st.cache_data(show_spinner=False, max_entries=4)
def _place_links(database: str, revision: int) -> pd.DataFrame:
    return store_place_links(engine())


def raster_value(record: LayerRecord, lon: float, lat: float) -> float | None:
    """A raster layer's value (band 1) at a point, None outside it or on no data; read once
    per layer version and point."""
    return _raster_value(record.id, record.version, record.raster_file, lon, lat)


@st.cache_data(show_spinner=False, max_entries=512)
def _raster_value(_layer: str, _version: int, raster_file: str, lon: float,
                  lat: float) -> float | None:
    from rasterio.errors import RasterioError  # rasterio: only when a panel asks

    from layers.sampling import values_at

    try:
        value = float(values_at(load_settings().layer_dir / raster_file, [lon], [lat])
                      .values[0])
    except (OSError, RasterioError):
        return None  # the file is gone or unreadable: the catalog says so elsewhere
    return None if math.isnan(value) else value
