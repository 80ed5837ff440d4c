"""The shared deployment as an office uses it: PostGIS, two app processes, HAProxy in front.

Two browsers, each pinned by the balancer's cookie to its own process: a layer published in
the first is listed in the second on its next page load, though another process serves it.
Then the first browser's process is killed with SIGKILL: its next page load is served by
the surviving process, with the layer still there. Nothing leaves localhost.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response, expect

from deploy.balancer import SERVED_BY, STICKY_COOKIE
from deploy.processes import free_port, http_get
from deploy.shared import SharedDeployment, running_shared
from tests.browser.conftest import APP_IDLE, TIMEOUT_MS, is_local
from tests.support.fixtures_data import write_data_dir
from tests.support.layer_files import write_mixed_geojson

pytestmark = pytest.mark.browser

LAYER = "Akita samples"


@pytest.fixture(scope="module")
def shared() -> Iterator[SharedDeployment]:
    # Not pytest's tmp_path: its folders are private to root, and PostgreSQL runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="permitmap-shared-"))
    folder.chmod(0o755)
    try:
        with running_shared(folder, processes=2, port=free_port(), durable=False,
                            data_dir=write_data_dir(folder / "data")) as deployment:
            yield deployment
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _pinned(browser: Browser, shared: SharedDeployment, server: str) -> BrowserContext:
    """A browser whose balancer cookie names ``server`` (as if the balancer had chosen it)."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    host = urlparse(shared.url).hostname or "127.0.0.1"
    context.add_cookies([{"name": STICKY_COOKIE, "value": server, "domain": host,
                          "path": "/"}])
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _served_by(responses: list[Response]) -> set[str]:
    return {r.headers.get(SERVED_BY.lower(), "") for r in responses
            if urlparse(r.url).path in ("/", "/layers", "/upload")}


def _open(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator(APP_IDLE)).to_be_attached()


def test_an_edit_in_one_process_shows_in_the_other(browser: Browser,
                                                   shared: SharedDeployment,
                                                   tmp_path: Path) -> None:
    expect.set_options(timeout=TIMEOUT_MS)
    first, second = _pinned(browser, shared, "app1"), _pinned(browser, shared, "app2")
    pages = {"first": first.new_page(), "second": second.new_page()}
    responses: dict[str, list[Response]] = {name: [] for name in pages}
    requests: list[str] = []
    for name, page in pages.items():
        seen = responses[name]
        page.on("response", lambda r, seen=seen: seen.append(r))  # type: ignore[misc]
        page.on("request", lambda r: requests.append(r.url))
        page.on("websocket", lambda ws: requests.append(ws.url))

    one, two = pages["first"], pages["second"]
    _open(one, shared.url + "/")
    _open(two, shared.url + "/")
    assert _served_by(responses["first"]) == {"app1"}
    assert _served_by(responses["second"]) == {"app2"}

    # The first browser publishes a layer through the upload page of process 1.
    _open(one, shared.url + "/upload")
    one.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(
        write_mixed_geojson(tmp_path))
    expect(one.get_by_text("akita_samples.geojson:")).to_contain_text("can be published")
    form = one.locator('[data-testid="stForm"]')
    form.get_by_label("Name", exact=True).fill(LAYER)
    form.get_by_label("Uploaded by").fill("Shared test")
    form.get_by_role("button", name="Publish").click()
    expect(one.get_by_text(f"Published '{LAYER}")).to_be_visible()

    # The second browser, on process 2, lists it on its next page load.
    _open(two, shared.url + "/layers")
    expect(two.get_by_text(re.compile(rf"{LAYER} \(points\)")).first).to_be_visible()
    assert _served_by(responses["second"]) == {"app2"}

    # Process 1 dies; the first browser goes on with process 2, and the layer is there.
    shared.processes[0].send_signal(signal.SIGKILL)
    shared.processes[0].wait(timeout=30)
    responses["first"].clear()
    _open(one, shared.url + "/layers")
    expect(one.get_by_text(re.compile(rf"{LAYER} \(points\)")).first).to_be_visible()
    assert _served_by(responses["first"]) == {"app2"}
    status, body = http_get(shared.url + "/api/health")
    assert status == 200 and json.loads(body)["database"] == "postgresql"

    assert [u for u in requests if not is_local(u)] == []
    first.close()
    second.close()
