"""Our own folium elements: the offline basemap, the per-view deposits layer, the legend.

Their scripts are served by the app (``static/permitmap``); the templates only call them
with JSON options, so no attribute text is ever spliced into JavaScript source.
"""

from __future__ import annotations

import html
import json
from typing import Any

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from mapping.palette import FALLBACK_COLOUR

OWN_JS = "/app/static/permitmap/{}"


def own_assets(name: str, file_name: str) -> list[tuple[str, str]]:
    """One of our own scripts or style sheets, served by the app."""
    return [(name, OWN_JS.format(file_name))]


class VectorBasemap(JSCSSMixin, MacroElement):
    """Country outlines fetched from the app (no tiles, no network) into a base layer."""

    default_js = own_assets("permitmap_basemap", "basemap.js")
    default_css = own_assets("permitmap_css", "map.css")
    _template = Template(
        """{% macro script(this, kwargs) %}
        permitmapBasemap({{ this._parent._parent.get_name() }}, {{ this._parent.get_name() }},
                         {{ this.options_json }});
        {% endmacro %}"""
    )

    def __init__(self, coarse_url: str, detail_url: str, detail_zoom: int = 4,
                 lines_url: str | None = None) -> None:
        """``lines_url``: optional border lines (US states) drawn over the detail outlines."""
        super().__init__()
        self._name = "VectorBasemap"
        urls = {"coarse": coarse_url, "detail": detail_url}
        if lines_url is not None:
            urls["lines"] = lines_url
        self.options_json = json.dumps({"urls": urls, "detailZoom": detail_zoom})


class DepositLayer(JSCSSMixin, MacroElement):
    """Deposits loaded per view from ``url`` with the filter ``params``, into its FeatureGroup."""

    default_js = own_assets("permitmap_deposits", "deposits.js")
    default_css = own_assets("permitmap_css", "map.css")
    _template = Template(
        """{% macro script(this, kwargs) %}
        permitmapDepositLayer({{ this._parent._parent.get_name() }},
                              {{ this._parent.get_name() }}, {{ this.options_json }});
        {% endmacro %}"""
    )

    def __init__(self, url: str, params: dict[str, str], colours: dict[str, str]) -> None:
        super().__init__()
        self._name = "DepositLayer"
        self.options_json = json.dumps(
            {"url": url, "params": params, "colours": colours, "fallback": FALLBACK_COLOUR}
        ).replace("</", "<\\/")


class Legend(MacroElement):
    """A legend control: one swatch per colour shown, plus the outline and cluster cues."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function () {
          var legend = L.control({position: "bottomright"});
          legend.onAdd = function () {
            var div = L.DomUtil.create("div", "pm-legend");
            div.innerHTML = {{ this.html_json }};
            return div;
          };
          legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}"""
    )

    def __init__(self, title: str, entries: dict[str, str], show_deposits: bool = True,
                 deposit_note: str = "small dots: deposits, same colours") -> None:
        super().__init__()
        self._name = "Legend"
        # <details>: the legend folds away when it covers the points the user wants to see.
        rows = [f'<details open><summary class="pm-title">{html.escape(title)}</summary>']
        rows += [
            f'<div><span class="pm-swatch" style="background:{html.escape(colour)}"></span>'
            f"{html.escape(label)}</div>"
            for label, colour in entries.items()
        ]
        rows.append('<div><span class="pm-swatch pm-approx"></span>dashed: approximate place</div>')
        if show_deposits:
            rows.append(
                '<div><span class="pm-swatch pm-cluster-key"></span>group of deposits</div>'
                f'<div class="pm-note">{html.escape(deposit_note)}</div>'
            )
        rows.append("</details>")
        self.html_json = json.dumps("".join(rows)).replace("</", "<\\/")


def add_to(parent: folium.MacroElement, *children: Any) -> None:
    """Attach several elements to one parent."""
    for child in children:
        child.add_to(parent)


class ExportViewLink(MacroElement):
    """A map control linking to ``/api/sites.geojson`` for the filters and the map's current
    view: the extent is read in the browser when clicked, so panning costs no rerun."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function () {
          var options = {{ this.options_json }};
          var map = {{ this._parent.get_name() }};
          var control = L.control({position: "bottomleft"});
          control.onAdd = function () {
            var link = L.DomUtil.create("a", "pm-export-view");
            link.textContent = "GeoJSON of this view";
            link.title = "The sites matching the filters inside the map's current view";
            link.target = "_blank";
            L.DomEvent.disableClickPropagation(link);
            function update() {
              var b = map.getBounds(), params = new URLSearchParams(options.params);
              var box = [Math.max(b.getWest(), -180), Math.max(b.getSouth(), -90),
                         Math.min(b.getEast(), 180), Math.min(b.getNorth(), 90)];
              params.set("bbox", box.map(function (n) { return n.toFixed(5); }).join(","));
              link.href = options.url + "?" + params.toString();
            }
            map.on("moveend", update);
            update();
            return link;
          };
          control.addTo(map);
        })();
        {% endmacro %}"""
    )

    def __init__(self, url: str, params: dict[str, str]) -> None:
        super().__init__()
        self._name = "ExportViewLink"
        self.options_json = json.dumps({"url": url, "params": params}).replace("<", "\\u003c")
