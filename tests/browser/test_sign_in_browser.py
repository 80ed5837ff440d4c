"""Chromium against a real ``streamlit run`` whose store has accounts (made with
``permitmap users add``, as an office would): the sign-in page, a wrong password, a viewer
signed in who sees the map (deposits drawn, no errors) but is not offered the upload page,
an admin who is, an API token made on the account page, and signing out.

The server is this module's own: the session server of ``conftest.py`` has no account (open
access, as ``make run`` starts), which the other browser tests rely on.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import (
    ROOT,
    MapPage,
    is_local,
    recorded_context_page,
    running_app,
)
from tests.support.fixtures_data import SAMPLE_DEPOSITS, write_data_dir

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
SIGN_IN_HEADING = "Sign in to permitmap"
NAV = '[data-testid="stSidebarNav"]'
STREAMLIT_PROBE = re.compile(r"status of 404 .*/account/_stcore/(health|host-config)'")


@pytest.fixture(scope="module")
def signed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sample store with an admin (ada) and a viewer (vic), served."""
    folder = tmp_path_factory.mktemp("sign-in-app")
    env = {**os.environ, "PERMITMAP_DB_PATH": str(folder / "app.db"),
           "PERMITMAP_DATA_DIR": str(write_data_dir(folder / "data"))}
    env.pop("DATABASE_URL", None)
    for name, role in (("ada", "admin"), ("vic", "viewer")):
        subprocess.run([sys.executable, "-m", "commands", "users", "add", name, "--role", role],
                       input=f"{PASSWORD}\n", text=True, env=env, cwd=ROOT, check=True,
                       capture_output=True, timeout=120)
    with running_app(folder) as url:
        yield url


@pytest.fixture
def signed_page(browser: Browser, signed_server: str,
                request: pytest.FixtureRequest) -> Iterator[MapPage]:
    """A fresh context (no cookie) and recorded page on this module's server."""
    with recorded_context_page(browser, signed_server, request) as recorded:
        yield recorded


def sign_in(app: MapPage, name: str, password: str = PASSWORD) -> None:
    page = app.page
    page.get_by_label("Account name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_viewer_signs_in_sees_the_map_and_signs_out(signed_page: MapPage) -> None:
    app, page = signed_page, signed_page.page
    page.goto(app.base_url + "/timeline?site=us-beta")
    # not signed in: the sign-in page, coming back here afterwards
    expect(page.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible()
    assert urlparse(page.url).path == "/signin"
    assert "next=%2Ftimeline%3Fsite%3Dus-beta" in page.url
    sign_in_requests = list(app.requests)
    assert all(is_local(u) for u in sign_in_requests), sign_in_requests
    assert [urlparse(u).path for u in sign_in_requests
            if not u.startswith("data:")] == ["/timeline", "/signin"]  # nothing else loaded

    sign_in(app, "vic", "not the password")
    expect(page.get_by_role("alert")).to_have_text("The account name or the password is wrong.")
    expect(page.get_by_label("Account name")).to_have_value("vic")
    # the refusal's 401 is the one error the browser logs
    assert [e for e in app.console_errors if "status of 401" not in e] == []
    app.console_errors.clear()

    page.goto(app.base_url + "/signin")  # then to the map
    sign_in(app, "vic")
    expect(page).to_have_url(re.compile(r"/(map)?$"))
    app.wait_idle()
    expect(app.map.locator(".leaflet-container[data-deposit-loads]")).to_be_visible()
    expect(app.deposit_markers).to_have_count(len(SAMPLE_DEPOSITS))
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Signed in as vic · viewer · clearance public")
    nav = page.locator(NAV)
    expect(nav.get_by_text("Map", exact=True)).to_be_visible()
    expect(nav.get_by_text("Your account", exact=True)).to_be_visible()
    expect(nav.get_by_text("Upload a layer", exact=True)).to_have_count(0)
    expect(page.get_by_text("No accounts yet")).to_have_count(0)  # no open-access banner

    sidebar.get_by_role("link", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign out of permitmap?")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible()
    page.goto(app.base_url + "/")
    expect(page.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible()

    assert app.page_errors == [] and app.console_errors == [] and app.dialogs == []
    assert all(is_local(u) for u in app.requests), [u for u in app.requests if not is_local(u)]


def test_an_admin_is_offered_the_upload_page_and_makes_a_token(signed_page: MapPage) -> None:
    app, page = signed_page, signed_page.page
    page.goto(app.base_url + "/account")
    sign_in(app, "ada")
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    nav = page.locator(NAV)
    expect(nav.get_by_text("Upload a layer", exact=True)).to_be_visible()

    page.get_by_label("What the token is for").fill("QGIS on my laptop")
    page.get_by_role("button", name="Create a token").click()
    code = page.get_by_test_id("stCode")
    expect(code).to_contain_text("pm_")
    token = code.inner_text().strip()
    expect(page.get_by_role("combobox", name="Token")).to_have_value("1 · QGIS on my laptop")

    # the token opens a route for a tool without the browser's cookie
    plain = page.context.request
    deposits = f"{app.base_url}/api/deposits?bbox=-180,-90,180,90&zoom=2"
    page.context.clear_cookies()
    assert plain.get(deposits).status == 401
    assert plain.get(deposits, headers={"Authorization": f"Bearer {token}"}).status == 200
    # Opened by its own URL, Streamlit's frontend first probes /account/_stcore/health and
    # host-config (two 404s), then the root: those, and nothing else, in the console.
    assert [e for e in app.console_errors if not STREAMLIT_PROBE.search(e)] == []
    assert app.page_errors == [] and app.dialogs == []
    assert all(is_local(u) for u in app.requests)
