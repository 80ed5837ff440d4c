"""Chromium against a real ``streamlit run``: the permitting pages as a user sees them.

The site timeline draws its Gantt chart, the map coloured by schedule health paints the
sample sites in the health colours, and the new pages fetch nothing from outside localhost.
Fixtures: ``tests/browser/conftest.py``.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from mapping.webmap.palette import HEALTH_COLOURS
from permits.vocab import ScheduleHealth
from tests.browser.conftest import APP_IDLE, MapPage, is_local

pytestmark = pytest.mark.browser

SCREENSHOTS = Path("/tmp")
PAGES = ("timeline?site=us-alpha", "portfolio", "alerts?as_of=2026-11-20",
         "timeline?site=us-alpha&as_of=2025-06-01")
CHART = '.vega-embed[data-testid="stVegaLiteChart"]'
# Streamlit's frontend first probes <page path>/_stcore/... when a page is opened by its own
# URL, then falls back to the root: two expected 404s in the console, nothing else.
PROBE = re.compile(r"status of 404")


def _open(map_page: MapPage, path: str) -> None:
    """Open a page by its own URL. The root is loaded first: on a server whose first session
    opens a page other than the default, Streamlit shows "Page not found" over the right
    page (the pages are known only once the router has run)."""
    for url in ("/", f"/{path}"):
        map_page.page.goto(map_page.base_url + url)
        expect(map_page.page.locator(APP_IDLE)).to_be_attached()


def _unexpected_console(map_page: MapPage) -> list[str]:
    probes = [u for u in map_page.requests if "/_stcore/" in urlparse(u).path
              and not urlparse(u).path.startswith("/_stcore/")]
    errors = [e for e in map_page.console_errors if not (probes and PROBE.search(e))]
    return errors


def test_timeline_draws_the_gantt_chart(map_page: MapPage) -> None:
    _open(map_page, "timeline?site=us-alpha")
    page = map_page.page
    expect(page.get_by_role("heading", name="Alpha Lithium Mine")).to_be_visible()
    chart = page.locator(CHART).first
    expect(chart.locator("canvas, svg").first).to_be_visible()
    chart.scroll_into_view_if_needed()
    box = chart.locator("canvas, svg").first.bounding_box()
    assert box is not None and box["width"] > 400 and box["height"] > 150
    expect(page.get_by_text("exceeds it by 213 days")).to_be_visible()
    chart.screenshot(path=str(SCREENSHOTS / "permitmap-gantt.png"))
    page.screenshot(path=str(SCREENSHOTS / "permitmap-timeline.png"), full_page=True)
    assert map_page.page_errors == []
    assert _unexpected_console(map_page) == []


def test_map_colours_sites_by_schedule_health(map_page: MapPage) -> None:
    # a fixed as-of date: Alpha's Section 404 action is paused, Beta is complete
    map_page.open("?colour=health&as_of=2026-11-20")
    expect(map_page.site_markers).to_have_count(4)
    fills = map_page.map_frame().evaluate(
        """() => {
          const fills = {};
          window.map_div.eachLayer((layer) => {
            const p = layer.feature && layer.feature.properties;
            if (p && p.kind === "site" && layer._path) {
              fills[p.id] = layer._path.getAttribute("fill");
            }
          });
          return fills;
        }"""
    )
    colour = {k: v.lower() for k, v in HEALTH_COLOURS.items()}
    assert fills["us-alpha"].lower() == colour[ScheduleHealth.PAUSED]
    assert fills["us-beta"].lower() == colour[ScheduleHealth.COMPLETE]
    assert fills["jp-gamma"].lower() == colour[ScheduleHealth.NO_SCHEDULE]
    expect(map_page.map.locator(".pm-legend")).to_contain_text("Sites by schedule health")
    map_page.page.screenshot(path=str(SCREENSHOTS / "permitmap-map-health.png"))
    assert map_page.page_errors == [] and map_page.console_errors == []


def test_permitting_pages_stay_on_localhost(map_page: MapPage) -> None:
    for path in PAGES:
        _open(map_page, path)
        expect(map_page.page.locator('[data-testid="stMain"] h1')).to_be_visible()
    # every page drew its charts (none failed to load a script from elsewhere)
    assert {urlparse(u).path for u in map_page.requests} >= {"/timeline", "/portfolio",
                                                             "/alerts"}
    assert [u for u in map_page.requests if not is_local(u)] == []
    assert map_page.page_errors == []
    assert _unexpected_console(map_page) == []


def test_the_history_download_states_its_marking_and_is_audited(
        map_page: MapPage, tmp_path_factory: pytest.TempPathFactory) -> None:
    [store] = tmp_path_factory.getbasetemp().glob("browser-app[0-9]*/app.db")
    before = _history_exports(store)
    _open(map_page, "timeline?site=us-alpha")
    page = map_page.page
    button = page.get_by_role("button", name="Download the history (CSV)")
    button.scroll_into_view_if_needed()
    with page.expect_download() as info:
        button.click()
    first = Path(info.value.path()).read_text(encoding="utf-8-sig").splitlines()[0]
    assert first == "# Handling marking: Public (public)"
    assert _history_exports(store) == before + 1  # recorded when the file was made
    assert map_page.page_errors == []


def _history_exports(store: Path) -> int:
    with sqlite3.connect(store) as db:
        return int(db.execute("SELECT count(*) FROM audit_log WHERE action = 'export' AND "
                              "target = 'change history of site us-alpha'").fetchone()[0])
