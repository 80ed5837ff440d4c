"""Chromium against a real ``streamlit run`` on the sample store: what a user sees and does.

Sites shown, a click opens the right site, filters change the markers, no JavaScript errors,
no request leaves localhost, a hostile site name stays text, panning fetches deposits
without rerunning the script. Fixtures: ``tests/browser/conftest.py``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import APP_IDLE, MapPage, is_local
from tests.support.fixtures_data import SAMPLE_DEPOSITS, SAMPLE_SITES, XSS_NAME

pytestmark = pytest.mark.browser

LOCATED_IDS = sorted(str(s["id"]) for s in SAMPLE_SITES if s["lat"] != "")
ND_IDS = sorted(str(s["id"]) for s in SAMPLE_SITES
                if "Nd" in str(s["commodities"]).split(";") and s["lat"] != "")


def _deposit_requests(map_page: MapPage) -> list[str]:
    return [u for u in map_page.requests if urlparse(u).path == "/api/deposits"]


def _tour(map_page: MapPage) -> None:
    """Load, hover and click a site (a rerun), pan, then load again in a new session."""
    map_page.open()
    x, y = map_page.site_point("jp-gamma", zoom=6)
    map_page.page.mouse.move(x, y)
    expect(map_page.map.locator(".leaflet-tooltip")).to_contain_text("Gamma Magnet Works")
    map_page.page.mouse.click(x, y)
    expect(map_page.page.get_by_role("heading", level=3, name="Gamma Magnet Works")).to_be_visible()
    map_page.wait_idle()
    loads = map_page.deposit_loads()
    map_page.map_frame().evaluate("() => { window.map_div.panBy([200, 0]); }")
    map_page.map_frame().wait_for_function("(n) => window.permitmapDeposits.loads > n", arg=loads)
    # A second session renders the same cached map again (this once threw a ReferenceError).
    map_page.open("?commodity=Nd&site=us-beta")
    expect(map_page.site_markers).to_have_count(len(ND_IDS))
    expect(map_page.page.get_by_role("heading", level=3, name="Beta Rare Earths")).to_be_visible()


def test_map_shows_the_sample_sites_and_deposits(map_page: MapPage) -> None:
    map_page.open()
    expect(map_page.site_markers).to_have_count(len(LOCATED_IDS))
    assert map_page.site_ids() == LOCATED_IDS
    assert map_page.deposit_loads() >= 1
    expect(map_page.deposit_markers).to_have_count(len(SAMPLE_DEPOSITS))
    meta = map_page.map_frame().evaluate("() => window.permitmapDeposits.meta")
    assert meta["mode"] == "points"
    assert meta["in_view"] == meta["matching"] == len(SAMPLE_DEPOSITS)


def test_click_on_a_site_opens_that_site(map_page: MapPage) -> None:
    page = map_page.open().page
    hint = map_page.map.get_by_text("Click a site or a deposit on the map")  # over the map
    expect(hint).to_be_visible()
    x, y = map_page.site_point("jp-gamma", zoom=6)
    page.mouse.click(x, y)  # a real click on the marker's SVG path
    expect(page.get_by_role("heading", level=3, name="Gamma Magnet Works", exact=True)) \
        .to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]site=jp-gamma(&|$)"))
    expect(hint).to_be_hidden()
    map_page.wait_idle()
    # the map survives the rerun with every site still on it
    expect(map_page.site_markers).to_have_count(len(LOCATED_IDS))


def test_commodity_in_the_url_filters_the_markers(map_page: MapPage) -> None:
    map_page.open("?commodity=Nd")
    expect(map_page.site_markers).to_have_count(len(ND_IDS))
    assert map_page.site_ids() == ND_IDS == ["jp-gamma", "us-beta"]
    # the deposits layer asks for the same commodity; no sample deposit carries Nd
    assert all(parse_qs(urlparse(u).query)["commodity"] == ["Nd"]
               for u in _deposit_requests(map_page))
    expect(map_page.deposit_markers).to_have_count(0)


def test_sidebar_filter_changes_the_marker_count(map_page: MapPage) -> None:
    page = map_page.open().page
    expect(map_page.site_markers).to_have_count(len(LOCATED_IDS))
    box = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Commodity")
    box.click()
    box.fill("Neodymium")
    page.get_by_role("option", name=re.compile(r"^Neodymium \(2\)")).click()
    expect(page).to_have_url(re.compile(r"[?&]commodity=Nd(&|$)"))
    expect(map_page.site_markers).to_have_count(len(ND_IDS))
    map_page.wait_idle()
    assert map_page.site_ids() == ND_IDS


def test_a_chosen_value_survives_its_count_changing(map_page: MapPage) -> None:
    """Choosing a country changes the count beside Neodymium (2 -> 1); the next rerun must
    keep Neodymium chosen, not a stale label of it."""
    page = map_page.open().page
    sidebar = page.locator('[data-testid="stSidebar"]')
    for name, value, option in (("Commodity", "Neodymium", r"^Neodymium \(2\)"),
                                ("Country", "Japan", r"^Japan \(1\)")):
        box = sidebar.get_by_role("combobox", name=name)
        box.click()
        box.fill(value)
        page.get_by_role("option", name=re.compile(option)).click()
        page.keyboard.press("Escape")  # the list stays open over the next filter
        map_page.wait_idle()
    expect(page).to_have_url(re.compile(r"[?&]country=Japan(&|$)"))
    sidebar.get_by_text("schedule health").click()  # any rerun
    map_page.wait_idle()
    expect(page.get_by_text("1 of 5 sites")).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]commodity=Nd(&|$)"))
    expect(map_page.site_markers).to_have_count(1)


def test_no_javascript_errors(map_page: MapPage) -> None:
    _tour(map_page)
    # Nothing is excluded: every console error and uncaught exception fails the test.
    assert map_page.page_errors == []
    assert map_page.console_errors == []


def test_no_request_leaves_localhost(map_page: MapPage) -> None:
    _tour(map_page)
    paths = {urlparse(u).path for u in map_page.requests}
    assert {"/api/deposits", "/app/static/vendor/leaflet/leaflet.js"} <= paths  # recorded
    assert [u for u in map_page.requests if not is_local(u)] == []


def test_hostile_site_name_stays_text(map_page: MapPage) -> None:
    page = map_page.open().page
    x, y = map_page.site_point("us-xss", zoom=7)
    page.mouse.move(x, y)
    tooltip = map_page.map.locator(".leaflet-tooltip-pane .leaflet-tooltip")
    expect(tooltip).to_contain_text(XSS_NAME)  # textContent: the name, shown as text
    page.mouse.click(x, y)
    expect(page.get_by_role("heading", level=3, name=XSS_NAME, exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]site=us-xss(&|$)"))
    operator = page.locator('[data-testid="stMarkdownContainer"]', has_text="Operator:")
    expect(operator).to_have_text(f"Operator: {XSS_NAME}")
    map_page.wait_idle()
    for scope in (page, map_page.map):
        expect(scope.locator('img[src="x"]')).to_have_count(0)
        expect(scope.locator("img[onerror]")).to_have_count(0)
    assert map_page.dialogs == []
    assert not [u for u in map_page.requests if urlparse(u).path.endswith("/x")]


def test_panning_loads_deposits_without_a_rerun(map_page: MapPage) -> None:
    page = map_page.open().page
    page.evaluate(
        """(selector) => {
          const app = document.querySelector(selector);
          window.__scriptStates = [];
          new MutationObserver(() => {
            window.__scriptStates.push(app.getAttribute("data-test-script-state"));
          }).observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
        }""",
        '[data-testid="stApp"]',
    )
    loads, sent = map_page.deposit_loads(), len(map_page.frames_sent)
    requests = _deposit_requests(map_page)
    frame = map_page.map_frame()
    frame.evaluate("() => { window.map_div.panBy([200, 0]); }")
    frame.wait_for_function("(n) => window.permitmapDeposits.loads > n", arg=loads)
    assert map_page.deposit_loads() > loads
    new = _deposit_requests(map_page)[len(requests):]
    assert new, "the pan fetched no deposits"
    assert parse_qs(urlparse(new[-1]).query)["bbox"] != parse_qs(urlparse(requests[-1]).query)[
        "bbox"]
    meta = frame.evaluate("() => window.permitmapDeposits.meta")
    expect(map_page.deposit_markers).to_have_count(meta["returned"])
    # The absence of a rerun can only be watched over a window: streamlit-folium sends a
    # changed value 250 ms (debounced) after a move, so watch for a full second.
    page.wait_for_timeout(1000)
    assert page.evaluate("() => window.__scriptStates") == []
    assert len(map_page.frames_sent) == sent  # no message (rerun request) to the server
    expect(page.locator(APP_IDLE)).to_be_attached()
