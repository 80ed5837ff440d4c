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

from domain.i18n import tr
from mapping.webmap.palette import FALLBACK_COLOUR

OWN_JS = "/app/static/permitmap/{}"


def script_json(value: Any) -> str:
    """``value`` as JSON that is safe inside the page's ``<script>``: no ``<`` at all, so no
    ``</script>`` or ``<!--`` even inside a string; non-ASCII as escapes (U+2028 too).

    >>> print(script_json({"name": "</script><b>"}))
    {"name": "\\u003c/script>\\u003cb>"}
    """
    return json.dumps(value).replace("<", "\\u003c")


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
        self.options_json = script_json({"urls": urls, "detailZoom": detail_zoom})


class DepositLayer(JSCSSMixin, MacroElement):
    """Deposits loaded per view from ``url`` with the filter ``params``, into its FeatureGroup;
    ``params`` None: nothing loads until the page sets them (``sites.js``)."""

    default_js = own_assets("permitmap_common", "common.js") + own_assets("permitmap_deposits",
                                                                      "deposits.js")
    default_css = own_assets("permitmap_css", "map.css")
    _template = Template(
        """{% macro script(this, kwargs) %}
        permitmapDepositLayer({{ this._parent._parent.get_name() }},
                              {{ this._parent.get_name() }}, {{ this.options_json }});
        {% endmacro %}"""
    )

    def __init__(self, url: str, params: dict[str, str] | None,
                 colours: dict[str, str]) -> None:
        super().__init__()
        self._name = "DepositLayer"
        self.options_json = script_json(
            {"url": url, "params": params, "colours": colours, "fallback": FALLBACK_COLOUR})


class ClickCount(JSCSSMixin, MacroElement):
    """Part of the map's own script: st_folium's count of clicks on features starts at None,
    as the page's default says, so the map's first report is no change (``common.js``)."""

    default_js = own_assets("permitmap_common", "common.js")
    _template = Template(
        """{% macro script(this, kwargs) %}
        permitmapCountClicksFromNone();
        {% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "ClickCount"


def legend_html(title: str, entries: dict[str, str], show_deposits: bool = True,
                deposit_note: str = "") -> str:
    """The legend's HTML, every text escaped: one swatch per colour shown, plus the outline
    and cluster cues. ``<details>``: it folds away when it covers the points wanted."""
    rows = [f'<details open><summary class="pm-title">{html.escape(title)}</summary>']
    rows += [
        f'<div><span class="pm-swatch" style="background:{html.escape(colour)}"></span>'
        f"{html.escape(label)}</div>"
        for label, colour in entries.items()
    ]
    approximate, grouped = tr("dashed: approximate place"), tr("group of deposits")
    rows.append('<div><span class="pm-swatch pm-approx"></span>'
                f"{html.escape(approximate)}</div>")
    if show_deposits:
        rows.append(
            '<div><span class="pm-swatch pm-cluster-key"></span>'
            f"{html.escape(grouped)}</div>"
            f'<div class="pm-note">{html.escape(deposit_note)}</div>'
        )
    rows.append("</details>")
    return "".join(rows)


def add_to(parent: folium.MacroElement, *children: Any) -> None:
    """Attach several elements to one parent."""
    for child in children:
        child.add_to(parent)


class SiteLayer(JSCSSMixin, MacroElement):
    """The project sites and what follows the page's filters (legend, deposit filter, the
    "Export this view" control, the view asked for), drawn by ``sites.js`` into its
    FeatureGroup, which st_folium evaluates again in the map already shown."""

    default_js = (own_assets("permitmap_common", "common.js")
                  + own_assets("permitmap_export_view", "export_view.js")
                  + own_assets("permitmap_sites", "sites.js"))
    default_css = own_assets("permitmap_css", "map.css")
    _template = Template(
        """{% macro script(this, kwargs) %}
        permitmapSites({{ this._parent._parent.get_name() }}, {{ this._parent.get_name() }},
                       {{ this.options_json }});
        {% endmacro %}"""
    )

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__()
        self._name = "SiteLayer"
        self.options_json = script_json(options)
