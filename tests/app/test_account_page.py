"""AppTest: the account page's changes (a new API token, revoking it, a new password) are
audited with the client address of the page's principal. Who is asking is set by replacing
``current_principal`` (AppTest cannot send cookies)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from domain.access import Principal, Role
from mapping import access_state
from mapping.store_access import engine
from store.accounts import add_account, list_tokens, verify_password
from store.audit import audit_rows
from tests.support.sample_store import use_sample_store

PAGE = str(Path(__file__).resolve().parents[2] / "mapping" / "pages" / "account_page.py")
PASSWORD = "correct horse battery"
BEA = Principal("bea", Role.EDITOR, "public", address="192.0.2.61")


@pytest.fixture(autouse=True)
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "app.db")
    add_account(engine(), "ada", "admin", password=PASSWORD, actor="test")
    add_account(engine(), "bea", "editor", password=PASSWORD, actor="test")
    access_state.forget_all()


def test_the_pages_changes_carry_the_client_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(access_state, "current_principal", lambda: BEA)
    monkeypatch.setattr(access_state, "page_session_secret", lambda: "")  # no cookie here
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception and not at.error

    at.text_input(key="account_token_label").set_value("QGIS")
    at.button[0].click().run()  # "Create a token"
    assert not at.exception and not at.error, [e.value for e in at.error]
    (token,) = list_tokens(engine(), "bea")
    at.selectbox(key="account_revoke").set_value(token.id)
    next(b for b in at.button if b.label == "Revoke it").click().run()
    assert not at.exception and list_tokens(engine(), "bea")[0].revoked_at is not None

    current, new, again = at.text_input[-3:]
    current.set_value(PASSWORD)
    new.set_value("a brand new password")
    again.set_value("a brand new password")
    next(b for b in at.button if b.label == "Change the password").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert verify_password(engine(), "bea", "a brand new password")

    rows = audit_rows(engine(), actor="bea")
    assert sorted(rows["action"]) == ["account-change", "token-new", "token-revoke"]
    assert set(rows["address"]) == {"192.0.2.61"}
