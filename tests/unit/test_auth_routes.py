"""Signing in over HTTP: the middleware and routes as the app installs them
(``starlette_app()``: the same ROUTES, MIDDLEWARE and error table as ``st.App`` in app.py and
mapping/serve.py), on each backend; and once against the real ``st.App`` (Streamlit's page
HTML, its scripts and its WebSocket) in a process of its own."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from domain.access import Action
from mapping import access_state
from mapping.access_state import ANONYMOUS_VIEW_KEY, OPEN_BANNER, SESSION_COOKIE, forget_all
from mapping.store_access import engine
from mapping.web.auth_routes import CSRF_COOKIE, safe_next
from mapping.web.routes import EXCEPTION_HANDLERS, MIDDLEWARE, ROUTES, principal, starlette_app
from store.accounts import (
    add_account,
    disable_account,
    end_session,
    new_token,
    revoke_token,
    token_id,
)
from store.audit import audit_rows
from store.db import set_meta
from store.models import SignInSession
from tests.support.fixtures_data import write_data_dir

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
REFUSED = "The account name or the password is wrong."
#: A URL for every route pattern (path parameters filled in).
SAMPLE_URLS = {
    "/api/deposits": "/api/deposits?bbox=-180,-90,180,90&zoom=2",
    "/api/basemap/{name}": "/api/basemap/countries-110m.geojson",
    "/api/layers/{layer}/features.geojson": "/api/layers/nope/features.geojson",
    "/tiles/{layer}/{z:int}/{x:int}/{y:int}.png": "/tiles/nope/1/0/0.png",
    "/api/sites.{suffix}": "/api/sites.geojson",
    "/api/briefing.zip": "/api/briefing.zip",
    "/api/chokepoints.csv": "/api/chokepoints.csv",
    "/api/layers/{layer}/export": "/api/layers/nope/export?format=geojson",
    "/api/{rest:path}": "/api/no-such-route",
}
PUBLIC_ROUTES = {"/signin", "/signin/oidc", "/signout", "/api/health"}
GUARDED = [getattr(r, "path", "") for r in ROUTES if getattr(r, "path", "") not in PUBLIC_ROUTES]


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[Engine]:
    """An empty store (no account) on each backend, with fresh access caches."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(write_data_dir(tmp_path / "data")))
    monkeypatch.delenv("PERMITMAP_SESSION_HOURS", raising=False)
    forget_all()
    yield engine()
    forget_all()


@pytest.fixture()
def client(store: Engine) -> TestClient:
    return TestClient(starlette_app())


@pytest.fixture()
def accounts(store: Engine) -> Engine:
    """The store with an admin and a viewer: from now on a sign-in is needed."""
    add_account(store, "ada", "admin", "controlled", password=PASSWORD, actor="test")
    add_account(store, "vic", "viewer", password=PASSWORD, actor="test")
    forget_all()  # the "no account" answer is cached for 2 s
    return store


def csrf_of(client: TestClient, path: str = "/signin") -> str:
    page = client.get(path)
    assert page.status_code == 200
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    assert client.cookies.get(CSRF_COOKIE) == found.group(1)
    return found.group(1)


def sign_in(client: TestClient, name: str = "vic", password: str = PASSWORD,
            next_url: str = "/") -> Response:
    token = csrf_of(client)
    return client.post("/signin", data={"csrf": token, "name": name, "password": password,
                                        "next": next_url}, follow_redirects=False)


def session_cookie_header(response: Response) -> str:
    found = [c for c in response.headers.get_list("set-cookie")
             if c.startswith(f"{SESSION_COOKIE}=")]
    assert len(found) == 1, response.headers
    return found[0]


def move_clock(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Let the access caches age by ``seconds`` (what another process's change waits)."""
    now = access_state._clock()
    monkeypatch.setattr(access_state, "_clock", lambda: now + seconds)


# --- wiring -------------------------------------------------------------------------------


@pytest.mark.parametrize("script", ["app.py", "mapping/serve.py"])
def test_the_app_installs_the_same_middleware_and_routes(script: str) -> None:
    """app.py and mapping/serve.py hand st.App the ROUTES and MIDDLEWARE tested here."""
    tree = ast.parse((ROOT / script).read_text(encoding="utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and ast.unparse(n.func) == "st.App"]
    assert len(calls) == 1
    given = {k.arg: ast.unparse(k.value) for k in calls[0].keywords}
    assert given["middleware"] == "MIDDLEWARE" and given["routes"] == "ROUTES"
    assert given["exception_handlers"] == "EXCEPTION_HANDLERS"


def test_every_route_is_guarded_or_named_public() -> None:
    """A new route must be added to SAMPLE_URLS (and so to the 401 tests) or be public."""
    assert set(GUARDED) == set(SAMPLE_URLS)


# --- open until the first account --------------------------------------------------------


@pytest.mark.parametrize("path", GUARDED)
def test_open_mode_lets_every_route_through(client: TestClient, path: str) -> None:
    response = client.get(SAMPLE_URLS[path])
    assert response.status_code not in (401, 403), response.text
    assert response.status_code in (200, 400, 404), response.text


def test_open_mode_pages_and_health(client: TestClient) -> None:
    page = client.get("/map", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 404  # no redirect: the plain Starlette app has no page here
    assert "counts" in client.get("/api/health").json()
    signin = client.get("/signin")
    assert "No accounts yet" in signin.text and "permitmap users add NAME --role admin" in (
        signin.text)
    assert OPEN_BANNER.startswith("No accounts yet: anyone who can reach this address")


# --- with an account: refused without credentials -----------------------------------------


@pytest.mark.parametrize("path", GUARDED)
def test_every_route_answers_401_json_without_credentials(accounts: Engine, client: TestClient,
                                                          path: str) -> None:
    response = client.get(SAMPLE_URLS[path])
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == 401 and body["error"].startswith("Sign in first")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_page_without_a_session_goes_to_the_sign_in_page(accounts: Engine,
                                                           client: TestClient) -> None:
    response = client.get("/timeline?site=us-stibnite", headers={"accept": "text/html"},
                          follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Ftimeline%3Fsite%3Dus-stibnite"
    # an API path never redirects, even for a browser
    api = client.get("/api/sites.geojson", headers={"accept": "text/html"},
                     follow_redirects=False)
    assert api.status_code == 401


def test_health_answers_without_counts_when_not_signed_in(accounts: Engine,
                                                          client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and "counts" not in body
    sign_in(client)
    assert "counts" in client.get("/api/health").json()


def test_security_headers_on_every_answer(accounts: Engine, client: TestClient) -> None:
    for response in (client.get("/signin"), client.get("/api/deposits"),
                     client.get("/api/health")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["x-frame-options"] == "SAMEORIGIN"
    page = client.get("/signin")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text)  # nothing from elsewhere


# --- signing in ---------------------------------------------------------------------------


def test_a_good_sign_in_sets_the_cookie_and_opens_the_routes(accounts: Engine,
                                                             client: TestClient) -> None:
    response = sign_in(client, next_url="/timeline?site=us-stibnite")
    assert response.status_code == 303
    assert response.headers["location"] == "/timeline?site=us-stibnite"
    cookie = session_cookie_header(response).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "max-age=43200" in cookie and "secure" not in cookie
    assert client.get(SAMPLE_URLS["/api/deposits"]).status_code == 200
    assert client.get("/map", headers={"accept": "text/html"},
                      follow_redirects=False).status_code == 404  # let through, no redirect


def test_the_cookie_is_secure_over_https_and_lasts_the_set_hours(
        accounts: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERMITMAP_SESSION_HOURS", "0.5")
    client = TestClient(starlette_app(), base_url="https://testserver")
    cookie = session_cookie_header(sign_in(client)).lower()
    assert "secure" in cookie and "max-age=1800" in cookie


def test_a_wrong_password_shows_the_form_again_with_401(accounts: Engine,
                                                        client: TestClient) -> None:
    response = sign_in(client, password="not it at all")
    assert response.status_code == 401
    assert REFUSED in response.text and '<form method="post"' in response.text
    assert 'value="vic"' in response.text  # the name stays typed
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_too_many_failures_answer_429(accounts: Engine, client: TestClient) -> None:
    for _ in range(5):
        assert sign_in(client, password="wrong guess!").status_code == 401
    response = sign_in(client)  # even the right password, now
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text


@pytest.mark.parametrize("how", ["missing", "other value", "foreign origin", "no cookie"])
def test_a_sign_in_without_its_csrf_token_is_refused(accounts: Engine, client: TestClient,
                                                     how: str) -> None:
    token = csrf_of(client)
    data = {"csrf": token, "name": "vic", "password": PASSWORD, "next": "/"}
    headers = {}
    if how == "missing":
        del data["csrf"]
    elif how == "other value":
        data["csrf"] = token[::-1]
    elif how == "foreign origin":
        headers["origin"] = "https://evil.example"
    else:
        client.cookies.delete(CSRF_COOKIE)
    response = client.post("/signin", data=data, headers=headers, follow_redirects=False)
    assert response.status_code == 403
    assert "had expired or did not come from this site" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize(("asked", "sent_to"), [
    ("//evil.example/", "/"),
    ("https://evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("http:/evil.example", "/"),
    ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),  # a path on this site
    ("/signout", "/"),
    ("/portfolio?x=1", "/portfolio?x=1"),
])
def test_no_open_redirect_after_signing_in(accounts: Engine, client: TestClient, asked: str,
                                           sent_to: str) -> None:
    response = sign_in(client, next_url=asked)
    assert response.status_code == 303
    assert response.headers["location"] == sent_to
    assert safe_next(asked) == sent_to


# --- signing out --------------------------------------------------------------------------


def test_sign_out_ends_the_session_everywhere(accounts: Engine, client: TestClient,
                                              database_url: str, tmp_path: Path) -> None:
    sign_in(client)
    secret = client.cookies[SESSION_COOKIE]
    other = TestClient(starlette_app(), cookies={SESSION_COOKIE: secret})
    assert other.get(SAMPLE_URLS["/api/deposits"]).status_code == 200
    assert _status_in_another_process(secret, tmp_path) == 200

    confirm = client.get("/signout")
    assert "Sign out of permitmap?" in confirm.text and "vic" in confirm.text
    token = re.search(r'name="csrf" value="([^"]+)"', confirm.text)
    assert token
    refused = client.post("/signout", data={}, follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token: still signed in
    assert other.get(SAMPLE_URLS["/api/deposits"]).status_code == 200
    response = client.post("/signout", data={"csrf": token.group(1)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signin"
    cleared = session_cookie_header(response).lower()
    assert "max-age=0" in cleared or "expires=thu, 01 jan 1970" in cleared

    assert other.get(SAMPLE_URLS["/api/deposits"]).status_code == 401
    assert _status_in_another_process(secret, tmp_path) == 401


def _status_in_another_process(secret: str, folder: Path) -> int:
    probe = (
        "from starlette.testclient import TestClient\n"
        "from mapping.web.routes import starlette_app\n"
        f"c = TestClient(starlette_app(), cookies={{{SESSION_COOKIE!r}: {secret!r}}})\n"
        f"print(c.get({SAMPLE_URLS['/api/deposits']!r}).status_code)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=ROOT, env=dict(os.environ), timeout=120, check=True)
    return int(result.stdout.strip().splitlines()[-1])


def test_a_session_ended_or_disabled_elsewhere_stops_within_the_cache_time(
        accounts: Engine, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(client)
    secret = client.cookies[SESSION_COOKIE]
    url = SAMPLE_URLS["/api/deposits"]
    assert client.get(url).status_code == 200
    end_session(accounts, secret)  # as another process signing this browser out
    move_clock(monkeypatch, access_state.SECRET_SECONDS + 1)
    assert client.get(url).status_code == 401

    sign_in(client, name="ada")
    assert client.get(url).status_code == 200
    add_account(accounts, "bea", "admin", password=PASSWORD, actor="test")
    disable_account(accounts, "ada", actor="bea")
    move_clock(monkeypatch, 2 * access_state.SECRET_SECONDS + 2)
    assert client.get(url).status_code == 401


def test_an_expired_session_signs_nobody_in(accounts: Engine, client: TestClient) -> None:
    sign_in(client)
    with Session(accounts) as session, session.begin():
        session.execute(update(SignInSession).values(
            expires_at=SignInSession.created_at))
    forget_all()
    assert client.get(SAMPLE_URLS["/api/deposits"]).status_code == 401


# --- tokens and roles ---------------------------------------------------------------------


def test_a_token_opens_the_routes_until_revoked(accounts: Engine, client: TestClient,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    token = new_token(accounts, "vic", "QGIS", actor="vic")
    url = SAMPLE_URLS["/api/deposits"]
    assert client.get(url, headers={"authorization": f"Bearer {token}"}).status_code == 200
    assert client.get(f"{url}&token={token}").status_code == 200
    # in the URL, the token is not taken for one of the route's own parameters
    sites = client.get(f"/api/sites.geojson?commodity=Li&token={token}")
    assert sites.status_code == 200, sites.text
    # the export's audit row names the account and the address the request came from
    export = audit_rows(accounts, action="export").iloc[0]
    assert (export["actor"], export["address"]) == ("vic", "testclient")
    wrong = client.get(url, headers={"authorization": "Bearer pm_not-a-token"})
    assert wrong.status_code == 401 and "token is not valid" in wrong.json()["error"]

    number = token_id(accounts, token)
    assert number is not None
    revoke_token(accounts, number, actor="vic")
    move_clock(monkeypatch, access_state.SECRET_SECONDS + 1)
    refused = client.get(url, headers={"authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and refused.json()["status"] == 401


def test_a_role_that_does_not_allow_it_answers_403(accounts: Engine) -> None:
    """Signed in, but not allowed: 403 JSON with the role named (AccessDenied)."""

    def admin_only(request: Request) -> Response:
        return JSONResponse({"who": principal(request, Action.MANAGE_ACCOUNTS).name})

    app = Starlette(routes=[Route("/api/admin-probe", admin_only), *ROUTES],
                    middleware=MIDDLEWARE, exception_handlers=EXCEPTION_HANDLERS)
    client = TestClient(app)
    sign_in(client, name="vic")
    refused = client.get("/api/admin-probe")
    assert refused.status_code == 403
    assert refused.json() == {"error": refused.json()["error"], "status": 403}
    assert "vic (viewer) may not manage accounts" in refused.json()["error"]
    admin = TestClient(app)
    sign_in(admin, name="ada")
    assert admin.get("/api/admin-probe").json() == {"who": "ada"}


def test_the_anonymous_view_when_an_admin_allows_it(accounts: Engine,
                                                    client: TestClient) -> None:
    with Session(accounts) as session, session.begin():
        set_meta(session, ANONYMOUS_VIEW_KEY, "on")
    forget_all()
    assert client.get(SAMPLE_URLS["/api/deposits"]).status_code == 200
    assert client.get("/map", headers={"accept": "text/html"},
                      follow_redirects=False).status_code == 404  # not sent to sign in
    assert "counts" not in client.get("/api/health").json()
    bad = client.get(SAMPLE_URLS["/api/deposits"],
                     headers={"authorization": "Bearer pm_wrong"})
    assert bad.status_code == 401  # a bad token is refused, not taken as anonymous


# --- the real st.App ----------------------------------------------------------------------

REAL_APP_PROBE = """
import importlib.util, json, sys
from starlette.testclient import TestClient
from mapping.access_state import forget_all
from mapping.store_access import engine
from store.accounts import add_account

spec = importlib.util.spec_from_file_location("permitmap_app", "app.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
seen = {}
with TestClient(module.app) as client:
    page = lambda: client.get("/", headers={"accept": "text/html"}, follow_redirects=False)

    def websocket():
        forget_all()  # a cache miss: the lookup runs in a thread, for a WebSocket too
        try:
            with client.websocket_connect("/_stcore/stream", subprotocols=["streamlit"]):
                return "open"
        except Exception as exc:
            return type(exc).__name__
    seen["open_page"] = page().status_code
    seen["open_frame"] = page().headers.get("x-frame-options")
    seen["open_websocket"] = websocket()
    add_account(engine(), "ada", "admin", password="correct horse battery", actor="test")
    forget_all()
    seen["page"] = [page().status_code, page().headers.get("location")]
    seen["streamlit_script"] = client.get("/static/js/x.js").status_code
    seen["upload"] = client.put("/_stcore/upload_file/s/f").status_code
    seen["core_health"] = client.get("/_stcore/health").status_code
    seen["host_config"] = client.get("/_stcore/host-config").status_code
    seen["websocket"] = websocket()
print(json.dumps(seen))
"""


def test_the_real_app_guards_streamlit_pages_scripts_and_websocket(tmp_path: Path) -> None:
    """st.App itself (app.py): once an account exists, Streamlit's page is a redirect, its
    scripts and uploads 401, its WebSocket refused; the health checks still answer."""
    env = {**os.environ, "PERMITMAP_DB_PATH": str(tmp_path / "app.db"),
           "PERMITMAP_DATA_DIR": str(write_data_dir(tmp_path / "data"))}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-c", REAL_APP_PROBE], capture_output=True,
                            text=True, cwd=ROOT, env=env, timeout=180, check=True)
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["open_page"] == 200 and seen["open_frame"] == "SAMEORIGIN"
    assert seen["open_websocket"] == "open"
    assert seen["page"] == [303, "/signin?next=%2F"]
    assert seen["streamlit_script"] == 401 and seen["upload"] == 401
    assert seen["core_health"] == 200 and seen["host_config"] == 200
    assert seen["websocket"] == "WebSocketDisconnect"


def test_the_client_address_is_believed_from_our_proxy_only() -> None:
    """Behind HAProxy (127.0.0.1) the last X-Forwarded-For entry is the client (a client's
    own header comes before it); from anywhere else the header is ignored."""
    from starlette.datastructures import Headers

    from mapping.access_state import client_address

    forged_then_real = Headers(raw=[(b"x-forwarded-for", b"6.6.6.6, 7.7.7.7"),
                                    (b"x-forwarded-for", b"192.0.2.7")])
    assert client_address("127.0.0.1", forged_then_real) == "192.0.2.7"
    assert client_address("::1", Headers(raw=[(b"x-forwarded-for", b"1.1.1.1, 192.0.2.8")])) \
        == "192.0.2.8"
    assert client_address("198.51.100.4", forged_then_real) == "198.51.100.4"
    assert client_address("127.0.0.1", Headers(raw=[])) == "127.0.0.1"
