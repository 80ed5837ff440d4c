"""OpenID Connect without a provider: the settings file and its rules (claims → role and
clearance), the store's side of a sign-in (the account made or updated, a disabled one
refused, all audited), and the sign-in page finishing a sign-in from Streamlit's signed
identity cookie, after which that cookie opens the routes like a session. The browser test
(tests/browser/test_oidc_browser.py) goes through a real provider."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient
from streamlit.web.server.server_util import get_cookie_secret
from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

from domain.errors import InputError, PermitmapError
from domain.settings import OidcSettings, RoleRule, load_oidc, parse_oidc
from mapping.access_state import OIDC_COOKIE, forget_all
from mapping.store_access import engine
from mapping.web.auth_routes import account_name, streamlit_secrets
from mapping.web.routes import starlette_app
from store.accounts import (
    SignInRefused,
    add_account,
    disable_account,
    get_account,
    list_accounts,
    oidc_sign_in,
    session_account,
    set_role,
    valid_name,
    verify_password,
)
from store.audit import audit_rows
from tests.support.sample_store import use_sample_store

TABLE = {
    "name": "METI", "issuer": "https://id.example.org", "client_id": "permitmap",
    "client_secret": "s3cret", "redirect_uri": "https://pm.example.org/oauth2callback",
    "cookie_secret": "c" * 32,
    "roles": [
        {"group": "permitmap-admins", "role": "admin", "clearance": "controlled"},
        {"email_domain": "meti.go.jp", "role": "editor", "clearance": "business-proprietary"},
        {"email_domain": "example.org", "role": "viewer"},
    ],
}
DEPOSITS = "/api/deposits?bbox=-180,-90,180,90&zoom=2"


# --- the rules ----------------------------------------------------------------------------


VERIFIED = {"email_verified": True}


@pytest.mark.parametrize(("claims", "expected"), [
    ({"email": "ada@meti.go.jp", **VERIFIED}, ("editor", "business-proprietary")),
    ({"email": "ADA@METI.GO.JP", "email_verified": "True"}, ("editor", "business-proprietary")),
    ({"email": "ada@meti.go.jp", "groups": ["permitmap-admins"]}, ("admin", "controlled")),
    ({"email": "x@other.org", "groups": "permitmap-admins"}, ("admin", "controlled")),
    ({"email": "bob@example.org", **VERIFIED}, ("viewer", "public")),
    ({"email": "bob@sub.example.org", **VERIFIED}, None),  # a sub-domain is another domain
    ({"email": "ada@meti.go.jp", "email_verified": False}, None),  # unverified: no domain
    ({"email": "ada@meti.go.jp"}, None),  # not said to be verified: no domain either
    ({"email": "ada@meti.go.jp", "email_verified": "false"}, None),
    ({"email": "ada@meti.go.jp", "email_verified": 1}, None),
    ({"email": "meti.go.jp", **VERIFIED}, None),
    ({"sub": "42"}, None),
    ({"email": "eve@evil.example", "groups": ["permitmap-admins-not"]}, None),
])
def test_the_first_matching_rule_gives_the_role(claims: dict[str, object],
                                                expected: tuple[str, str] | None) -> None:
    rule = parse_oidc(TABLE).rule_for(claims)
    assert (None if rule is None else (rule.role, rule.clearance)) == expected


def test_a_group_claim_of_another_name() -> None:
    settings = parse_oidc({**TABLE, "groups_claim": "roles"})
    assert settings.rule_for({"roles": ["permitmap-admins"]}) == RoleRule(
        "admin", "controlled", "", "permitmap-admins")
    assert settings.rule_for({"groups": ["permitmap-admins"]}) is None


@pytest.mark.parametrize(("change", "words"), [
    ({"redirect_uri": "https://pm.example.org/"}, "must end with /oauth2callback"),
    ({"issuer": ""}, "needs issuer"),
    ({"client_id": ""}, "needs client_id"),
    ({"cookie_secret": "short"}, "at least 16 characters"),
    ({"roles": []}, "at least one [[oidc.roles]] rule"),
    ({"roles": [{"email_domain": "x.org", "role": "boss"}]}, "rule 1 needs role"),
    ({"roles": [{"email_domain": "x.org", "group": "g", "role": "viewer"}]}, "either"),
    ({"roles": [{"group": "g", "role": "viewer", "clearance": "secret"}]}, "clearance must"),
])
def test_a_bad_settings_file_is_refused_in_words(change: dict[str, object], words: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PERMITMAP_COOKIE_SECRET", raising=False)
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        parse_oidc({**TABLE, **change})


def test_the_settings_file_becomes_streamlits_auth_secrets(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PERMITMAP_OIDC_FILE", raising=False)
    assert load_oidc() is None and streamlit_secrets() is None
    path = tmp_path / "oidc.toml"
    path.write_text("""[oidc]
name = "METI"
issuer = "https://id.example.org/"
client_id = "permitmap"
client_secret = "s3cret"
redirect_uri = "https://pm.example.org/oauth2callback"

[[oidc.roles]]
email_domain = "@meti.go.jp"
role = "Editor"
""", encoding="utf-8")
    monkeypatch.setenv("PERMITMAP_OIDC_FILE", str(path))
    monkeypatch.setenv("PERMITMAP_COOKIE_SECRET", "from-the-environment-0123")
    settings = load_oidc()
    assert isinstance(settings, OidcSettings)
    assert settings.rules == (RoleRule("editor", "public", "meti.go.jp", ""),)
    assert streamlit_secrets() == {"auth": {
        "redirect_uri": "https://pm.example.org/oauth2callback",
        "cookie_secret": "from-the-environment-0123",
        "oidc": {"client_id": "permitmap", "client_secret": "s3cret",
                 "server_metadata_url": "https://id.example.org/.well-known/openid-configuration",
                 "client_kwargs": {"scope": "openid email profile"}}}}
    path.write_text("[oidc\n", encoding="utf-8")
    with pytest.raises(ValueError, match="cannot be read as TOML"):
        load_oidc()


def test_the_account_name_is_the_verified_e_mail_address_else_the_subject() -> None:
    host = parse_oidc(TABLE).issuer_host
    assert host == "id.example.org"
    assert account_name({"sub": "1", "email": " Ada@X.org ", **VERIFIED}, host) == "ada@x.org"
    assert account_name({"sub": "1", "email": "ada@x.org", "email_verified": "TRUE"},
                        host) == "ada@x.org"
    # an e-mail the provider does not vouch for, or a user name anyone may choose, names
    # nobody: the provider's host and subject, which no local account name can be
    assert account_name({"sub": "x1", "email": "ada@x.org"}, host) == "id.example.org:x1"
    assert account_name({"sub": "x1", "preferred_username": "Admin"}, host) \
        == "id.example.org:x1"
    odd = account_name({"sub": "AbC/=="}, host)
    assert odd.startswith("id.example.org:~") and odd != account_name({"sub": "abc/=="}, host)
    assert account_name({}, host) == ""
    for name in ("id.example.org:x1", odd):
        with pytest.raises(InputError):
            valid_name(name)  # no local account can take it


# --- the store ----------------------------------------------------------------------------


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    use_sample_store(tmp_path, monkeypatch, "app.db")
    forget_all()
    eng = engine()
    add_account(eng, "ada", "admin", password="correct horse battery", actor="test")
    yield eng
    forget_all()


def test_a_first_sign_in_makes_the_account_and_a_session(store: Engine) -> None:
    info = oidc_sign_in(store, "cookie-1", "ed@meti.go.jp", "editor", "business-proprietary",
                        email="ed@meti.go.jp", via="METI", address="192.0.2.7")
    assert (info.role, info.clearance, info.has_password) == ("editor",
                                                              "business-proprietary", False)
    assert session_account(store, "cookie-1") == info
    # the same cookie again: the same session, nothing new recorded
    assert oidc_sign_in(store, "cookie-1", "ed@meti.go.jp", "editor", "public", via="METI") \
        == info
    rows = audit_rows(store, text="ed@meti.go.jp")
    assert sorted(rows["action"]) == ["account-add", "sign-in"]
    sign_in = rows[rows["action"] == "sign-in"].iloc[0]
    assert (sign_in["actor"], sign_in["detail"], sign_in["address"]) == (
        "ed@meti.go.jp", "OpenID Connect (METI)", "192.0.2.7")


def test_the_rules_role_applies_at_each_sign_in_but_keeps_the_last_admin(
        store: Engine) -> None:
    oidc_sign_in(store, "c1", "ed@meti.go.jp", "editor", "public", via="METI")
    oidc_sign_in(store, "c2", "ed@meti.go.jp", "viewer", "controlled", via="METI")
    assert (get_account(store, "ed@meti.go.jp").role,
            get_account(store, "ed@meti.go.jp").clearance) == ("viewer", "controlled")
    changed = audit_rows(store, action="account-change")
    assert list(changed["detail"]) == [
        "role editor -> viewer; clearance public -> controlled (the deployment's rules)"]
    oidc_sign_in(store, "c3", "boss@meti.go.jp", "admin", "controlled", via="METI")
    disable_account(store, "ada", actor="boss@meti.go.jp")
    oidc_sign_in(store, "c4", "boss@meti.go.jp", "viewer", "public", via="METI")  # only admin
    assert get_account(store, "boss@meti.go.jp").role == "admin"


def test_a_disabled_account_is_refused_and_audited(store: Engine) -> None:
    oidc_sign_in(store, "c1", "ed@meti.go.jp", "editor", "public", via="METI")
    disable_account(store, "ed@meti.go.jp", actor="ada")
    assert session_account(store, "c1") is None  # its session ended
    with pytest.raises(SignInRefused, match="is disabled"):
        oidc_sign_in(store, "c2", "ed@meti.go.jp", "editor", "public", via="METI")
    with pytest.raises(SignInRefused, match="has ended"):
        oidc_sign_in(store, "c1", "ed@meti.go.jp", "editor", "public", via="METI")
    failed = audit_rows(store, action="sign-in-failed")
    assert set(failed["outcome"]) == {"refused"} and len(failed) == 2


def test_a_sign_in_never_takes_over_an_account_with_a_password(store: Engine) -> None:
    # "ada", the local admin: a bare user name is no provider's name at all
    with pytest.raises(PermitmapError):
        oidc_sign_in(store, "c1", "ada", "viewer", "public", via="METI")
    # an e-mail named account with a password: refused in words, and audited
    add_account(store, "ed@meti.go.jp", "admin", "controlled", password="a long password",
                actor="test")
    with pytest.raises(SignInRefused, match="signs in with its password, not through METI"):
        oidc_sign_in(store, "c2", "ed@meti.go.jp", "viewer", "public", via="METI",
                     address="192.0.2.7")
    for name, role, clearance in (("ada", "admin", "public"),
                                  ("ed@meti.go.jp", "admin", "controlled")):
        info = get_account(store, name)
        assert (info.role, info.clearance, info.has_password) == (role, clearance, True)
    assert session_account(store, "c1") is None and session_account(store, "c2") is None
    failed = audit_rows(store, action="sign-in-failed")
    assert list(failed["actor"]) == ["ed@meti.go.jp"]
    assert list(failed["address"]) == ["192.0.2.7"] and list(failed["outcome"]) == ["refused"]
    assert audit_rows(store, action="sign-in").empty
    assert audit_rows(store, action="account-change").empty


def test_an_account_made_without_a_password_is_the_verified_e_mails(store: Engine) -> None:
    made = add_account(store, "ed@meti.go.jp", "viewer", actor="ada")  # users add --no-password
    info = oidc_sign_in(store, "c1", "Ed@METI.go.jp", "editor", "business-proprietary",
                        email="ed@meti.go.jp", via="METI")
    assert info.id == made.id and (info.role, info.clearance) == ("editor",
                                                                 "business-proprietary")
    assert session_account(store, "c1") == info


def test_verifying_a_password_records_no_sign_in(store: Engine) -> None:
    before = len(audit_rows(store))
    assert verify_password(store, "ada", "correct horse battery")
    assert not verify_password(store, "ada", "wrong")
    assert len(audit_rows(store)) == before


# --- over HTTP ----------------------------------------------------------------------------


def _identity(claims: dict[str, object]) -> str:
    """Streamlit's identity cookie as its callback sets it (signed with the same secret)."""
    payload = json.dumps({**claims, "origin": "http://testserver", "is_logged_in": True,
                          "provider": "oidc"})
    return create_signed_value(get_cookie_secret(), OIDC_COOKIE, payload).decode()


@pytest.fixture()
def configured(store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    path = tmp_path / "oidc.toml"
    path.write_text("""[oidc]
name = "METI"
issuer = "https://id.example.org"
client_id = "permitmap"
client_secret = "s3cret"
redirect_uri = "http://testserver/oauth2callback"
cookie_secret = "cccccccccccccccccccccccccccccccc"
[[oidc.roles]]
email_domain = "meti.go.jp"
role = "editor"
""", encoding="utf-8")
    monkeypatch.setenv("PERMITMAP_OIDC_FILE", str(path))
    return TestClient(starlette_app())


def test_the_sign_in_page_offers_the_provider(configured: TestClient) -> None:
    page = configured.get("/signin?next=/timeline")
    assert 'href="/signin/oidc?next=%2Ftimeline">Sign in with METI</a>' in page.text
    onward = configured.get("/signin/oidc?next=/timeline", follow_redirects=False)
    assert onward.status_code == 303
    assert onward.headers["location"].startswith("/auth/login?provider=")
    assert configured.cookies["permitmap_next"].strip('"') == "/timeline"


def test_the_identity_cookie_becomes_a_session(configured: TestClient, store: Engine) -> None:
    configured.cookies.set(OIDC_COOKIE, _identity({"email": "ed@meti.go.jp", "sub": "7",
                                                   **VERIFIED}))
    assert configured.get(DEPOSITS).status_code == 401  # not finished yet
    page = configured.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.headers["location"] == "/signin?next=%2F"
    finished = configured.get("/signin?next=%2Fportfolio", follow_redirects=False)
    assert finished.status_code == 303 and finished.headers["location"] == "/portfolio"
    assert configured.get(DEPOSITS).status_code == 200
    assert get_account(store, "ed@meti.go.jp").role == "editor"
    signing_out = configured.get("/signout")
    assert "ed@meti.go.jp" in signing_out.text
    csrf = signing_out.text.split('name="csrf" value="')[1].split('"')[0]
    out = configured.post("/signout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 200 and 'url=/auth/logout"' in out.text
    forget_all()
    assert configured.get(DEPOSITS).status_code == 401  # that session ended in the store


def test_no_rule_is_refused_in_words_and_the_cookie_cleared(configured: TestClient,
                                                            store: Engine) -> None:
    configured.cookies.set(OIDC_COOKIE, _identity({"email": "eve@evil.example", **VERIFIED}))
    refused = configured.get("/signin")
    assert refused.status_code == 403
    assert ("METI signed you in as eve@evil.example, but this permitmap gives that account "
            "no role") in refused.text
    assert f'{OIDC_COOKIE}=""' in refused.headers["set-cookie"]
    assert list(audit_rows(store, action="sign-in-failed")["actor"]) == ["eve@evil.example"]


def test_a_user_name_or_an_unverified_e_mail_takes_over_nobody(
        store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The review's case: a provider's user "Admin" in a viewer group once signed in as the
    local admin "ada"'s namesake and lowered its clearance."""
    set_role(store, "ada", None, "controlled", actor="test")
    add_account(store, "admin", "admin", "controlled", password="another long one",
                actor="test")
    path = tmp_path / "groups.toml"
    path.write_text("""[oidc]
name = "METI"
issuer = "https://id.example.org"
client_id = "permitmap"
client_secret = "s3cret"
redirect_uri = "http://testserver/oauth2callback"
cookie_secret = "cccccccccccccccccccccccccccccccc"
[[oidc.roles]]
group = "pm-viewers"
role = "viewer"
[[oidc.roles]]
email_domain = "meti.go.jp"
role = "admin"
clearance = "controlled"
""", encoding="utf-8")
    monkeypatch.setenv("PERMITMAP_OIDC_FILE", str(path))
    for sub, claims in (("x1", {"preferred_username": "Admin", "groups": ["pm-viewers"]}),
                        ("x2", {"preferred_username": "ada", "email": "ada@meti.go.jp",
                                "groups": ["pm-viewers"]})):
        client = TestClient(starlette_app())
        client.cookies.set(OIDC_COOKIE, _identity({"sub": sub, **claims}))
        finished = client.get("/signin", follow_redirects=False)
        assert finished.status_code == 303
        forget_all()
        mine = get_account(store, f"id.example.org:{sub}")
        assert (mine.role, mine.clearance, mine.has_password) == ("viewer", "public", False)
        assert client.get("/signout").text.count(f"id.example.org:{sub}") == 1
    for name in ("ada", "admin"):
        info = get_account(store, name)
        assert (info.role, info.clearance, info.has_password) == ("admin", "controlled", True)
    assert audit_rows(store, action="account-change", text="deployment's rules").empty
    assert "ada@meti.go.jp" not in {a.name for a in list_accounts(store)}


def test_a_forged_identity_cookie_signs_nobody_in(configured: TestClient) -> None:
    forged = _identity({"email": "ed@meti.go.jp"})[:-3] + "xyz"
    configured.cookies.set(OIDC_COOKIE, forged)
    page = configured.get("/signin")
    assert page.status_code == 401 and "has ended. Sign in again." in page.text
    assert configured.get(DEPOSITS).status_code == 401
