"""Chromium against a real ``streamlit run``: survey layers uploaded, published and shown.

Through the real pages: upload a zipped Shapefile of three claims, read the pre-flight
report, publish it and see its three polygons on the map (zoomed to them); click a claim and
read its attributes in the popup, the hostile name as text; then the same for a GeoTIFF,
whose tiles come from the app's tile route and load as 256-pixel images; then a Shapefile's
parts chosen together in the file dialog, its lost .shx rebuilt. Nothing leaves
localhost, nothing throws, no dialog opens.

The server is this module's own (one for the module): the session server of
``conftest.py`` serves the sample store to the map tests, and layers published here would
add polygons to its map. This one keeps its database and layer files (``PERMITMAP_LAYER_DIR``)
in a temporary folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import (
    Browser,
    expect,
)
from sqlalchemy import create_engine

from services.publishing import raster_path
from store.layer_repo import LayerRecord, list_layers
from tests.browser.conftest import (
    MAP_IFRAME,
    MapPage,
    is_local,
    recorded_context_page,
    running_app,
)
from tests.support.layer_files import CLAIMS, write_claims_zip, write_magnetics_tif
from tests.unit.test_shapefile_delivery import write_parts

pytestmark = pytest.mark.browser

SCREENSHOT = Path("/tmp/layers_map.png")
CLAIMS_NAME = "Humboldt claims"
MAGNETICS_NAME = "Magnetics, Osgood Mountains"
HOSTILE = CLAIMS[0][0]  # 'Claim 1 <script>alert(1)</script>'
SURVEY_PATHS = "path.pm-survey"
RASTER_TILES = ".pm-raster img.leaflet-tile"
APP = '[data-testid="stApp"]'


# --- this module's server and page --------------------------------------------------------


@dataclass(frozen=True)
class LayerServer:
    url: str
    db_path: Path
    layer_dir: Path

    def layers(self) -> list[LayerRecord]:
        """The layer catalog, read from the server's database."""
        engine = create_engine(f"sqlite:///{self.db_path}")
        try:
            return list_layers(engine)
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def layer_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LayerServer]:
    """``streamlit run app.py`` on the sample store, with layer files in a temporary folder."""
    folder = tmp_path_factory.mktemp("layer-app")
    layer_dir = folder / "layers"
    with running_app(folder, PERMITMAP_LAYER_DIR=str(layer_dir)) as url:
        yield LayerServer(url, folder / "app.db", layer_dir)


@pytest.fixture
def layer_page(browser: Browser, layer_server: LayerServer,
               request: pytest.FixtureRequest) -> Iterator[MapPage]:
    """A fresh context and recorded page on this module's server."""
    with recorded_context_page(browser, layer_server.url, request) as recorded:
        yield recorded


# --- steps ---------------------------------------------------------------------------------


def _publish(layer_page: MapPage, path: Path | list[Path], name: str, who: str) -> None:
    """Upload ``path`` (or several files chosen together) on the upload page, check its
    report, publish, open the map."""
    page = layer_page.page
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Upload a layer") \
        .click()
    expect(page).to_have_url(re.compile(r"/upload$"))
    expect(page.get_by_role("heading", name="Upload a survey layer")).to_be_visible()
    page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(path)
    shown = path if isinstance(path, Path) else next(p for p in path if p.suffix == ".shp")
    expect(page.get_by_text(f"{shown.name}:")).to_contain_text("can be published")
    form = page.locator('[data-testid="stForm"]')
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Uploaded by").fill(who)
    form.get_by_role("button", name="Publish").click()
    expect(page.get_by_text(f"Published '{name}'")).to_be_visible()
    page.get_by_role("link", name=re.compile("Show it on the map")).click()
    expect(page).to_have_url(re.compile(r"^https?://[^/]+/(map)?$"))  # the default page
    expect(page.get_by_text(f"Zoomed to the survey layer {name}.")).to_be_visible()
    layer_page.wait_idle()


def _survey_point(layer_page: MapPage, needle: str) -> tuple[float, float]:
    """Page coordinates of the middle of the survey feature whose popup holds ``needle``
    (as the popup's HTML has it); asserts its path is the topmost element there."""
    found = layer_page.map_frame().evaluate(
        """(needle) => {
          const map = window.map_div;
          let target = null;
          map.eachLayer((layer) => {
            const p = layer.feature && layer.feature.properties;
            if (!target && p && p.popup && p.popup.includes(needle) && layer._path) {
              target = layer;
            }
          });
          if (!target) { return null; }
          const point = map.latLngToContainerPoint(target.getBounds().getCenter());
          const box = map.getContainer().getBoundingClientRect();
          const x = box.left + point.x, y = box.top + point.y;
          return {x: x, y: y, hit: document.elementFromPoint(x, y) === target._path};
        }""",
        needle,
    )
    assert found is not None, f"no survey feature whose popup holds {needle!r}"
    assert found["hit"], f"the feature of {needle!r} is covered at its middle"
    box = layer_page.page.locator(MAP_IFRAME).bounding_box()
    assert box is not None
    return box["x"] + found["x"], box["y"] + found["y"]


WATCH_SCRIPT_STATE = """(selector) => {
  const app = document.querySelector(selector);
  window.__scriptStates = [];
  new MutationObserver(() => {
    window.__scriptStates.push(app.getAttribute("data-test-script-state"));
  }).observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}"""

SURVEY_IN_VIEW = """() => {
  const map = window.map_div, view = map.getBounds();
  let n = 0;
  map.eachLayer((layer) => {
    if (layer.feature && layer._path && layer._path.classList.contains("pm-survey")
        && view.contains(layer.getBounds())) { n += 1; }
  });
  return n;
}"""

# Every tile has loaded and faded in, the tiles of an earlier zoom are gone, and some tile is a
# 256-pixel image.
TILES_LOADED = """(selector) => {
  const tiles = Array.from(document.querySelectorAll(selector));
  return tiles.length > 0 && new Set(tiles.map((img) => img.parentNode)).size === 1
    && tiles.every((img) => img.complete && img.classList.contains("leaflet-tile-loaded")
                            && getComputedStyle(img).opacity === "1")
    && tiles.some((img) => img.naturalWidth === 256 && img.naturalHeight === 256);
}"""

FIT_ALL_LAYERS = """() => {
  const map = window.map_div;
  let bounds = null;
  const add = (b) => { bounds = bounds ? bounds.extend(b) : L.latLngBounds(b); };
  map.eachLayer((layer) => {
    if (layer.feature && layer._path && layer._path.classList.contains("pm-survey")) {
      add(layer.getBounds());
    }
    if (layer.options && layer.options.className === "pm-raster" && layer.options.bounds) {
      add(layer.options.bounds);
    }
  });
  map.fitBounds(bounds, {animate: false, padding: [40, 40]});
}"""


def _tile_responses(layer_page: MapPage, layer_id: str) -> list[tuple[str, int]]:
    pattern = re.compile(rf"^/tiles/{re.escape(layer_id)}/\d+/\d+/\d+\.png$")
    return [(u, s) for u, s in layer_page.responses if pattern.match(urlparse(u).path)]


# --- the test ------------------------------------------------------------------------------


def test_uploaded_layers_are_drawn_on_the_map(layer_page: MapPage, layer_server: LayerServer,
                                              tmp_path: Path) -> None:
    page = layer_page.page
    page.goto(layer_server.url + "/")
    layer_page.wait_idle()

    # 1. the zipped Shapefile: three claim polygons, in view of the map zoomed to them
    _publish(layer_page, write_claims_zip(tmp_path), CLAIMS_NAME, "alice")
    [claims] = layer_server.layers()
    assert (claims.name, claims.kind, claims.feature_count) == (CLAIMS_NAME, "vector", 3)
    expect(layer_page.map.locator(".leaflet-container[data-survey-loads]")).to_be_attached()
    expect(layer_page.map.locator(SURVEY_PATHS)).to_have_count(3)
    assert layer_page.map_frame().evaluate(SURVEY_IN_VIEW) == 3
    assert any(urlparse(u).path == f"/api/layers/{claims.id}/features.geojson"
               for u in layer_page.requests)

    # 3. a click on a claim opens its popup; the hostile name is text, no script runs
    x, y = _survey_point(layer_page, "Claim 1 &lt;script&gt;")
    page.evaluate(WATCH_SCRIPT_STATE, APP)
    page.mouse.click(x, y)
    popup = layer_page.map.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(HOSTILE)  # textContent: the name as it was typed
    expect(popup).to_contain_text("12.5")  # area_ha of claim 1
    expect(popup.locator("td").filter(has_text="Claim 1")).to_have_text(HOSTILE)
    expect(popup.locator("script")).to_have_count(0)
    # st_folium sends the clicked feature to the script (last_active_drawing, debounced), and
    # the map page reruns; a page switch before that rerun ends would be undone by it. Wait
    # for it, then the popup is still open on the same map.
    page.wait_for_function("() => window.__scriptStates.includes('notRunning')")
    layer_page.wait_idle()
    expect(popup).to_contain_text(HOSTILE)
    expect(layer_page.map.locator(SURVEY_PATHS)).to_have_count(3)

    # 2. the GeoTIFF: tiles from the app's tile route, loaded as 256-pixel images
    _publish(layer_page, write_magnetics_tif(tmp_path), MAGNETICS_NAME, "alice")
    magnetics = next(r for r in layer_server.layers() if r.name == MAGNETICS_NAME)
    assert magnetics.kind == "raster"
    assert raster_path(magnetics, layer_server.layer_dir).is_file()  # in the test's folder
    frame = layer_page.map_frame()
    frame.wait_for_function(TILES_LOADED, arg=RASTER_TILES)
    tiles = _tile_responses(layer_page, magnetics.id)
    assert tiles, "no tile of the raster layer was requested"
    assert {status for _, status in tiles} == {200}, tiles
    assert all(re.search(rf"[?&]v={magnetics.version}(&|$)", u) for u, _ in tiles)
    expect(layer_page.map.locator(SURVEY_PATHS)).to_have_count(3)  # the claims stay on

    # both layers in one view, for the eye
    frame.evaluate(FIT_ALL_LAYERS)
    frame.wait_for_function(TILES_LOADED, arg=RASTER_TILES)
    assert frame.evaluate(SURVEY_IN_VIEW) == 3
    page.locator(MAP_IFRAME).screenshot(path=str(SCREENSHOT))
    assert {status for _, status in _tile_responses(layer_page, magnetics.id)} == {200}

    # 4. a Shapefile's parts chosen together, its .shx lost on the way: rebuilt, published
    parts = write_parts(tmp_path / "parts", stem="Drill holes")
    parts.pop(".shx").unlink()
    _publish(layer_page, sorted(parts.values()), "Drill holes", "alice")
    holes = next(r for r in layer_server.layers() if r.name == "Drill holes")
    assert (holes.feature_count, holes.original_filename) == (40, "Drill holes.shp")

    # 5. nothing left localhost, nothing threw, no dialog opened
    assert [u for u in layer_page.requests if not is_local(u)] == []
    assert layer_page.page_errors == []
    assert layer_page.console_errors == []
    assert layer_page.dialogs == []
