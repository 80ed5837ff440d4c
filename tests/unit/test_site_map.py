"""The map builder: the map itself (layer names, the first frame, nothing from the internet)
and the site layer drawn into it (feature counts, escaped text, legend, the deposit and
export filters), the latter rendered as st_folium sends it to the map already shown."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from mapping.webmap.offline import external_links
from mapping.webmap.site_map import (
    BASEMAP_LAYER,
    DEPOSITS_LAYER,
    SITES_LAYER,
    MapOptions,
    SiteView,
    build_map,
    site_features,
    site_layer,
)
from tests.support.fixtures_data import SAMPLE_SITES, XSS_NAME


@pytest.fixture()
def sites() -> pd.DataFrame:
    frame = pd.DataFrame(SAMPLE_SITES)
    frame["lat"] = pd.to_numeric(frame["lat"])
    frame["lon"] = pd.to_numeric(frame["lon"])
    frame["jointly_selected"] = frame["jointly_selected"].map({"true": True}).astype(object)
    return frame


def _html(**options: object) -> str:
    return build_map(MapOptions(**options)).get_root().render()  # type: ignore[arg-type]


def _site_script(sites: pd.DataFrame, **view: object) -> str:
    """The site layer's script as st_folium evaluates it in the map already shown."""
    import streamlit_folium

    m = build_map(MapOptions())
    m.get_root().render()
    return str(streamlit_folium._get_feature_group_string(
        site_layer(sites, SiteView(**view)), map=m))  # type: ignore[arg-type]


def _site_options(sites: pd.DataFrame, **view: object) -> dict[str, object]:
    script = _site_script(sites, **view)
    found = re.search(r"permitmapSites\(map_div, \w+,\s*(\{.*\})\);", script, re.DOTALL)
    assert found, "the site layer does not call permitmapSites"
    options: dict[str, object] = json.loads(found.group(1))
    return options


def test_layers_and_controls_are_named(sites: pd.DataFrame) -> None:
    page = _html()
    for name in (DEPOSITS_LAYER, BASEMAP_LAYER):
        assert json.dumps(name) in page or name in page
    assert "permitmapDepositLayer(" in page and "permitmapBasemap(" in page
    assert '"lines": "/api/basemap/us-state-lines.geojson"' in page
    assert "L.control.scale" in page  # scale bar
    assert '"params": null' in page  # deposits wait for the page's filter
    script = _site_script(sites)
    assert "Sites by status" not in page and "Sites by status" in script  # the legend
    assert "map_div.addLayer(feature_group_feature_group_0)" in script


def test_only_located_sites_become_features(sites: pd.DataFrame) -> None:
    features = site_features(sites, "status")["features"]
    located = sites[sites["lat"].notna()]
    assert sorted(f["properties"]["id"] for f in features) == sorted(located["id"])
    approx = {f["properties"]["id"]: f["properties"]["approximate"] for f in features}
    assert approx["jp-gamma"] is True and approx["us-alpha"] is False


def test_attribute_text_is_escaped(sites: pd.DataFrame) -> None:
    page = _site_script(sites)
    assert XSS_NAME not in page
    # escaped in Python, and no "<" at all in the script's JSON: text, not a tag
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_no_request_leaves_the_app(sites: pd.DataFrame) -> None:
    m = build_map(MapOptions())
    site_layer(sites, SiteView()).add_to(m)
    assert external_links(m) == []
    page = m.get_root().render()
    assert not re.findall(r"""(?:src|href)=["']https?://""", page)
    assert "/app/static/permitmap/sites.js" in page
    assert "/app/static/permitmap/export_view.js" in page


def test_online_basemaps_only_when_enabled() -> None:
    assert "tile.openstreetmap.org" not in _html()
    assert "tile.openstreetmap.org" in _html(online_basemaps=True)


def test_deposit_filters_reach_the_layer(sites: pd.DataFrame) -> None:
    options = _site_options(sites, deposit_params=(("commodity", "Li,REE"),))
    assert options["depositParams"] == {"commodity": "Li,REE"}
    assert DEPOSITS_LAYER not in _html(show_deposits=False)


def test_the_map_itself_holds_no_record(sites: pd.DataFrame) -> None:
    """The map is kept across edits and imports: no site, and no frame of them, is in it
    (the page's first view request frames the matching sites: tests/app/test_pages.py)."""
    page = _html()
    for ident in sites["id"]:
        assert ident not in page
    assert "fitBounds" not in page


def test_colour_by_stage_changes_the_legend(sites: pd.DataFrame) -> None:
    assert "Sites by stage" in str(_site_options(sites, colour_by="stage")["legend"])
    assert "Sites by status" in str(_site_options(sites, colour_by="status")["legend"])


def test_the_selected_site_and_the_view_asked_for_reach_the_map(sites: pd.DataFrame) -> None:
    view = {"kind": "site", "lat": 35.9, "lon": 136.17, "zoom": 6, "token": "3"}
    options = _site_options(sites, selected="jp-gamma", view=view, panel_width=380)
    assert (options["selected"], options["view"], options["panelWidth"]) == (
        "jp-gamma", view, 380)
    assert _site_options(sites, selected=XSS_NAME)["selected"] == (
        "&lt;img src=x onerror=alert(1)&gt;")  # escaped like the features' ids


def test_a_cached_map_copy_renders_like_a_fresh_one(sites: pd.DataFrame) -> None:
    """st_folium renders the map it is given; a reused map must be copied first."""
    import copy

    import streamlit_folium

    cached = build_map(MapOptions())

    def streamlit_script(m: object) -> str:
        m.get_root().render()  # type: ignore[attr-defined]
        return streamlit_folium._get_map_string(m)  # type: ignore[arg-type]

    first = streamlit_script(copy.deepcopy(cached))
    second = streamlit_script(copy.deepcopy(cached))
    assert first == second
    # every element was renamed: no reference to a variable left from an earlier render
    assert not re.search(r"\b(?:feature_group|geo_json)_[0-9a-f]{32}\b", second)


def test_a_filter_with_no_located_site_still_renders(sites: pd.DataFrame) -> None:
    """A search that matches nothing, or only sites without a location, draws an empty map."""
    for subset in (sites.iloc[0:0], sites[sites["id"] == "au-delta"]):
        assert "permitmapDepositLayer(" in _html()
        assert _site_options(subset)["features"] == []
        assert site_features(subset, "status")["features"] == []


def test_survey_layer_names_are_escaped_and_unique_in_the_layer_control() -> None:
    from mapping.webmap.survey_overlays import Overlay

    hostile = "<svg onload=alert(2)>"
    overlays = (Overlay("a-1", hostile, "vector", 1, "{}", None),
                Overlay("b-2", SITES_LAYER, "vector", 1, "{}", None),
                Overlay("c-3", SITES_LAYER, "raster", 1, '{"colormap": "viridis"}',
                        (-117.0, 40.0, -116.0, 41.0)))
    page = _html(overlays=overlays)
    assert hostile not in page
    assert "\\u0026lt;svg onload=alert(2)\\u0026gt;" in page  # the layer control's label
    assert f"{SITES_LAYER} (2)" in page and f"{SITES_LAYER} (3)" in page
    assert "/tiles/c-3/{z}/{x}/{y}.png?v=1" in page


def test_the_map_exports_its_view_in_every_format(sites: pd.DataFrame) -> None:
    options = _site_options(sites, export_params=(("commodity", "Li"), ("as_of", "2026-06-30")))
    export = options["exportView"]
    assert isinstance(export, dict)
    assert export["sitesUrl"] == "/api/sites" and export["briefingUrl"] == "/api/briefing.zip"
    assert export["params"] == {"commodity": "Li", "as_of": "2026-06-30"}
    assert [f["suffix"] for f in export["formats"]] == [
        "geojson", "gpkg", "csv", "kml", "shp.zip", "parquet"]
    assert export["unavailable"] == ""


def test_the_export_control_says_why_a_future_date_cannot_export(sites: pd.DataFrame) -> None:
    options = _site_options(sites, export_unavailable="Set 'View as of' <today>")
    assert options["exportView"]["unavailable"] == "Set 'View as of' <today>"  # type: ignore[index]
    assert "<today>" not in _site_script(sites, export_unavailable="<today>")  # escaped
