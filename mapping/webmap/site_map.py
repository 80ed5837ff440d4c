"""The folium map of sites and deposits, in two parts.

The map itself (basemap, survey layers, deposits layer, controls) is built once per viewer
and rarely-changed options, so its iframe and Leaflet stay while the user works. The sites
(hundreds, as escaped GeoJSON) and what follows the page's filters and selection travel as
one feature group that st_folium draws into that map (``feature_group_to_add``): a filter
change or a click redraws markers in place. Deposits (up to a million) are fetched per view
from ``/api/deposits``, so the map's size does not grow with the table.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import folium
import pandas as pd

from domain.bbox import BBox, Bounds
from domain.i18n import N_, current_language, tr
from domain.vocab import DevStatus, PositionQuality, split_codes
from exports.export_file import ExportFormat
from mapping.vocab_words import commodity, word, words
from mapping.webmap.map_elements import (
    ClickCount,
    DepositLayer,
    SiteLayer,
    VectorBasemap,
    add_to,
    legend_html,
)
from mapping.webmap.map_texts import map_texts
from mapping.webmap.offline import (
    OfflineFullscreen,
    OfflineMap,
    OfflineMeasureControl,
    OfflineMousePosition,
)
from mapping.webmap.palette import COLOUR_SCHEMES, LEGEND_TITLES, STATUS_COLOURS, colour_for
from mapping.webmap.survey_overlays import Overlay, add_overlays
from permits.vocab import ScheduleHealth
from sites.filters import extent, located
from sites.names import shown_field

# the vocabulary each colouring shows (mapping.vocab_words)
VOCABULARY_OF = {"status": "dev_status", "stage": "stage", "health": "schedule_health"}
# names in the layer control: translated where the (per-language) map is built
SITES_LAYER = N_("Project sites")
DEPOSITS_LAYER = N_("Deposits")
BASEMAP_LAYER = N_("Country outlines (offline)")
#: Optional online basemaps: name in the layer control -> (tile URL, attribution as published).
ONLINE_BASEMAPS = {
    N_("OpenStreetMap (online)"): (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "&copy; OpenStreetMap contributors",
    ),
    N_("USGS topo (online)"): (
        "https://basemap.nationalmap.gov/arcgis/rest/services/USGSTopo/MapServer/tile/{z}/{y}/{x}",
        "USGS The National Map",
    ),
    N_("GSI Japan (online)"): (
        "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png",
        "Geospatial Information Authority of Japan",
    ),
}
#: The detail panel's widest share of the window (the page's style, mapping/parts/map_layout.py,
#: and sites.js, which keeps the map's controls and the chosen site clear of it).
PANEL_SHARE = 0.34
#: In a window narrower than this (a phone) the panel floats over the map's bottom instead,
#: at most PANEL_BELOW_SHARE of the window's height.
PANEL_BELOW_PX = 640
PANEL_BELOW_SHARE = 0.5
# the page's export buttons and the map's export control say the same
FUTURE_EXPORT = N_("Exports hold the record as it stood on a past day or today; set 'View as "
                 "of' to today or earlier to export.")


@dataclass(frozen=True)
class MapOptions:
    """The map itself: what changes rarely. A change of these builds a new map; the sites
    and what follows the page's filters are drawn into it by :func:`site_layer`."""

    show_deposits: bool = True
    online_basemaps: bool = False
    overlays: tuple[Overlay, ...] = ()  # survey layers shown, in catalog order


@dataclass(frozen=True)
class SiteView:
    """What follows the page's state, drawn into the map without rebuilding it: the
    colouring, the deposit and export filters, the selected site, the view asked for and
    the width of the detail panel over the map's right side (0 when closed)."""

    colour_by: str = "status"
    show_deposits: bool = True
    deposit_params: tuple[tuple[str, str], ...] = ()
    export_params: tuple[tuple[str, str], ...] = ()  # the filters as /api/sites.* params
    export_unavailable: str = ""  # why the view cannot be exported now (a future as-of date)
    selected: str | None = None  # a site's id
    selected_deposit: int | None = None
    view: dict[str, Any] | None = None  # see mapping.parts.map_view
    panel_width: int = 0  # at most PANEL_SHARE of the window
    hint: str = ""  # a line over the map's bottom while nothing is open
    data_revision: int = 0  # a change (an import, an edit) has the deposits asked again


def build_map(options: MapOptions) -> folium.Map:
    """The map without its sites (drawn by :func:`site_layer`), which also frames them: the
    page's first view request fits the matching sites (``mapping.parts.map_view``), so the
    map does not depend on the data and outlives edits and imports."""
    m = OfflineMap(location=[30, 0], zoom_start=2, tiles=None, min_zoom=1,
                   control_scale=True, prefer_canvas=False, world_copy_jump=True)
    basemap = folium.FeatureGroup(name=tr(BASEMAP_LAYER), overlay=False, control=True)
    basemap.add_to(m)
    VectorBasemap("/api/basemap/countries-110m.geojson",
                  "/api/basemap/countries-50m.geojson",
                  lines_url="/api/basemap/us-state-lines.geojson").add_to(basemap)
    if options.online_basemaps:
        for name, (url, attribution) in ONLINE_BASEMAPS.items():
            folium.TileLayer(url, name=tr(name), attr=attribution, overlay=False,
                             show=False).add_to(m)
    # before the sites, so sites stay on top
    add_overlays(m, options.overlays,
                 frozenset(tr(n) for n in (BASEMAP_LAYER, DEPOSITS_LAYER, SITES_LAYER)))
    if options.show_deposits:
        deposits = folium.FeatureGroup(name=tr(DEPOSITS_LAYER), overlay=True, show=True)
        deposits.add_to(m)
        # no filter yet: the deposits wait for the page's (site_layer), so the first request
        # already asks for what the page shows
        DepositLayer("/api/deposits", None,
                     {str(k): v for k, v in STATUS_COLOURS.items()}).add_to(deposits)
    add_to(
        m,
        folium.LayerControl(collapsed=True, position="topright"),
        OfflineFullscreen(position="topleft"),
        OfflineMeasureControl(position="topleft", primary_length_unit="kilometers",
                              secondary_length_unit="miles", primary_area_unit="hectares"),
        OfflineMousePosition(position="bottomleft", separator=", ", num_digits=5, empty_string="",
                             prefix="lat, lon:", lng_first=False),
        ClickCount(),
    )
    return m


def site_layer(sites: pd.DataFrame, view: SiteView) -> folium.FeatureGroup:
    """The (already filtered) sites and what follows the filters, as one feature group that
    st_folium draws into the map that is already there (``feature_group_to_add``)."""
    column, colours = COLOUR_SCHEMES[view.colour_by]
    shown = set(located(sites)[column])
    vocabulary = VOCABULARY_OF[view.colour_by]
    entries = {word(vocabulary, label): colour for label, colour in colours.items()
               if label in shown}
    # Deposits are always coloured by development status.
    note = (tr("small dots: deposits, same colours") if view.colour_by == "status"
            else tr("small dots: deposits, coloured by development status"))
    group = folium.FeatureGroup(name=tr(SITES_LAYER), control=False)
    SiteLayer({
        "features": site_features(sites, view.colour_by)["features"],
        "selected": None if view.selected is None else html.escape(view.selected),
        "selectedDeposit": view.selected_deposit,
        "legend": legend_html(tr(LEGEND_TITLES[view.colour_by]), entries, view.show_deposits,
                              note),
        "texts": map_texts(),
        "statusWords": words("dev_status", [s.value for s in DevStatus]),
        "depositParams": dict(view.deposit_params),
        "exportView": {
            "sitesUrl": "/api/sites", "briefingUrl": "/api/briefing.zip",
            "params": dict(view.export_params),
            "formats": [{"suffix": f.url_suffix, "label": f.label} for f in ExportFormat],
            "unavailable": view.export_unavailable,
        },
        "view": view.view,
        "panelWidth": view.panel_width,
        "panelShare": PANEL_SHARE,
        "panelBelowPx": PANEL_BELOW_PX,
        "panelBelowShare": PANEL_BELOW_SHARE,
        "hint": view.hint,
        "dataRevision": view.data_revision,
    }).add_to(group)
    return group


def with_health(sites: pd.DataFrame, health: dict[str, str]) -> pd.DataFrame:
    """The sites with their schedule health; those without a permitting record say so."""
    return sites.assign(health=sites["id"].map(health).fillna(ScheduleHealth.NO_SCHEDULE.value))


def site_features(sites: pd.DataFrame, colour_by: str) -> dict[str, Any]:
    """Located sites as GeoJSON; every text property is HTML-escaped before it leaves Python."""
    column = COLOUR_SCHEMES[colour_by][0]
    lang = current_language()
    features = []
    for row in located(sites).to_dict("records"):
        approximate = PositionQuality(row["position_quality"] or "unknown").is_approximate
        commodities = ", ".join(commodity(c) for c in split_codes(row["commodities"]))
        commodities = commodities or tr("no commodity recorded")
        tip = (
            f"<b>{html.escape(shown_field(row, 'name', lang))}</b>"
            f"<br>{html.escape(shown_field(row, 'operator', lang) or _operator_unknown(row))}"
            f"<br>{html.escape(commodities)} · "
            f"{html.escape(word('stage', row['stage']))} · "
            f"{html.escape(word('dev_status', row['status']))}"
            + (f" ({html.escape(row['status_date'])})" if row.get("status_date") else "")
            + ("<br><i>" + html.escape(tr("location approximate")) + "</i>"
               if approximate else "")
            + ("<br>" + html.escape(tr("permitting: {health}").format(
                health=word("schedule_health", row["health"])))
               if "health" in row else "")
        )
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
            "properties": {
                "kind": "site",
                "id": html.escape(row["id"]),
                "tip": tip,
                "colour": colour_for(colour_by, row[column]),
                "approximate": approximate,
            },
        })
    return {"type": "FeatureCollection", "features": features}


def _operator_unknown(row: dict[Any, Any]) -> str:
    """What a popup says for a blank operator: withheld at the viewer's clearance (see
    sites.visibility), or not known."""
    return (tr("operator withheld") if "operator" in (row.get("withheld") or ())
            else tr("operator unknown"))


def site_bounds(sites: pd.DataFrame) -> list[list[float]] | None:
    """Leaflet bounds of the located sites, padded half a degree around a single place."""
    box = extent(sites)
    return None if box is None else box_bounds(box)


def box_bounds(box: Bounds | BBox) -> list[list[float]]:
    west, south, east, north = box
    pad = 0.5 if (north - south) < 1 and (east - west) < 1 else 0.0
    return [[south - pad, west - pad], [north + pad, east + pad]]
