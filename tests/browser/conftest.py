"""Browser tier: a real ``streamlit run`` on a free port and Chromium through pytest-playwright.

The server is started once per session on the sample store (``tests.support.fixtures_data``); every
test gets a fresh browser context and a ``MapPage`` that records requests, page errors,
console errors and dialogs of the page and of every frame in it (the map's iframe included).
The tests fail, never skip, when Chromium or the server cannot start.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Dialog,
    Frame,
    FrameLocator,
    Locator,
    Page,
    WebSocket,
    expect,
)

from deploy.processes import free_port, stop, wait_until_healthy
from tests.support.fixtures_data import write_data_dir

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "test-results"
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
STARTUP_SECONDS = 60.0
TIMEOUT_MS = 30_000

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
SHOWN_MAP = f"{MAP_IFRAME} >> visible=true"  # not the old one a rerun leaves hidden a moment
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
SITE_MARKERS = ".leaflet-pmSites-pane path.pm-site"
DEPOSIT_MARKERS = ".leaflet-pmDeposits-pane path.leaflet-interactive"


# --- the server ---------------------------------------------------------------------------




@contextmanager
def running_app(folder: Path, **settings: str) -> Iterator[str]:
    """``streamlit run app.py`` on the sample store in ``folder`` (plus ``settings``, e.g.
    ``PERMITMAP_LAYER_DIR``), until the block ends; yields its base URL."""
    env = {
        **os.environ,
        "PERMITMAP_DB_PATH": str(folder / "app.db"),
        "PERMITMAP_DATA_DIR": str(write_data_dir(folder / "data")),
        "PERMITMAP_ONLINE_BASEMAPS": "false",
        "PYTHONUNBUFFERED": "1",
        **settings,
    }
    env.pop("DATABASE_URL", None)
    port = free_port()
    log = folder / "server.log"
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process, log, STARTUP_SECONDS)
        yield base_url
    finally:
        stop(process)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of ``streamlit run app.py`` on the sample store (created on first request)."""
    with running_app(tmp_path_factory.mktemp("browser-app")) as base_url:
        yield base_url


# --- the browser (pytest-playwright's fixtures, configured) --------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], browser_name: str | None
) -> dict[str, Any]:
    """Debian's Chromium where it is installed (``playwright install`` may not be able to
    download), else Playwright's own; flags for containers and no network of its own."""
    args = {**browser_type_launch_args}
    if browser_name in (None, "chromium"):
        args["args"] = [*args.get("args", []), *CHROMIUM_ARGS]
        if DEBIAN_CHROMIUM.exists() and "channel" not in args:
            args["executable_path"] = str(DEBIAN_CHROMIUM)
    return args


@pytest.fixture(scope="session")
def base_url(app_url: str) -> str:
    """pytest-playwright's base URL is our server. (Overriding it also replaces the plugin's
    fallback fixture, a method that pytest 9 warns about.)"""
    return app_url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """Wide enough that the map column shows the whole sample extent (minimum zoom 1)."""
    return {**browser_context_args, "viewport": {"width": 1920, "height": 1080}}


# --- the page under test -------------------------------------------------------------------


@dataclass
class MapPage:
    """The app's page with everything the browser did recorded."""

    page: Page
    base_url: str
    requests: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    frames_sent: list[int] = field(default_factory=list)  # websocket messages to the server
    responses: list[tuple[str, int]] = field(default_factory=list)  # (url, status)

    def open(self, query: str = "") -> MapPage:
        """Load the app (``query`` like ``?commodity=Nd``) and wait for the map to be ready."""
        self.page.goto(self.base_url + "/" + query)
        self.wait_idle()
        expect(self.map.locator(".leaflet-container[data-deposit-loads]")).to_be_visible()
        return self

    def wait_idle(self) -> None:
        """The script has run, and one map iframe is shown (while a rerun redraws the map,
        the old iframe stays hidden beside the new one for a moment: a rerun that a click
        starts may begin just after the script looked idle)."""
        expect(self.page.locator(APP_IDLE)).to_be_attached()
        expect(self.page.locator(SHOWN_MAP)).to_have_count(1)

    @property
    def map(self) -> FrameLocator:
        """Locators inside the map's iframe (re-resolved on every use)."""
        return self.page.frame_locator(SHOWN_MAP)

    def map_frame(self) -> Frame:
        """The map iframe's frame, for evaluating JavaScript against Leaflet."""
        handle = self.page.locator(SHOWN_MAP).element_handle()
        frame = handle.content_frame() if handle else None
        assert frame is not None, "the map iframe has no frame"
        return frame

    @property
    def site_markers(self) -> Locator:
        return self.map.locator(SITE_MARKERS)

    @property
    def deposit_markers(self) -> Locator:
        return self.map.locator(DEPOSIT_MARKERS)

    def site_ids(self) -> list[str]:
        """Ids of the site features on the map, from Leaflet's layers."""
        ids: list[str] = self.map_frame().evaluate(
            """() => {
              const ids = [];
              window.map_div.eachLayer((layer) => {
                const p = layer.feature && layer.feature.properties;
                if (p && p.kind === "site" && layer.getLatLng) { ids.push(p.id); }
              });
              return ids.sort();
            }"""
        )
        return ids

    def deposit_loads(self) -> int:
        value = self.map.locator(".leaflet-container").get_attribute("data-deposit-loads")
        return int(value or 0)

    def site_point(self, site_id: str, zoom: int | None = None) -> tuple[float, float]:
        """Page coordinates of a site's marker, found by its feature id through Leaflet.

        With ``zoom``, the map is first centred on the site at that zoom (no animation), so
        no neighbour overlaps it. Asserts that the marker's own SVG path is the topmost
        element at that point, so a mouse event there reaches this site and no other.
        """
        found = self.map_frame().evaluate(
            """([id, zoom]) => {
              const map = window.map_div;
              let target = null;
              map.eachLayer((layer) => {
                const p = layer.feature && layer.feature.properties;
                if (!target && p && p.kind === "site" && p.id === id && layer.getLatLng) {
                  target = layer;
                }
              });
              if (!target) { return null; }
              if (zoom !== null) { map.setView(target.getLatLng(), zoom, {animate: false}); }
              const point = map.latLngToContainerPoint(target.getLatLng());
              const box = map.getContainer().getBoundingClientRect();
              const x = box.left + point.x, y = box.top + point.y;
              return {x: x, y: y, hit: document.elementFromPoint(x, y) === target._path};
            }""",
            [site_id, zoom],
        )
        assert found is not None, f"no site marker with id {site_id!r} on the map"
        assert found["hit"], f"the marker of {site_id!r} is covered at its own position"
        iframe = self.page.locator(MAP_IFRAME)
        iframe.scroll_into_view_if_needed()
        box = iframe.bounding_box()
        assert box is not None
        return box["x"] + found["x"], box["y"] + found["y"]


def is_local(url: str) -> bool:
    """Whether a request stays on this machine (data: and blob: URLs included)."""
    if url.startswith(("data:", "blob:", "about:")):
        return True
    match = re.match(r"^(?:https?|wss?)://(\[[^\]]+\]|[^/:?#]+)", url)
    return match is not None and match.group(1) in {"localhost", "127.0.0.1", "[::1]"}


@contextmanager
def recorded_page(page: Page, url: str, request: pytest.FixtureRequest) -> Iterator[MapPage]:
    """Record what the browser does on ``page`` (console errors, dialogs, requests,
    responses, page errors, websocket messages sent); when the test fails, a screenshot and
    the record land in ``test-results/``."""
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    recorded = MapPage(page, url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            recorded.console_errors.append(f"{message.text} @ {message.location}")

    def on_dialog(dialog: Dialog) -> None:
        recorded.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_websocket(socket: WebSocket) -> None:
        socket.on("framesent", lambda payload: recorded.frames_sent.append(len(payload)))

    page.on("request", lambda req: recorded.requests.append(req.url))
    page.on("response", lambda r: recorded.responses.append((r.url, r.status)))
    page.on("pageerror", lambda e: recorded.page_errors.append(f"{e.name}: {e.message}"))
    page.on("console", on_console)
    page.on("dialog", on_dialog)
    page.on("websocket", on_websocket)
    yield recorded
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        RESULTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
        (RESULTS / f"{name}.json").write_text(json.dumps({
            "page_errors": recorded.page_errors, "console_errors": recorded.console_errors,
            "dialogs": recorded.dialogs, "requests": recorded.requests,
            "responses": recorded.responses,
        }, indent=1))


@contextmanager
def recorded_context_page(browser: Browser, url: str, request: pytest.FixtureRequest,
                          width: int = 1920, height: int = 1080) -> Iterator[MapPage]:
    """A fresh browser context (no cookie) of a window ``width`` × ``height`` and a recorded
    page on a module's own server (the ``page`` fixture would start the session server too:
    its context arguments carry that server's base URL)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        with recorded_page(context.new_page(), url, request) as recorded:
            yield recorded
    finally:
        context.close()


@pytest.fixture
def map_page(page: Page, app_url: str, request: pytest.FixtureRequest) -> Iterator[MapPage]:
    """A fresh page on the app; on failure a screenshot lands in ``test-results/``."""
    with recorded_page(page, app_url, request) as recorded:
        yield recorded


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, Any, None]:
    """Keep each phase's report on the test item (``rep_setup``, ``rep_call``)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)

