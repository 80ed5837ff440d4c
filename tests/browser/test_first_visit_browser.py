"""Shared links work on every page, also as the first visit of a freshly started server.

For each link a new ``streamlit run`` (on the bundled data) is started and the link is its
first browser session: the first script run of a process is where Streamlit learns the
pages, and its frontend works out where the server is from the page's URL, so a link that
works on a warm server can still fail on a fresh one (``mapping/web/page_urls.py``).
Asserted: the page asked for is shown (its heading or its map, at its own URL), no "Page not
found" notice, no response with status 400 or above, no console error or page error, and
nothing fetched from outside this machine.
Fixtures: ``tests/browser/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import (
    APP_IDLE,
    ROOT,
    SHOWN_MAP,
    MapPage,
    is_local,
    recorded_context_page,
    running_app,
)

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Link:
    """A shared link, the headings of the page it opens (none: the map, known by its map)
    and the path it ends at."""

    url: str
    headings: tuple[str, ...]
    path: str


LINKS = [
    Link("/timeline?site=us-thacker-pass",
         ("Site timeline", "Thacker Pass Lithium Mine Project"), "/timeline"),
    Link("/portfolio", ("Portfolio",), "/portfolio"),
    Link("/alerts", ("Alerts",), "/alerts"),
    Link("/chokepoints?as_of=2028-01-01", ("Supply-chain chokepoints",), "/chokepoints"),
    Link("/crosswalk", ("Cross-walk: records of one place",), "/crosswalk"),
    Link("/layers", ("Survey layers",), "/layers"),
    Link("/data", ("Data and sources",), "/data"),
    # The default page is served at "/"; "/map" (its url_path in main.py) leads there, with
    # the query kept.
    Link("/map?commodity=Li", (), "/"),
    Link("/", (), "/"),
]


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[str]:
    """A ``streamlit run`` started for this test alone, on the bundled data: no browser
    session has reached it yet (only the health checks have)."""
    with running_app(tmp_path, PERMITMAP_DATA_DIR=str(ROOT / "data")) as base_url:
        yield base_url


@pytest.mark.parametrize("link", LINKS, ids=[link.url for link in LINKS])
def test_a_shared_link_is_the_first_visit(link: Link, fresh_server: str, browser: Browser,
                                          request: pytest.FixtureRequest) -> None:
    with recorded_context_page(browser, fresh_server, request) as app:
        page = app.page
        page.goto(fresh_server + link.url)
        for heading in link.headings:
            expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        _wait_settled(app, link)
        # Streamlit sends its page-not-found message in the script run, before the page's
        # own elements: with the page's heading shown and the run over, it would be shown
        # by now (so counted once, not waited for).
        assert page.get_by_text("Page not found").count() == 0
        assert page.get_by_role("dialog").count() == 0
        parts = urlsplit(page.url)
        assert parts.path == link.path, page.url
        asked = parse_qs(urlsplit(link.url).query)
        assert {k: v for k, v in parse_qs(parts.query).items() if k in asked} == asked

        failed = [(url, status) for url, status in app.responses if status >= 400]
        assert failed == []
        assert app.console_errors == []
        assert app.page_errors == [] and app.dialogs == []
        assert [u for u in app.requests if not is_local(u)] == []


def _wait_settled(app: MapPage, link: Link) -> None:
    """The first script run is over; on the map, the map has drawn and loaded its deposits
    (the attribute is set once a load has succeeded)."""
    expect(app.page.locator(APP_IDLE)).to_be_attached()
    if not link.headings:
        expect(app.page.locator(SHOWN_MAP)).to_have_count(1)
        expect(app.map.locator(".leaflet-container[data-deposit-loads]")).to_be_visible()
