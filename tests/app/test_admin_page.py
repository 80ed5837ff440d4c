"""AppTest: the admin page (accounts, the anonymous public view, the audit trail) for an
admin, and its refusal for an editor or a viewer. Who is asking is set by replacing
``current_principal`` (AppTest cannot send cookies)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from domain.access import HIGHEST, Principal, Role
from mapping import access_state
from mapping.store_access import engine
from store.accounts import (
    add_account,
    anonymous_view,
    get_account,
    list_accounts,
    set_anonymous_view,
)
from store.audit import audit_csv, audit_export, audit_rows, record_now
from tests.support.sample_store import use_sample_store

PAGE = str(Path(__file__).resolve().parents[2] / "mapping" / "pages" / "admin_page.py")
ADA = Principal("ada", Role.ADMIN, HIGHEST)


@pytest.fixture(autouse=True)
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "app.db")
    add_account(engine(), "ada", "admin", HIGHEST, "correct horse battery", actor="test")
    add_account(engine(), "vic", "viewer", actor="test")
    access_state.forget_all()


def _run(who: Principal, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setattr(access_state, "current_principal", lambda: who)
    return AppTest.from_file(PAGE, default_timeout=60).run()


def test_an_admin_adds_an_account_and_changes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _run(ADA, monkeypatch)
    assert not at.exception and not at.error
    listed = at.dataframe[0].value
    assert list(listed["name"]) == ["ada", "vic"]

    at.text_input(key="admin_add_name").set_value("ed")
    at.selectbox(key="admin_add_role").set_value("editor")
    at.selectbox(key="admin_add_clearance").set_value("business-proprietary")
    at.text_input(key="admin_add_password").set_value("a long first password")
    at.button[0].click().run()  # the form's submit button
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value == "Added ed (editor, clearance business-proprietary)."
    ed = get_account(engine(), "ed")
    assert (ed.role, ed.clearance, ed.has_password) == ("editor", "business-proprietary", True)

    at.selectbox(key="admin_change_account").set_value("ed").run()
    at.selectbox(key="admin_role_ed").set_value("viewer")
    at.button(key="admin_save").click().run()
    assert get_account(engine(), "ed").role == "viewer"
    at.button(key="admin_disable").click().run()
    assert get_account(engine(), "ed").disabled
    assert "is disabled" in at.success[0].value
    at.button(key="admin_enable").click().run()
    assert not get_account(engine(), "ed").disabled
    changes = audit_rows(engine(), actor="ada")
    assert sorted(changes["action"]) == ["account-add"] + ["account-change"] * 3


def test_the_last_admin_cannot_be_removed(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _run(ADA, monkeypatch)
    at.selectbox(key="admin_change_account").set_value("ada").run()
    at.button(key="admin_disable").click().run()
    assert not at.exception
    assert "only admin who can sign in" in at.error[0].value
    assert not get_account(engine(), "ada").disabled
    at.selectbox(key="admin_role_ada").set_value("editor")
    at.button(key="admin_save").click().run()
    assert "only admin who can sign in" in at.error[0].value
    assert get_account(engine(), "ada").role == "admin"


def test_a_bad_account_is_refused_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _run(ADA, monkeypatch)
    at.text_input(key="admin_add_name").set_value("vic")
    at.text_input(key="admin_add_password").set_value("a long first password")
    at.button[0].click().run()
    assert not at.exception
    assert "already an account named 'vic'" in at.error[0].value
    assert len(list_accounts(engine())) == 2


def test_the_anonymous_view_switch_is_audited(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _run(ADA, monkeypatch)
    assert at.toggle(key="admin_anonymous_view").value is False
    at.toggle(key="admin_anonymous_view").set_value(True).run()
    assert not at.exception and anonymous_view(engine())
    assert access_state.access_mode(engine()).anonymous_view  # the gate sees it at once
    settings = audit_rows(engine(), action="settings")
    assert list(settings["detail"]) == ["anonymous public view on"]
    assert list(settings["actor"]) == ["ada"]


def test_a_stale_switch_does_not_act_without_a_click(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page was opened with the view off; another admin turns it on; a rerun of this
    page for something else must not turn it off again."""
    at = _run(ADA, monkeypatch)
    assert at.toggle(key="admin_anonymous_view").value is False
    set_anonymous_view(engine(), True, actor="bob")
    access_state.forget_all()
    at.text_input(key="audit_text").set_value("viewer").run()
    assert not at.exception and not at.error
    assert anonymous_view(engine())  # still on
    assert at.toggle(key="admin_anonymous_view").value is True  # and the page shows it
    assert list(audit_rows(engine(), action="settings")["actor"]) == ["bob"]
    at.toggle(key="admin_anonymous_view").set_value(False).run()  # a click does act
    assert not anonymous_view(engine())
    assert at.success[0].value == "The anonymous public view is off."


def test_the_pages_changes_carry_the_client_address(monkeypatch: pytest.MonkeyPatch) -> None:
    ada = Principal("ada", Role.ADMIN, HIGHEST, address="192.0.2.44")
    at = _run(ada, monkeypatch)
    at.text_input(key="admin_add_name").set_value("ed")
    at.text_input(key="admin_add_password").set_value("a long first password")
    at.button[0].click().run()
    at.selectbox(key="admin_change_account").set_value("ed").run()
    at.selectbox(key="admin_role_ed").set_value("editor")
    at.button(key="admin_save").click().run()
    at.button(key="admin_disable").click().run()
    at.button(key="admin_enable").click().run()
    at.toggle(key="admin_anonymous_view").set_value(True).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    audit_export(engine(), ada, principal=ada)  # what the Download CSV button runs
    rows = audit_rows(engine(), actor="ada")
    assert sorted(rows["action"]) == ["account-add", "account-change", "account-change",
                                      "account-change", "export", "settings"]
    assert set(rows["address"]) == {"192.0.2.44"}


def test_rows_above_the_admins_clearance_are_not_shown(
        monkeypatch: pytest.MonkeyPatch) -> None:
    record_now(engine(), "ed", "upload", target="secret seams.gpkg", marking="controlled")
    record_now(engine(), "ed", "upload", target="roads.gpkg", marking="public")
    low = Principal("ada", Role.ADMIN, "business-proprietary")
    at = _run(low, monkeypatch)
    assert not at.exception and not at.error
    shown = at.dataframe[1].value
    assert "secret seams.gpkg" not in set(shown["target"]) and len(shown) == 3
    assert ("1 row about records above your clearance is not shown."
            in [c.value for c in at.caption][-1]), [c.value for c in at.caption]
    record_now(engine(), "ed", "mark", target="site us-x", marking="controlled")
    at.run()
    assert "2 rows about records above your clearance are not shown." in at.caption[-1].value
    at = _run(ADA, monkeypatch)  # cleared for everything: nothing left out
    assert len(at.dataframe[1].value) == 5
    assert "above your clearance" not in " ".join(c.value for c in at.caption)


def test_the_audit_trail_filters_and_its_export_is_audited(
        monkeypatch: pytest.MonkeyPatch) -> None:
    at = _run(ADA, monkeypatch)
    shown = at.dataframe[1].value
    assert set(shown["action"]) == {"account-add"} and len(shown) == 2
    at.text_input(key="audit_text").set_value("viewer").run()
    assert list(at.dataframe[1].value["target"]) == ["vic"]
    at.selectbox(key="audit_action").set_value("sign-in").run()
    assert at.dataframe[1].value.empty and not at.exception

    # what the Download CSV button runs when clicked
    data = audit_export(engine(), "ada", text="viewer", principal=ADA)
    assert data.decode().splitlines()[1].split(",")[3] == "account-add"
    export = audit_rows(engine(), action="export")
    assert list(export["target"]) == ["audit trail"] and list(export["records"]) == [1]
    assert list(export["detail"]) == ["text viewer"]


@pytest.mark.parametrize("role", [Role.EDITOR, Role.VIEWER])
def test_an_editor_or_a_viewer_is_refused(role: Role, monkeypatch: pytest.MonkeyPatch) -> None:
    who = Principal("vic", role, HIGHEST)
    at = _run(who, monkeypatch)
    assert not at.exception
    assert "may not manage accounts: that needs the admin role" in at.error[0].value
    assert not at.dataframe and not at.button and not at.toggle  # nothing else on the page
    # and the store refuses them too
    from domain.access import AccessDenied

    with pytest.raises(AccessDenied):
        add_account(engine(), "mallory", "admin", password="a long password!", actor="vic",
                    principal=who)
    with pytest.raises(AccessDenied):
        audit_csv(engine(), principal=who)
