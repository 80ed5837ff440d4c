"""Chromium against a real ``streamlit run``: the map page as staff use it all day.

The map fills the window at 1440 × 900 and most of it at 1024 × 768; its controls never
overlap one another or the detail panel; a site opened by its link or by search is centred
and marked without a new map; two sites at one point can both be opened; a filter change
redraws the markers in the same iframe (the same element, the same Leaflet); the back
button returns to the previous site.

This module's server holds the sample sites plus a twin of Beta Rare Earths at Beta's very
position, a neighbour of Gamma 4 km away (as Thacker Pass and McDermitt, or Kosaka and
Akita, stand on a national map), ten sites at one spot (an industrial park's plants placed
at the town's centre) and a deposit near Deposit One.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import combinations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import (
    MAP_IFRAME,
    SITE_MARKERS,
    MapPage,
    is_local,
    recorded_context_page,
    running_app,
)
from tests.support.fixtures_data import (
    SAMPLE_DEPOSITS,
    SAMPLE_SITES,
    deposit_row,
    site_row,
    write_data_dir,
)

pytestmark = pytest.mark.browser

BETA = next(s for s in SAMPLE_SITES if s["id"] == "us-beta")
TWIN = site_row("us-beta-twin", "Beta Twin Refinery", commodities="REE",
                stage="separation/refining", status="construction", admin_area="Texas",
                lat=BETA["lat"], lon=BETA["lon"])
GAMMA = next(s for s in SAMPLE_SITES if s["id"] == "jp-gamma")
NEAR = site_row("jp-near", "Near Gamma Works", country="Japan", commodities="Dy",
                status="feasibility", lat=float(GAMMA["lat"]) + 0.03,
                lon=float(GAMMA["lon"]) + 0.03)  # 4 km away: one spot seen from afar
CROWD = [site_row(f"au-park-{n}", f"Park Plant {n}", country="Australia", admin_area="",
                  lat=-25.0, lon=135.0, position_quality="approximate (town)")
         for n in range(10)]
LOCATED = [s for s in [*SAMPLE_SITES, TWIN, NEAR, *CROWD] if s["lat"] != ""]
DEPOSIT_NEAR = deposit_row("D3", "Deposit Three", lat=39.05, lon=-116.05)
PANEL = ".st-key-pm-detail"

# every visible Leaflet control's box (and the hint line's), in the map frame's coordinates
CONTROL_BOXES = """() => Array.from(document.querySelectorAll('.leaflet-control, .pm-hint'))
  .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().width > 0)
  .map((el) => { const b = el.getBoundingClientRect();
                 return {name: el.className, x: b.left, y: b.top, w: b.width, h: b.height}; })"""

# a site marker's position in the map frame and whether it is marked as selected
MARKER_AT = """(id) => {
  let found = null;
  window.map_div.eachLayer((layer) => {
    const p = layer.feature && layer.feature.properties;
    if (p && p.kind === "site" && p.id === id && layer.getLatLng) {
      const point = window.map_div.latLngToContainerPoint(layer.getLatLng());
      const box = window.map_div.getContainer().getBoundingClientRect();
      found = {x: box.left + point.x, y: box.top + point.y,
               selected: layer._path.classList.contains("pm-selected"),
               top: document.elementFromPoint(box.left + point.x, box.top + point.y)
                    === layer._path};
    }
  });
  return found;
}"""


@pytest.fixture(scope="module")
def twin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("map-page-app")
    data = write_data_dir(folder / "twin-data", sites=[*SAMPLE_SITES, TWIN, NEAR, *CROWD],
                          deposits=[*SAMPLE_DEPOSITS, DEPOSIT_NEAR])
    with running_app(folder, PERMITMAP_DATA_DIR=str(data)) as url:
        yield url


@pytest.fixture
def wide(browser: Browser, twin_server: str, request: pytest.FixtureRequest) -> Iterator[MapPage]:
    with recorded_context_page(browser, twin_server, request, 1440, 900) as recorded:
        yield recorded


@pytest.fixture
def small(browser: Browser, twin_server: str,
          request: pytest.FixtureRequest) -> Iterator[MapPage]:
    with recorded_context_page(browser, twin_server, request, 1024, 768) as recorded:
        yield recorded


@pytest.fixture
def phone(browser: Browser, twin_server: str,
          request: pytest.FixtureRequest) -> Iterator[MapPage]:
    with recorded_context_page(browser, twin_server, request, 390, 844) as recorded:
        yield recorded


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
            and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])


def _iframe_box(map_page: MapPage) -> dict[str, float]:
    box = map_page.page.locator(MAP_IFRAME).bounding_box()
    assert box is not None
    return {"x": box["x"], "y": box["y"], "w": box["width"], "h": box["height"]}


def _assert_controls_apart(map_page: MapPage) -> list[dict[str, float]]:
    controls = map_page.map_frame().evaluate(CONTROL_BOXES)
    assert len(controls) >= 6, controls  # zoom, full screen, measure, layers, export, scale…
    for a, b in combinations(controls, 2):
        assert not _overlap(a, b), f"{a['name']} overlaps {b['name']}"
    frame = _iframe_box(map_page)
    for control in controls:  # every control wholly inside the map
        assert control["x"] >= 0 and control["y"] >= 0, control
        assert control["x"] + control["w"] <= frame["w"] + 1, control
        assert control["y"] + control["h"] <= frame["h"] + 1, control
    return controls


def _marker(map_page: MapPage, site_id: str) -> dict[str, object]:
    found = map_page.map_frame().evaluate(MARKER_AT, site_id)
    assert found is not None, f"no marker of {site_id}"
    return dict(found)


def _open_site(map_page: MapPage, query: str) -> None:
    map_page.page.goto(map_page.base_url + "/" + query)
    map_page.wait_idle()
    expect(map_page.map.locator(".leaflet-container[data-site-updates]")).to_be_attached()


# --- map first --------------------------------------------------------------------------


def test_at_1440_by_900_the_map_fills_most_of_the_window(wide: MapPage) -> None:
    _open_site(wide, "")
    box = _iframe_box(wide)
    share = box["w"] * box["h"] / (1440 * 900)
    assert share >= 0.70, f"the map fills {share:.0%} of the window"
    assert box["y"] + box["h"] <= 900 + 1  # the full height below the header, no scrolling
    _assert_controls_apart(wide)


def test_at_1024_by_768_the_map_keeps_most_of_the_window_with_a_site_open(
        small: MapPage) -> None:
    _open_site(small, "?site=us-beta")
    expect(small.page.locator(PANEL).get_by_role("heading", name="Beta Rare Earths")) \
        .to_be_visible()
    box = _iframe_box(small)
    assert box["w"] * box["h"] / (1024 * 768) >= 0.5
    assert box["w"] >= 1024 / 2  # the panel floats over the map; it takes no column from it
    panel = small.page.locator(PANEL).bounding_box()
    assert panel is not None and panel["width"] <= box["w"] / 2  # half the map stays clear
    # the right-hand controls moved clear of the panel; none overlaps another
    for control in _assert_controls_apart(small):
        page_left, page_right = box["x"] + control["x"], box["x"] + control["x"] + control["w"]
        assert page_right <= panel["x"] or page_left >= panel["x"] + panel["width"] \
            or box["y"] + control["y"] >= panel["y"] + panel["height"], control["name"]


# --- the chosen site in focus ----------------------------------------------------------------


def test_a_site_opened_by_its_link_is_centred_and_marked(wide: MapPage) -> None:
    _open_site(wide, "?site=jp-gamma")
    expect(wide.map.locator(".leaflet-container[data-selected='jp-gamma']")).to_be_attached()
    marker = _marker(wide, "jp-gamma")
    assert marker["selected"] and marker["top"]
    frame = _iframe_box(wide)
    panel = wide.page.locator(PANEL).bounding_box()
    assert panel is not None
    clear_width = panel["x"] - frame["x"]  # the part of the map the panel leaves open
    assert abs(float(marker["x"]) - clear_width / 2) < clear_width * 0.2  # type: ignore[arg-type]
    assert abs(float(marker["y"]) - frame["h"] / 2) < frame["h"] * 0.2  # type: ignore[arg-type]
    assert wide.map_frame().evaluate("() => window.map_div.getZoom()") >= 6


def test_search_opens_a_site_in_the_same_map(wide: MapPage) -> None:
    _open_site(wide, "")
    page = wide.page
    page.locator(MAP_IFRAME).evaluate("(el) => { el.__sameNode = true; }")
    wide.map_frame().evaluate("() => { window.__sameLeaflet = true; }")
    picker = page.locator('[data-testid="stSidebar"]').get_by_role(
        "combobox", name="Open a matching site")
    picker.click()
    picker.fill("Gamma")
    page.get_by_role("option", name=re.compile("^Gamma Magnet Works")).click()
    expect(page.locator(PANEL).get_by_role("heading", name="Gamma Magnet Works")).to_be_visible()
    expect(wide.map.locator(".leaflet-container[data-selected='jp-gamma']")).to_be_attached()
    assert page.locator(MAP_IFRAME).evaluate("(el) => el.__sameNode === true")
    assert wide.map_frame().evaluate("() => window.__sameLeaflet === true")
    marker = _marker(wide, "jp-gamma")
    assert marker["selected"]
    assert 0 < float(marker["x"]) < _iframe_box(wide)["w"]  # type: ignore[arg-type]


def test_two_sites_at_one_point_can_both_be_opened(wide: MapPage) -> None:
    _open_site(wide, "?site=us-beta")
    beta, twin = _marker(wide, "us-beta"), _marker(wide, "us-beta-twin")
    distance = ((float(beta["x"]) - float(twin["x"])) ** 2  # type: ignore[arg-type]
                + (float(beta["y"]) - float(twin["y"])) ** 2) ** 0.5  # type: ignore[arg-type]
    assert distance >= 12, "sites at one point are drawn over one another"
    assert twin["top"], "the twin's marker is covered"
    frame = _iframe_box(wide)
    wide.page.mouse.click(frame["x"] + float(twin["x"]),  # type: ignore[arg-type]
                          frame["y"] + float(twin["y"]))  # type: ignore[arg-type]
    expect(wide.page.locator(PANEL).get_by_role("heading", name="Beta Twin Refinery")) \
        .to_be_visible()
    expect(wide.page).to_have_url(re.compile(r"[?&]site=us-beta-twin(&|$)"))


def _apart(map_page: MapPage, one: str, other: str) -> float:
    a, b = _marker(map_page, one), _marker(map_page, other)
    return float(((float(a["x"]) - float(b["x"])) ** 2  # type: ignore[arg-type]
                  + (float(a["y"]) - float(b["y"])) ** 2) ** 0.5)  # type: ignore[arg-type]


def test_neighbours_seen_from_afar_stand_apart_and_sit_true_when_near(wide: MapPage) -> None:
    _open_site(wide, "?site=jp-gamma")
    frame = wide.map_frame()
    frame.evaluate("() => window.map_div.setZoom(5, {animate: false})")
    assert _apart(wide, "jp-gamma", "jp-near") >= 12  # 4 km is under a pixel at zoom 5
    assert _marker(wide, "jp-near")["top"] and _marker(wide, "jp-gamma")["top"]
    frame.evaluate("() => window.map_div.setZoom(13, {animate: false})")
    # close enough to stand apart: both at their true places, no legs
    true_places = frame.evaluate("""() => { const out = {};
      window.map_div.eachLayer((l) => { const p = l.feature && l.feature.properties;
        if (p && p.kind === "site") { out[p.id] = l.getLatLng().equals(l._pmAt); } });
      return out; }""")
    assert true_places["jp-gamma"] and true_places["jp-near"]


def test_the_back_button_returns_to_the_previous_site(wide: MapPage) -> None:
    _open_site(wide, "?site=us-beta")
    page = wide.page
    expect(page.locator(PANEL).get_by_role("heading", name="Beta Rare Earths")).to_be_visible()
    wide.wait_idle()
    frame = _iframe_box(wide)
    twin = _marker(wide, "us-beta-twin")
    page.mouse.click(frame["x"] + float(twin["x"]),  # type: ignore[arg-type]
                     frame["y"] + float(twin["y"]))  # type: ignore[arg-type]
    expect(page).to_have_url(re.compile(r"[?&]site=us-beta-twin(&|$)"))
    wide.wait_idle()
    page.go_back()
    expect(page).to_have_url(re.compile(r"[?&]site=us-beta(&|$)"))
    expect(page.locator(PANEL).get_by_role("heading", name="Beta Rare Earths")).to_be_visible()
    expect(wide.map.locator(".leaflet-container[data-selected='us-beta']")).to_be_attached()


# --- instant filters ---------------------------------------------------------------------


def test_a_filter_change_redraws_the_markers_in_the_same_map(wide: MapPage) -> None:
    _open_site(wide, "")
    page = wide.page
    expect(wide.map.locator(SITE_MARKERS)).to_have_count(len(LOCATED))
    page.locator(MAP_IFRAME).evaluate("(el) => { el.__sameNode = true; }")
    wide.map_frame().evaluate("() => { window.__sameLeaflet = true; }")
    box = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Commodity")
    box.click()
    box.fill("Neodymium")
    page.get_by_role("option", name=re.compile(r"^Neodymium")).click()
    expect(wide.map.locator(SITE_MARKERS)).to_have_count(2)  # Beta and Gamma have Nd
    wide.wait_idle()
    assert page.locator(MAP_IFRAME).count() == 1
    assert page.locator(MAP_IFRAME).evaluate("(el) => el.__sameNode === true")
    assert wide.map_frame().evaluate("() => window.__sameLeaflet === true")
    assert [u for u in wide.requests if not is_local(u)] == []
    assert wide.page_errors == []


def test_a_link_from_the_timeline_opens_the_site_on_the_map(wide: MapPage) -> None:
    page = wide.page
    page.goto(wide.base_url + "/timeline?site=us-alpha")
    link = page.get_by_role("link", name="On the map")
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(re.compile(r"/\?site=us-alpha$"))
    expect(page.locator(PANEL).get_by_role("heading", name="Alpha Lithium")).to_be_visible()
    expect(wide.map.locator(".leaflet-container[data-selected='us-alpha']")).to_be_attached()
    assert _marker(wide, "us-alpha")["selected"]
    assert wide.page_errors == []


def test_a_deposit_opened_by_its_link_is_centred_and_ringed(wide: MapPage) -> None:
    found = wide.page.request.get(
        wide.base_url + "/api/deposits?bbox=-180,-90,180,90&zoom=12").json()["features"]
    deposit = next(f for f in found if f["properties"]["name"] == "Deposit Two")
    ident = deposit["properties"]["id"]
    _open_site(wide, f"?deposit={ident}")
    expect(wide.page.locator(PANEL).get_by_role("heading", name="Deposit Two")).to_be_visible()
    expect(wide.map.locator(f".leaflet-container[data-selected-deposit='{ident}']")) \
        .to_be_attached()
    expect(wide.map.locator(".leaflet-pmDeposits-pane path.pm-deposit.pm-selected")) \
        .to_have_count(1)
    assert wide.map_frame().evaluate("() => window.map_div.getZoom()") >= 9


def _click_marker(map_page: MapPage, site_id: str) -> None:
    frame, marker = _iframe_box(map_page), _marker(map_page, site_id)
    map_page.page.mouse.click(frame["x"] + float(marker["x"]),  # type: ignore[arg-type]
                              frame["y"] + float(marker["y"]))  # type: ignore[arg-type]


def test_many_sites_at_one_spot_are_spread_so_each_can_be_opened(wide: MapPage) -> None:
    _open_site(wide, "")
    for zoom in (4, 12):  # from afar and close up: one spot never parts by zooming
        wide.map_frame().evaluate(
            "(zoom) => window.map_div.setView([-25.0, 135.0], zoom, {animate: false})", zoom)
        markers = [_marker(wide, s["id"]) for s in CROWD]
        for a, b in combinations(markers, 2):
            apart = ((float(a["x"]) - float(b["x"])) ** 2  # type: ignore[arg-type]
                     + (float(a["y"]) - float(b["y"])) ** 2) ** 0.5  # type: ignore[arg-type]
            assert apart >= 14, f"two of ten sites at one spot overlap at zoom {zoom}"
        assert all(m["top"] for m in markers), "a marker of the crowd is covered"
    _click_marker(wide, "au-park-9")
    expect(wide.page.locator(PANEL).get_by_role("heading", name="Park Plant 9")).to_be_visible()


def test_the_site_clicked_last_opens_again_after_its_panel_is_closed(wide: MapPage) -> None:
    _open_site(wide, "")
    page = wide.page
    wide.map_frame().evaluate(
        "() => window.map_div.setView([31.0, -105.0], 8, {animate: false})")
    _click_marker(wide, "us-beta-twin")
    heading = page.locator(PANEL).get_by_role("heading", name="Beta Twin Refinery")
    expect(heading).to_be_visible()
    wide.wait_idle()
    page.locator(PANEL).get_by_role("button", name="Close").click()
    expect(page.locator(PANEL)).to_have_count(0)
    wide.wait_idle()
    _click_marker(wide, "us-beta-twin")
    expect(heading).to_be_visible()


def test_back_to_before_the_first_click_closes_the_panel(wide: MapPage) -> None:
    _open_site(wide, "")
    page = wide.page
    wide.map_frame().evaluate(
        "() => window.map_div.setView([31.0, -105.0], 8, {animate: false})")
    _click_marker(wide, "us-beta")
    expect(page).to_have_url(re.compile(r"[?&]site=us-beta(&|$)"))
    expect(page.locator(PANEL)).to_have_count(1)
    wide.wait_idle()
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"[?&]site="))
    expect(page.locator(PANEL)).to_have_count(0)
    expect(wide.map.locator(".leaflet-container[data-selected='']")).to_be_attached()


def test_an_open_export_control_stays_open_when_the_filters_change(wide: MapPage) -> None:
    _open_site(wide, "")
    page = wide.page
    wide.map.get_by_role("button", name=re.compile(r"^Export this view")).click()
    expect(wide.map.locator(".pm-export-view.pm-open")).to_have_count(1)
    box = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Commodity")
    box.click()
    box.fill("Neodymium")
    page.get_by_role("option", name=re.compile(r"^Neodymium")).click()
    expect(wide.map.locator(SITE_MARKERS)).to_have_count(2)
    expect(wide.map.get_by_role("button", name="Export this view (2 sites)")).to_be_visible()
    expect(wide.map.locator(".pm-export-view.pm-open")).to_have_count(1)


def test_opening_another_deposit_rings_it_without_asking_for_the_deposits_again(
        wide: MapPage) -> None:
    found = wide.page.request.get(
        wide.base_url + "/api/deposits?bbox=-180,-90,180,90&zoom=12").json()["features"]
    ident = {f["properties"]["name"]: f["properties"]["id"] for f in found}
    _open_site(wide, f"?deposit={ident['Deposit One']}")
    container = wide.map.locator(".leaflet-container")
    expect(container).to_have_attribute("data-selected-deposit", str(ident["Deposit One"]))
    wide.wait_idle()
    expect(container).to_have_attribute("data-deposit-loads", re.compile(r"^[1-9]"))
    expect(wide.map.locator(".leaflet-pmDeposits-pane path.pm-deposit.pm-selected")) \
        .to_have_count(1)  # the view around Deposit One is drawn
    loads = container.get_attribute("data-deposit-loads")
    near = wide.map_frame().evaluate("""(id) => { let at = null;
      window.map_div.eachLayer((l) => { const p = l.feature && l.feature.properties;
        if (p && p.kind === "deposit" && p.id === id) {
          at = window.map_div.latLngToContainerPoint(l.getLatLng()); } });
      return at; }""", ident["Deposit Three"])
    assert near is not None, "Deposit Three is not drawn near Deposit One"
    frame = _iframe_box(wide)
    wide.page.mouse.click(frame["x"] + near["x"], frame["y"] + near["y"])
    expect(wide.page.locator(PANEL).get_by_role("heading", name="Deposit Three")).to_be_visible()
    expect(container).to_have_attribute("data-selected-deposit", str(ident["Deposit Three"]))
    expect(wide.map.locator(".leaflet-pmDeposits-pane path.pm-deposit.pm-selected")) \
        .to_have_count(1)
    assert container.get_attribute("data-deposit-loads") == loads  # ringed, not fetched


def test_on_a_phone_the_panel_floats_over_the_map_bottom_and_the_site_stays_clear(
        phone: MapPage) -> None:
    _open_site(phone, "?site=jp-gamma")
    panel_heading = phone.page.locator(PANEL).get_by_role("heading", name="Gamma Magnet Works")
    expect(panel_heading).to_be_visible()
    expect(phone.map.locator(".leaflet-container[data-selected='jp-gamma']")).to_be_attached()
    panel = phone.page.locator(PANEL).bounding_box()
    frame = _iframe_box(phone)
    assert panel is not None
    assert panel["width"] >= 390 * 0.9  # the window's width, not a column of it
    assert panel["y"] + panel["height"] <= 844 + 1 and panel["height"] <= 844 * 0.5 + 1
    heading = panel_heading.bounding_box()
    assert heading is not None and heading["height"] < 120  # words on lines, not letters
    marker = _marker(phone, "jp-gamma")
    assert marker["top"], "the site is under the panel"
    assert frame["y"] + float(marker["y"]) < panel["y"]  # type: ignore[arg-type]
    _assert_controls_apart(phone)
