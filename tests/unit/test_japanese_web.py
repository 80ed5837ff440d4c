"""The sign-in pages, the HTTP API's errors and the access and account refusals in Japanese
when asked (``?lang=ja``, the ``next`` page's language, Accept-Language), and unchanged in
English. The Japanese expected is the compiled catalog's, read through ``tr``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

import domain.i18n
from domain.access import AccessDenied, Action, Principal, Role, marking_rank
from domain.errors import InputError
from domain.i18n import tr
from mapping.access_state import SIGN_IN_FIRST, forget_all
from mapping.store_access import engine
from mapping.web.routes import starlette_app
from store.accounts import (
    DISABLED,
    REFUSED,
    SignInRefused,
    add_account,
    disable_account,
    oidc_sign_in,
    set_role,
)
from store.audit import audit_rows
from store.db import cannot_open
from tests.support.fixtures_data import write_data_dir

PASSWORD = "correct horse battery"
DEPOSITS = "/api/deposits?bbox=-180,-90,180,90&zoom=99"


def japanese(message: str, **values: object) -> str:
    """``message`` as the Japanese catalog has it, filled with ``values``."""
    with domain.i18n.language("ja"):
        text = tr(message).format(**values)
    assert text != message.format(**values), f"not translated: {message}"
    return text


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A SQLite store with an admin and a viewer: a sign-in is needed."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store' / 'permitmap.db'}")
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(write_data_dir(tmp_path / "data")))
    forget_all()
    eng = engine()
    add_account(eng, "ada", "admin", "controlled", password=PASSWORD, actor="test")
    add_account(eng, "vic", "viewer", password=PASSWORD, actor="test")
    forget_all()
    yield eng
    forget_all()


@pytest.fixture()
def client(store: Engine) -> TestClient:
    return TestClient(starlette_app())


def form_of(page: str) -> tuple[str, str]:
    """The sign-in form's action and CSRF token."""
    action = re.search(r'<form method="post" action="([^"]+)"', page)
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert action and token, page
    return action.group(1).replace("&amp;", "&"), token.group(1)


# --- the sign-in pages ----------------------------------------------------------------------


def test_the_sign_in_page_is_japanese_when_asked_and_english_otherwise(
        client: TestClient) -> None:
    english = client.get("/signin")
    assert '<html lang="en">' in english.text and "Sign in to permitmap" in english.text
    assert form_of(english.text)[0] == "/signin"  # as before: no language in the links
    for asked in (client.get("/signin?lang=ja"),
                  client.get("/signin?next=%2Ftimeline%3Fsite%3Dus-stibnite%26lang%3Dja"),
                  client.get("/signin", headers={"accept-language": "ja-JP,ja;q=0.9,en;q=0.8"})):
        assert asked.status_code == 200
        assert '<html lang="ja">' in asked.text
        assert japanese("Sign in to permitmap") in asked.text
        assert japanese("Account name") in asked.text
        assert "Sign in to permitmap" not in asked.text
        assert form_of(asked.text)[0] == "/signin?lang=ja"  # the form keeps the language
    # an American browser that also reads Japanese, less: English
    assert '<html lang="en">' in client.get(
        "/signin", headers={"accept-language": "en-US,en;q=0.9,ja;q=0.5"}).text
    # English chosen in the URL wins over the browser's Japanese, and is kept
    chosen = client.get("/signin?lang=en", headers={"accept-language": "ja"})
    assert '<html lang="en">' in chosen.text and form_of(chosen.text)[0] == "/signin?lang=en"


def test_a_wrong_password_is_refused_in_japanese_and_a_good_one_keeps_the_language(
        client: TestClient) -> None:
    action, token = form_of(client.get("/signin?lang=ja").text)
    wrong = client.post(action, data={"csrf": token, "name": "vic", "password": "nope",
                                      "next": "/timeline"}, follow_redirects=False)
    assert wrong.status_code == 401
    assert japanese(REFUSED) in wrong.text and '<html lang="ja">' in wrong.text
    action, token = form_of(wrong.text)
    good = client.post(action, data={"csrf": token, "name": "vic", "password": PASSWORD,
                                     "next": "/timeline"}, follow_redirects=False)
    assert good.status_code == 303 and good.headers["location"] == "/timeline?lang=ja"
    # in English, as before
    action, token = form_of(client.get("/signin").text)
    english = client.post(action, data={"csrf": token, "name": "vic", "password": "nope",
                                        "next": "/"}, follow_redirects=False)
    assert english.status_code == 401 and REFUSED in english.text


def test_the_sign_out_page_is_japanese_and_keeps_the_language(client: TestClient) -> None:
    action, token = form_of(client.get("/signin").text)
    client.post(action, data={"csrf": token, "name": "vic", "password": PASSWORD, "next": "/"},
                follow_redirects=False)
    page = client.get("/signout?lang=ja")
    assert japanese("Sign out of permitmap?") in page.text
    assert japanese("Signed in as {name} ({role}).", name="<strong>vic</strong>",
                    role="viewer") in page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    token_found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert action and token_found and action.group(1) == "/signout?lang=ja"
    done = client.post(action.group(1), data={"csrf": token_found.group(1)},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/signin?lang=ja"


# --- the API's errors -----------------------------------------------------------------------


def test_api_errors_are_japanese_with_lang_ja_and_english_without(client: TestClient) -> None:
    refused = client.get(DEPOSITS + "&lang=ja")
    assert refused.status_code == 401 and refused.json()["error"] == japanese(SIGN_IN_FIRST)
    assert client.get(DEPOSITS).json()["error"] == SIGN_IN_FIRST
    action, token = form_of(client.get("/signin").text)
    client.post(action, data={"csrf": token, "name": "vic", "password": PASSWORD, "next": "/"},
                follow_redirects=False)
    bad = client.get(DEPOSITS + "&lang=ja")
    assert bad.status_code == 400
    assert bad.json()["error"] == japanese("zoom must be a whole number from 0 to 22.")
    assert client.get(DEPOSITS).json()["error"] == "zoom must be a whole number from 0 to 22."
    english = client.get("/api/no-such-route").json()["error"]
    assert english.startswith("No route /api/no-such-route: the API has /api/basemap/")
    routes = english.removeprefix("No route /api/no-such-route: the API has ").removesuffix(".")
    assert client.get("/api/no-such-route?lang=ja").json()["error"] == japanese(
        "No route {path}: the API has {routes}.", path="/api/no-such-route", routes=routes)
    tile = client.get("/tiles/x/1/5/0.png?lang=ja").json()["error"]
    assert tile == japanese("Tile {z}/{x}/{y} does not exist: z is 0 to 24 and x, y are 0 to "
                            "2^z − 1.", z=1, x=5, y=0)


# --- refusals made below the pages ------------------------------------------------------------


def test_a_role_refusal_names_the_action_in_japanese() -> None:
    viewer = Principal("vic", Role.VIEWER)
    with domain.i18n.language("ja"), pytest.raises(AccessDenied) as refused:
        viewer.require(Action.MANAGE_ACCOUNTS)
    assert str(refused.value) == japanese(
        "{name} ({role}) may not {action}: that needs the {needed} role. Ask an admin to "
        "change the account's role.", name="vic", role="viewer",
        action=japanese("manage accounts"), needed="admin")
    with pytest.raises(AccessDenied) as english:
        viewer.require(Action.MANAGE_ACCOUNTS)
    assert str(english.value) == ("vic (viewer) may not manage accounts: that needs the admin "
                                  "role. Ask an admin to change the account's role.")
    with domain.i18n.language("ja"), pytest.raises(InputError) as marking:
        marking_rank("secret")
    assert str(marking.value) == japanese(
        "'{code}' is not a handling marking: use one of {codes}.", code="secret",
        codes="public, business-proprietary, controlled")


def test_account_refusals_are_japanese_but_the_audit_trail_stays_english(
        store: Engine) -> None:
    with domain.i18n.language("ja"), pytest.raises(InputError) as last_admin:
        set_role(store, "ada", "viewer", None, actor="test")
    assert str(last_admin.value) == japanese(
        "Cannot make {name} {role}: {name} is the only admin who can sign in. Make another "
        "account admin first.", name="ada", role="viewer")
    oidc_sign_in(store, "c1", "ed@meti.go.jp", "editor", "public", via="METI")
    disable_account(store, "ed@meti.go.jp", actor="ada")
    with domain.i18n.language("ja"), pytest.raises(SignInRefused) as disabled:
        oidc_sign_in(store, "c2", "ed@meti.go.jp", "editor", "public", via="METI")
    assert str(disabled.value) == japanese(DISABLED, name="ed@meti.go.jp")
    failed = audit_rows(store, action="sign-in-failed")
    assert list(failed["detail"]) == [
        "OpenID Connect (METI): The account ed@meti.go.jp is disabled. Ask an admin of this "
        "permitmap to enable it."]


def test_a_database_that_cannot_be_opened_is_said_in_japanese(store: Engine) -> None:
    error = OperationalError("connect", {}, Exception("unable to open database file"))
    with domain.i18n.language("ja"):
        message = str(cannot_open(store, error))
    where = store.url.render_as_string(hide_password=True)
    assert message == japanese("Cannot open the database at {where}: {error}. Check "
                               "DATABASE_URL or PERMITMAP_DB_PATH.", where=where,
                               error="unable to open database file")
    assert str(cannot_open(store, error)) == (
        f"Cannot open the database at {where}: unable to open database file. Check "
        "DATABASE_URL or PERMITMAP_DB_PATH.")
