"""Survey layers on the map: vector layers fetched from the app, rasters as app tiles, and a
colour ramp legend for each shown raster."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from domain.bbox import Bounds
from domain.i18n import ENGLISH, LANG_PARAM, current_language
from mapping.webmap.map_elements import own_assets, script_json
from store.layer_repo import LayerRecord

WHOLE_LAYER_LIMIT = 20_000  # larger layers are sent per map view (bbox), at most this many


@dataclass(frozen=True)
class Overlay:
    """What the map needs of one catalog layer (hashable: part of the map's cache key)."""

    id: str
    name: str
    kind: str
    version: int
    style_json: str
    bounds: Bounds | None
    feature_count: int = 0

    @classmethod
    def of(cls, record: LayerRecord) -> Overlay:
        """The overlay of a catalog entry."""
        return cls(record.id, record.name, record.kind, record.version,
                   json.dumps(record.style, sort_keys=True), record.bounds,
                   record.feature_count)

    @property
    def style(self) -> dict:
        """The layer's stored style."""
        return json.loads(self.style_json)


class SurveyVectorLayer(JSCSSMixin, MacroElement):
    """A vector survey layer loaded from ``/api/layers/{id}/features.geojson`` when shown."""

    default_js = own_assets("permitmap_common", "common.js") + own_assets("permitmap_survey",
                                                                      "survey.js")
    _template = Template(
        """{% macro script(this, kwargs) %}
        permitmapSurveyLayer({{ this._parent._parent.get_name() }},
                             {{ this._parent.get_name() }}, {{ this.options_json }});
        {% endmacro %}"""
    )

    def __init__(self, overlay: Overlay) -> None:
        super().__init__()
        self._name = "SurveyVectorLayer"
        style = overlay.style
        self.options_json = script_json({
            # the popups' own words come in the map's language (the map is cached per language)
            "url": f"/api/layers/{overlay.id}/features.geojson?v={overlay.version}"
                   + ("" if current_language() == ENGLISH
                      else f"&{LANG_PARAM}={current_language()}"),
            "perView": overlay.feature_count > WHOLE_LAYER_LIMIT,
            "name": overlay.name, "colour": style.get("colour", "#d95f02"),
            "weight": style.get("weight", 2), "fillOpacity": style.get("fill_opacity", 0.25),
        })


class RampLegend(MacroElement):
    """A raster layer's colour ramp with its stretch's ends."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function () {
          var legend = L.control({position: "bottomright"});
          legend.onAdd = function () {
            var div = L.DomUtil.create("div", "pm-legend pm-raster-legend");
            div.innerHTML = {{ this.html_json }};
            return div;
          };
          legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}"""
    )

    def __init__(self, name: str, colours: list[str], low: float | None,
                 high: float | None) -> None:
        super().__init__()
        self._name = "RampLegend"
        ramp = ", ".join(html.escape(c) for c in colours)
        ends = "" if low is None or high is None else (
            f'<div class="pm-ramp-labels"><span>{ramp_label(low)}</span>'
            f"<span>{ramp_label(high)}</span></div>")
        text = (f'<div class="pm-title">{html.escape(name)}</div>'
                f'<div class="pm-ramp" style="background: linear-gradient(to right, {ramp})">'
                f"</div>{ends}")
        self.html_json = script_json(text)


def ramp_label(value: float) -> str:
    """A stretch end as a reader wants it: whole numbers with separators when large.

    >>> ramp_label(49720.4), ramp_label(-313.71), ramp_label(0.000123)
    ('49,720', '-313.7', '0.000123')
    """
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def add_overlays(m: folium.Map, overlays: tuple[Overlay, ...],
                 taken: frozenset[str] = frozenset()) -> None:
    """Add each survey layer to the map as an overlay the layer control can switch.

    The control writes layer names into the page as HTML, and a second layer of the same
    name would replace the first in it: names are escaped and made unique (``taken``: the
    map's own layer names).
    """
    seen = set(taken)
    for overlay in overlays:
        label = control_label(overlay.name, seen)
        if overlay.kind == "raster":
            _raster(m, overlay, label)
        else:
            group = folium.FeatureGroup(name=label, overlay=True, show=True)
            group.add_to(m)
            SurveyVectorLayer(overlay).add_to(group)


def control_label(name: str, seen: set[str]) -> str:
    """The layer control's HTML for ``name``: escaped, numbered when already in ``seen``.

    >>> taken = {"Project sites"}
    >>> control_label("Project sites", taken), control_label("<b>x</b>", taken)
    ('Project sites (2)', '&lt;b&gt;x&lt;/b&gt;')
    """
    label, number = name, 1
    while label in seen:
        number += 1
        label = f"{name} ({number})"
    seen.add(label)
    return html.escape(label)


def _raster(m: folium.Map, overlay: Overlay, label: str) -> None:
    style = overlay.style
    extra: dict[str, Any] = {}
    if overlay.bounds is not None:
        west, south, east, north = overlay.bounds
        extra["bounds"] = [[south, west], [north, east]]  # no tile requests outside it
    folium.TileLayer(
        tiles=f"/tiles/{overlay.id}/{{z}}/{{x}}/{{y}}.png?v={overlay.version}",
        name=label, attr=label, overlay=True, show=True,
        opacity=float(style.get("opacity", 0.75)), max_zoom=22, max_native_zoom=18,
        class_name="pm-raster", **extra,
    ).add_to(m)
    colormap = style.get("colormap")
    if colormap:
        stretch = style.get("stretch") or [None, None]
        from layers.tiles import legend_colours  # rasterio: only for a map with a raster

        RampLegend(overlay.name, legend_colours(colormap), stretch[0], stretch[1]).add_to(m)
