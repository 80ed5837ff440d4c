"""folium classes whose scripts and style sheets are the local copies in ``static/vendor/``.

folium (and streamlit-folium, which collects ``default_js``/``default_css`` of every
JSCSSMixin element and loads them in its iframe) would otherwise fetch Leaflet, jQuery,
Bootstrap, Font Awesome and the plugins from CDNs. Run ``python -m mapping.webmap.assets``
once to install the files these URLs point at.

Not available offline: ``folium.Icon`` / awesome markers (no Bootstrap, Font Awesome
or glyphicons; use CircleMarker or DivIcon) and branca colormaps (st_folium adds d3
from a CDN for any ``branca.colormap.ColorMap`` on the map).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import folium
from branca.colormap import ColorMap
from branca.element import Element
from folium.elements import JSCSSMixin
from folium.plugins import Fullscreen, MarkerCluster, MeasureControl, MousePosition
from folium.utilities import remove_empty

from mapping.webmap.assets import STATIC_URL, VENDOR_URLS


def _local(*links: tuple[str, str]) -> list[tuple[str, str]]:
    """folium ``(name, url)`` pairs from ``(name, VENDOR_URLS key)`` pairs."""
    return [(name, VENDOR_URLS[key]) for name, key in links]


class OfflineMap(folium.Map):
    """``folium.Map`` loading only local Leaflet and jQuery, and no tiles by default.

    streamlit-folium's frontend needs jQuery as ``$``; Bootstrap, awesome-markers,
    glyphicons and Font Awesome are dropped.
    """

    default_js = _local(("leaflet", "leaflet_js"), ("jquery", "jquery_js"))
    default_css = _local(("leaflet_css", "leaflet_css"))

    def __init__(
        self,
        location: Any = None,
        *,
        tiles: Any = None,
        min_zoom: int | None = None,
        max_zoom: int = 18,
        **kwargs: Any,
    ) -> None:
        super().__init__(location, tiles=tiles, min_zoom=min_zoom, max_zoom=max_zoom, **kwargs)
        # folium gives min/max zoom to its tile layer only. Without tiles the Leaflet map
        # has no maxZoom: zooming never stops and Leaflet.markercluster throws "Map has no
        # maxZoom specified" (which leaves streamlit-folium's iframe 0 px high).
        self.options.update(remove_empty(min_zoom=min_zoom, max_zoom=max_zoom))


class OfflineFullscreen(Fullscreen):
    """``folium.plugins.Fullscreen`` with leaflet.fullscreen 3.0.0 from static/vendor."""

    default_js = _local(("Control.Fullscreen.js", "fullscreen_js"))
    default_css = _local(("Control.FullScreen.css", "fullscreen_css"))


class OfflineMeasureControl(MeasureControl):
    """``folium.plugins.MeasureControl`` with leaflet-measure 2.1.7 from static/vendor."""

    default_js = _local(("leaflet_measure_js", "measure_js"))
    default_css = _local(("leaflet_measure_css", "measure_css"))


class OfflineMousePosition(MousePosition):
    """``folium.plugins.MousePosition`` with Leaflet.MousePosition from static/vendor."""

    default_js = _local(("Control_MousePosition_js", "mouse_position_js"))
    default_css = _local(("Control_MousePosition_css", "mouse_position_css"))


class OfflineMarkerCluster(MarkerCluster):
    """``folium.plugins.MarkerCluster`` with Leaflet.markercluster 1.4.1 from static/vendor."""

    default_js = _local(("markerclusterjs", "markercluster_js"))
    default_css = _local(
        ("markerclustercss", "markercluster_css"),
        ("markerclusterdefaultcss", "markercluster_default_css"),
    )


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def collected_links(m: Element) -> list[str]:
    """The script/style URLs streamlit-folium would load for ``m`` (deduplicated).

    Mirrors ``st_folium``: ``default_js`` and ``default_css`` of every JSCSSMixin
    element, plus the d3 CDN scripts it injects for any branca ColorMap.
    """
    links: list[str] = []
    for element in _walk(m):
        if isinstance(element, ColorMap):
            links += [
                "https://d3js.org/d3.v4.min.js",
                "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js",
            ]
        if isinstance(element, JSCSSMixin):
            links += [url for _, url in (*element.default_js, *element.default_css)]
    return list(dict.fromkeys(links))


def external_links(m: Element) -> list[str]:
    """Links of ``m`` (see ``collected_links``) that are not served by this app."""
    return [url for url in collected_links(m) if not url.startswith(f"{STATIC_URL}/")]
