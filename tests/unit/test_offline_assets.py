"""The map loads nothing from the internet: local assets only, and a committed basemap."""

from __future__ import annotations

import json
import re
from itertools import pairwise
from pathlib import Path
from typing import Any

import folium
import pytest

from domain.settings import DATA_DIR
from mapping.webmap import assets
from mapping.webmap.offline import (
    OfflineFullscreen,
    OfflineMap,
    OfflineMarkerCluster,
    OfflineMeasureControl,
    OfflineMousePosition,
    collected_links,
    external_links,
)

BASEMAP_DIR = DATA_DIR / "basemap"
TAG_URL = re.compile(r"<(?:script|link)\b[^>]*?\b(?:src|href)=[\"']([^\"']+)[\"']", re.I)
CSS_URL = re.compile(r"url\(\s*[\"']?([^\"')]+)[\"']?\s*\)")


@pytest.fixture(scope="module")
def installed() -> None:
    """Install static/vendor (a no-op when present); a failure fails the tests, never skips."""
    try:
        assets.install(log=lambda _line: None)
    except assets.AssetError as exc:
        pytest.fail(f"vendored assets missing and not installable: {exc}")
    assert assets.pending() == []


def full_map() -> OfflineMap:
    m = OfflineMap(location=[0, 0], zoom_start=2)
    for control in (OfflineFullscreen(), OfflineMeasureControl(), OfflineMousePosition()):
        control.add_to(m)
    cluster = OfflineMarkerCluster().add_to(m)
    folium.CircleMarker([10, 10], radius=5).add_to(cluster)
    return m


def rendered_urls(m: folium.Map) -> list[str]:
    return TAG_URL.findall(m.get_root().render())


def test_rendered_html_has_no_remote_script_or_style() -> None:
    urls = rendered_urls(full_map())
    assert urls, "expected <script>/<link> tags in the rendered map"
    assert [u for u in urls if re.match(r"(https?:)?//", u)] == []


def test_streamlit_folium_links_are_local() -> None:
    m = full_map()
    links = collected_links(m)
    assert assets.VENDOR_URLS["leaflet_js"] in links
    assert assets.VENDOR_URLS["jquery_js"] in links
    assert external_links(m) == []
    assert not any("bootstrap" in u or "awesome" in u or "glyphicons" in u for u in links)


def test_plain_folium_plugins_would_be_caught() -> None:
    m = OfflineMap()
    folium.plugins.Fullscreen().add_to(m)
    (_, js), (_, css) = (
        *folium.plugins.Fullscreen.default_js,
        *folium.plugins.Fullscreen.default_css,
    )
    assert external_links(m) == [js, css]


def test_offline_map_has_no_tiles_by_default() -> None:
    m = OfflineMap()
    assert not any(isinstance(c, folium.TileLayer) for c in m._children.values())


def test_offline_map_sets_zoom_limits_without_tiles() -> None:
    # Without a tile layer Leaflet has no maxZoom and Leaflet.markercluster throws.
    html = OfflineMap(min_zoom=2).get_root().render()
    assert '"maxZoom": 18' in html and '"minZoom": 2' in html


def test_every_local_url_is_an_installed_file(installed: None) -> None:
    m = full_map()
    urls = set(rendered_urls(m)) | set(collected_links(m)) | set(assets.VENDOR_URLS.values())
    missing = [u for u in sorted(urls) if not assets.url_to_path(u).is_file()]
    assert missing == [], f"run `python -m mapping.webmap.assets`; missing: {missing}"


def test_vendored_css_references_only_installed_files(installed: None) -> None:
    for key, url in assets.VENDOR_URLS.items():
        if not key.endswith("css"):
            continue
        css_path = assets.url_to_path(url)
        for ref in CSS_URL.findall(css_path.read_text(encoding="utf-8")):
            if ref.startswith(("#", "data:")):  # leaflet.css: url(#default#VML)
                continue
            assert not re.match(r"(https?:)?//", ref), f"{url} fetches {ref}"
            assert (css_path.parent / ref).is_file(), f"{url} needs {ref}"


def test_manifest_records_every_bundle(installed: None) -> None:
    manifest = json.loads(assets.MANIFEST_PATH.read_text(encoding="utf-8"))["bundles"]
    for bundle in assets.BUNDLES:
        entry = manifest[bundle.name]
        assert entry["version"] == bundle.version
        assert entry["source"].startswith(("pypi:", "npm:"))


def test_second_install_is_a_noop(installed: None) -> None:
    lines: list[str] = []
    assert assets.install(log=lines.append) == []
    assert len(lines) == 1 and "up to date" in lines[0]


def test_url_to_path_rejects_foreign_or_escaping_urls() -> None:
    for url in ("https://cdn.example/x.js", "/app/static/../app.py", "/other/x.js"):
        with pytest.raises(ValueError):
            assets.url_to_path(url)


# ---------------------------------------------------------------- basemap
def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    assert geometry["type"] == "MultiPolygon"
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


@pytest.mark.parametrize("name", ["countries-110m.geojson", "countries-50m.geojson"])
def test_basemap_is_valid_display_geojson(name: str) -> None:
    path: Path = BASEMAP_DIR / name
    assert path.stat().st_size < 1_500_000
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert len(features) >= 170
    names = set()
    for feature in features:
        assert feature["type"] == "Feature"
        assert set(feature["properties"]) == {"name"}
        names.add(feature["properties"]["name"])
        for ring in _rings(feature["geometry"]):
            assert len(ring) >= 4 and ring[0] == ring[-1]
            for lon, lat in ring:
                assert -180 <= lon <= 180 and -90 <= lat <= 90, (feature["properties"], lon, lat)
            for (lon0, _), (lon1, _) in pairwise(ring):
                assert abs(lon1 - lon0) <= 180, (feature["properties"]["name"], lon0, lon1)
    assert {"Russia", "Fiji", "Antarctica", "United States of America"} <= names


def _lines(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "LineString":
        return [geometry["coordinates"]]
    assert geometry["type"] == "MultiLineString"
    return list(geometry["coordinates"])


def test_us_state_lines_are_valid_display_geojson() -> None:
    path: Path = BASEMAP_DIR / "us-state-lines.geojson"
    assert path.stat().st_size < 400_000
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection" and collection["features"]
    count = 0
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        for line in _lines(feature["geometry"]):
            assert len(line) >= 2
            count += 1
            for lon, lat in line:
                # conterminous US, Alaska, Hawaii (Aleutians cross the antimeridian)
                assert -180 <= lon <= -65 or 172 <= lon <= 180, lon
                assert 18 <= lat <= 72, lat
                assert round(lon, 3) == lon and round(lat, 3) == lat
    assert count >= 50  # interior borders between the 48 conterminous states
