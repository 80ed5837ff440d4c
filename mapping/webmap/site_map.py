"""Build the folium map of sites and deposits for one filter state.

Sites (hundreds) travel inside the map as escaped GeoJSON; deposits (up to a million) are
fetched per view from ``/api/deposits``, so the map's size does not grow with the table.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import folium
import pandas as pd

from domain.bbox import BBox, Bounds
from domain.vocab import PositionQuality, commodity_label, split_codes
from exports.export_file import ExportFormat
from mapping.webmap.map_elements import (
    DepositLayer,
    ExportViewControl,
    Legend,
    VectorBasemap,
    add_to,
)
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

SITES_LAYER = "Project sites"
DEPOSITS_LAYER = "Deposits"
BASEMAP_LAYER = "Country outlines (offline)"
ONLINE_BASEMAPS = {
    "OpenStreetMap (online)": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "&copy; OpenStreetMap contributors",
    ),
    "USGS topo (online)": (
        "https://basemap.nationalmap.gov/arcgis/rest/services/USGSTopo/MapServer/tile/{z}/{y}/{x}",
        "USGS The National Map",
    ),
    "GSI Japan (online)": (
        "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png",
        "Geospatial Information Authority of Japan",
    ),
}
# the page's export buttons and the map's export control say the same
FUTURE_EXPORT = ("Exports hold the record as it stood on a past day or today; set 'View as "
                 "of' to today or earlier to export.")


@dataclass(frozen=True)
class MapOptions:
    """What the map shows besides the sites themselves."""

    colour_by: str = "status"
    deposit_params: tuple[tuple[str, str], ...] = ()
    show_deposits: bool = True
    online_basemaps: bool = False
    overlays: tuple[Overlay, ...] = ()  # survey layers shown, in catalog order
    focus: Bounds | None = None  # zoom here instead of to the sites (a layer's extent)
    export_params: tuple[tuple[str, str], ...] = ()  # the filters as /api/sites.* params
    export_unavailable: str = ""  # why the view cannot be exported now (a future as-of date)


def build_map(sites: pd.DataFrame, options: MapOptions) -> folium.Map:
    """The map for these (already filtered) sites; zoomed to their extent.

    Colouring by ``"health"`` needs a ``health`` column (see ``with_health``).
    """
    m = OfflineMap(location=[30, 0], zoom_start=2, tiles=None, min_zoom=1,
                   control_scale=True, prefer_canvas=False, world_copy_jump=True)
    basemap = folium.FeatureGroup(name=BASEMAP_LAYER, overlay=False, control=True)
    basemap.add_to(m)
    VectorBasemap("/api/basemap/countries-110m.geojson",
                  "/api/basemap/countries-50m.geojson",
                  lines_url="/api/basemap/us-state-lines.geojson").add_to(basemap)
    if options.online_basemaps:
        for name, (url, attribution) in ONLINE_BASEMAPS.items():
            folium.TileLayer(url, name=name, attr=attribution, overlay=False, show=False).add_to(m)
    # before the sites, so sites stay on top
    add_overlays(m, options.overlays, frozenset({BASEMAP_LAYER, DEPOSITS_LAYER, SITES_LAYER}))
    if options.show_deposits:
        deposits = folium.FeatureGroup(name=DEPOSITS_LAYER, overlay=True, show=True)
        deposits.add_to(m)
        DepositLayer("/api/deposits", dict(options.deposit_params),
                     {str(k): v for k, v in STATUS_COLOURS.items()}).add_to(deposits)
    _sites_layer(sites, options.colour_by).add_to(m)
    column, colours = COLOUR_SCHEMES[options.colour_by]
    shown = set(located(sites)[column])
    entries = {label: colour for label, colour in colours.items() if label in shown}
    add_to(
        m,
        Legend(LEGEND_TITLES[options.colour_by], entries, options.show_deposits,
               # Deposits are always coloured by development status.
               "small dots: deposits, same colours" if options.colour_by == "status"
               else "small dots: deposits, coloured by development status"),
        folium.LayerControl(collapsed=True, position="topright"),
        ExportViewControl("/api/sites", "/api/briefing.zip", dict(options.export_params),
                          [(f.url_suffix, f.label) for f in ExportFormat],
                          options.export_unavailable),
        OfflineFullscreen(position="topleft"),
        OfflineMeasureControl(position="topleft", primary_length_unit="kilometers",
                              secondary_length_unit="miles", primary_area_unit="hectares"),
        OfflineMousePosition(position="bottomleft", separator=", ", num_digits=5, empty_string="",
                             prefix="lat, lon:", lng_first=False),
    )
    bounds = _bounds(sites) if options.focus is None else _box_bounds(options.focus)
    if bounds is not None:
        # room on the right for the legend, so no site starts hidden under it
        m.fit_bounds(bounds, padding_top_left=(40, 40), padding_bottom_right=(200, 40),
                     max_zoom=8 if options.focus is None else 14)
    return m


def with_health(sites: pd.DataFrame, health: dict[str, str]) -> pd.DataFrame:
    """The sites with their schedule health; those without a permitting record say so."""
    return sites.assign(health=sites["id"].map(health).fillna(ScheduleHealth.NO_SCHEDULE.value))


def site_features(sites: pd.DataFrame, colour_by: str) -> dict[str, Any]:
    """Located sites as GeoJSON; every text property is HTML-escaped before it leaves Python."""
    column = COLOUR_SCHEMES[colour_by][0]
    features = []
    for row in located(sites).to_dict("records"):
        approximate = PositionQuality(row["position_quality"] or "unknown").is_approximate
        commodities = ", ".join(commodity_label(c) for c in split_codes(row["commodities"]))
        tip = (
            f"<b>{html.escape(row['name'])}</b>"
            f"<br>{html.escape(row['operator'] or _unknown('operator', row))}"
            f"<br>{html.escape(commodities or 'no commodity recorded')} · "
            f"{html.escape(row['stage'] or '')} · {html.escape(row['status'] or '')}"
            + (f" ({html.escape(row['status_date'])})" if row.get("status_date") else "")
            + ("<br><i>location approximate</i>" if approximate else "")
            + (f"<br>permitting: {html.escape(str(row['health']))}" if "health" in row else "")
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


def _unknown(attribute: str, row: dict[Any, Any]) -> str:
    """What a popup says for a blank attribute: withheld at the viewer's clearance (see
    sites.visibility), or not known."""
    return f"{attribute} {'withheld' if attribute in (row.get('withheld') or ()) else 'unknown'}"


def _sites_layer(sites: pd.DataFrame, colour_by: str) -> folium.GeoJson:
    features = site_features(sites, colour_by)
    # folium's tooltip checks its field against the first feature: none when nothing matched
    tooltip = folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=False,
                                    direction="top") if features["features"] else None
    return folium.GeoJson(
        features,
        name=SITES_LAYER,
        marker=folium.CircleMarker(radius=8, weight=2, fill=True, fill_opacity=0.95),
        style_function=_site_style,
        highlight_function=lambda _f: {"weight": 4, "radius": 11},
        tooltip=tooltip,
        zoom_on_click=False,
    )


def _site_style(feature: dict[str, Any]) -> dict[str, Any]:
    props = feature["properties"]
    return {
        "fillColor": props["colour"],
        "color": "#222222",
        "dashArray": "3 3" if props["approximate"] else None,
        "fillOpacity": 0.55 if props["approximate"] else 0.95,
    }


def _bounds(sites: pd.DataFrame) -> list[list[float]] | None:
    """Leaflet bounds of the located sites, padded half a degree around a single place."""
    box = extent(sites)
    return None if box is None else _box_bounds(box)


def _box_bounds(box: Bounds | BBox) -> list[list[float]]:
    west, south, east, north = box
    pad = 0.5 if (north - south) < 1 and (east - west) < 1 else 0.0
    return [[south - pad, west - pad], [north + pad, east + pad]]
