"""Chromium signs in through a real OpenID Connect provider: ``oidc-provider-mock`` (PyPI),
started by this module on a free local port, and a real ``streamlit run`` configured for it
by a settings file (``PERMITMAP_OIDC_FILE``), with rules mapping an e-mail domain to editor
and a group to viewer. The provider's page is clicked through as a person would; the role of
the rule shows in the sidebar, the pages offered and the account page; someone no rule
matches is refused in words; sign-out goes through the provider's own sign-out; everything is
in the audit trail; and no request leaves this machine.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import oidc_provider_mock
import pytest
from jinja2 import ChoiceLoader, DictLoader
from oidc_provider_mock import User
from playwright.sync_api import Browser, expect
from werkzeug.serving import make_server

from deploy.processes import free_port
from tests.browser.conftest import (
    ROOT,
    MapPage,
    is_local,
    recorded_context_page,
    running_app,
)
from tests.support.fixtures_data import write_data_dir

pytestmark = pytest.mark.browser

PROVIDER_NAME = "Test provider"
EDITOR = "ed@meti.go.jp"  # e-mail domain rule: editor, business-proprietary
VIEWER = "vi@example.org"  # group rule: viewer
STRANGER = "eve@elsewhere.example"  # no rule
USERS = [
    User(sub=EDITOR, claims={"email": EDITOR, "email_verified": True, "name": "Ed"}),
    # The account name is the e-mail only when the provider says it is verified.
    User(sub=VIEWER, claims={"email": VIEWER, "email_verified": True,
                             "groups": ["permitmap-viewers"]}),
    User(sub=STRANGER, claims={"email": STRANGER, "email_verified": True}),
]
NAV = '[data-testid="stSidebarNav"]'
SIGN_IN_HEADING = "Sign in to permitmap"
# Opened by its own URL, Streamlit's frontend probes <path>/_stcore/health and host-config,
# and says "page not found" once before running that page; the mock provider has no favicon.
EXPECTED_CONSOLE = re.compile(r"status of 404 .*/_stcore/(health|host-config)'|"
                              r"requested does not seem to exist|404 \(NOT FOUND\).*favicon")


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The mock provider on 127.0.0.1:<free port>, stopped afterwards. Its pages link a
    stylesheet on a CDN: the test serves them without it (nothing may leave the machine)."""
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain http on loopback, in this test
    app = oidc_provider_mock.app(user_claims=USERS)
    base = (Path(oidc_provider_mock.__file__).parent / "templates" / "_base.html").read_text()
    local = re.sub(r"<link[^>]*>", "", base, flags=re.S)
    assert "https://" not in local
    app.jinja_loader = ChoiceLoader([DictLoader({"_base.html": local}), app.jinja_loader])
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)


@pytest.fixture(scope="module")
def oidc_app(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The sample store with one local admin, served with the provider configured; yields
    the base URL and the store's path."""
    folder = tmp_path_factory.mktemp("oidc-app")
    settings = folder / "oidc.toml"
    settings.write_text(f"""
[oidc]
name = "{PROVIDER_NAME}"
issuer = "{provider}"
client_id = "permitmap"
client_secret = "not-a-real-secret"
redirect_uri = "http://127.0.0.1:{{port}}/oauth2callback"
cookie_secret = "a-test-cookie-secret-of-some-length"

[[oidc.roles]]
email_domain = "meti.go.jp"
role = "editor"
clearance = "business-proprietary"

[[oidc.roles]]
group = "permitmap-viewers"
role = "viewer"
""", encoding="utf-8")
    env = {**os.environ, "PERMITMAP_DB_PATH": str(folder / "app.db"),
           "PERMITMAP_DATA_DIR": str(write_data_dir(folder / "data"))}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "commands", "users", "add", "ada", "--role", "admin"],
                   input="correct horse battery\n", text=True, env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=120)
    with running_app(folder, PERMITMAP_OIDC_FILE=str(settings)) as url:
        yield url, folder / "app.db"


@pytest.fixture
def oidc_page(browser: Browser, oidc_app: tuple[str, Path],
              request: pytest.FixtureRequest) -> Iterator[MapPage]:
    with recorded_context_page(browser, oidc_app[0], request) as recorded:
        yield recorded


def sign_in_through_provider(app: MapPage, who: str, start: str = "/") -> None:
    """From a page of the app, through the sign-in page to the provider's, as ``who``."""
    page = app.page
    page.goto(app.base_url + start)
    expect(page.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible()
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    assert urlparse(page.url).port != urlparse(app.base_url).port  # the provider's page
    page.get_by_role("button", name=who, exact=True).click()


def audit(store: Path, actor: str) -> list[tuple[str, str, str]]:
    """(action, detail, outcome) of the actor's audit rows, oldest first."""
    import sqlite3

    with sqlite3.connect(store) as db:
        return db.execute("SELECT action, detail, outcome FROM audit_log WHERE actor = ? "
                          "ORDER BY id", (actor,)).fetchall()


def unexpected_console(app: MapPage) -> list[str]:
    return [e for e in app.console_errors if not EXPECTED_CONSOLE.search(e)
            and "status of 403" not in e and "status of 401" not in e]


def test_an_editor_signs_in_through_the_provider_and_out(oidc_page: MapPage,
                                                         oidc_app: tuple[str, Path]) -> None:
    app, page = oidc_page, oidc_page.page
    sign_in_through_provider(app, EDITOR, "/portfolio")
    # back from the provider, on the page first asked for, with the rule's role
    expect(page).to_have_url(re.compile(r"/portfolio$"))
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text(
        f"Signed in as {EDITOR} · editor · clearance business-proprietary")
    nav = page.locator(NAV)
    expect(nav.get_by_text("Upload a layer", exact=True)).to_be_visible()  # an editor's page
    expect(nav.get_by_text("Accounts and audit", exact=True)).to_have_count(0)  # not an admin

    # Opened by URL (a page opened by its own URL shows Streamlit's "Page not found" notice
    # over the first run, which would block a click in the sidebar).
    page.goto(app.base_url + "/account")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_test_id("stMetric").nth(1)).to_contain_text("editor")
    expect(page.get_by_text("You sign in through your organisation")).to_be_visible()

    expect(sidebar.get_by_role("link", name="Sign out")).to_have_attribute("href", "/signout")
    page.goto(app.base_url + "/signout")
    expect(page.get_by_role("heading", name="Sign out of permitmap?")).to_be_visible()
    expect(page.get_by_text(f"Signed in as {EDITOR} (editor)")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    # the provider's own sign-out page (the mock asks to confirm), then back to the app
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible()
    page.goto(app.base_url + "/portfolio")  # signed out: the app asks again
    expect(page.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible()

    trail = audit(oidc_app[1], EDITOR)
    assert [a for a, _, _ in trail] == ["sign-in", "sign-out"], trail
    assert trail[0][1] == f"OpenID Connect ({PROVIDER_NAME})"
    made = audit(oidc_app[1], f"OpenID Connect ({PROVIDER_NAME})")
    assert ("account-add", "role editor, clearance business-proprietary, at the first sign-in",
            "ok") in made
    assert app.page_errors == [] and app.dialogs == [] and unexpected_console(app) == []
    assert all(is_local(u) for u in app.requests), [u for u in app.requests if not is_local(u)]


def test_a_group_rule_makes_a_viewer(oidc_page: MapPage) -> None:
    app, page = oidc_page, oidc_page.page
    sign_in_through_provider(app, VIEWER)
    expect(page.get_by_test_id("stSidebar")).to_contain_text(
        f"Signed in as {VIEWER} · viewer · clearance public")
    nav = page.locator(NAV)
    expect(nav.get_by_text("Map", exact=True)).to_be_visible()
    expect(nav.get_by_text("Upload a layer", exact=True)).to_have_count(0)  # not for viewers
    # the API answers the browser's identity cookie too (no token)
    deposits = page.context.request.get(app.base_url + "/api/deposits?bbox=-180,-90,180,90&zoom=2")
    assert deposits.status == 200
    assert app.page_errors == [] and unexpected_console(app) == []
    assert all(is_local(u) for u in app.requests), [u for u in app.requests if not is_local(u)]


def test_someone_no_rule_matches_is_refused_in_words(oidc_page: MapPage,
                                                     oidc_app: tuple[str, Path]) -> None:
    app, page = oidc_page, oidc_page.page
    sign_in_through_provider(app, STRANGER)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(f"{PROVIDER_NAME} signed you in as {STRANGER}, but this "
                                  "permitmap gives that account no role")
    page.goto(app.base_url + "/")  # still nobody: the identity cookie was cleared
    expect(page.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    assert audit(oidc_app[1], STRANGER) == [
        ("sign-in-failed", f"OpenID Connect ({PROVIDER_NAME}): no rule gives a role", "refused")]
    assert app.page_errors == [] and unexpected_console(app) == []
    assert all(is_local(u) for u in app.requests), [u for u in app.requests if not is_local(u)]
