"""Accounts and audit, for admins: the accounts (add, change role and clearance, disable and
enable), the anonymous public view, and the audit trail (search, filter, download as CSV).

The router offers this page to admins only; the page refuses anyone else, and the store's
functions refuse them again (each is given who is asking).
"""

from datetime import date

import pandas as pd
import streamlit as st

from domain.access import MARKING_CODES, AccessDenied, Action, Role
from domain.errors import PermitmapError
from exports.marking import marking_line
from mapping.access_state import current_principal, forget_all
from mapping.page_errors import show_user_errors
from mapping.store_access import engine
from store.accounts import (
    add_account,
    anonymous_view,
    disable_account,
    enable_account,
    list_accounts,
    set_anonymous_view,
    set_role,
)
from store.audit import ACTIONS, WITHHELD, audit_export, audit_rows

DONE = "admin_done"  # what the last change did: said once, after the rerun that shows it
FAILED = "admin_failed"  # why the last change (made in a callback) was refused
ANONYMOUS_TOGGLE = "admin_anonymous_view"
ROLES = [r.value for r in Role]
ANY = "(any)"
SHOWN = 500


def _done(message: str) -> None:
    forget_all()  # this process sees the change at once (the others within seconds)
    st.session_state[DONE] = message
    st.rerun()


def _csv_heading(marking: str) -> str:
    """The audit CSV's first line: its marking, as every export's (a ``#`` comment)."""
    return f"\ufeff# {marking_line(marking)}\n"


me = current_principal()
st.title("Accounts and audit", anchor=False)
try:
    if me.kind == "open":
        raise AccessDenied("Nobody is signed in: the store has no account yet, so there is "
                           "nothing to manage here. Create the first admin with `permitmap "
                           "users add NAME --role admin`.")
    me.require(Action.MANAGE_ACCOUNTS)
except AccessDenied as exc:
    st.error(str(exc), icon=":material/block:")
    st.stop()

if DONE in st.session_state:
    st.success(st.session_state.pop(DONE), icon=":material/check:")
if FAILED in st.session_state:
    st.error(st.session_state.pop(FAILED), icon=":material/error:")
eng = engine()

# --- accounts --------------------------------------------------------------------------------
st.subheader("Accounts", anchor=False)
accounts = list_accounts(eng)
st.dataframe(pd.DataFrame([{
    "name": a.name, "role": a.role.value, "clearance": a.clearance, "e-mail": a.email,
    "signs in with": "password" if a.has_password else "OpenID Connect",
    "status": "disabled" if a.disabled else "active"} for a in accounts]),
    hide_index=True, width="stretch")

left, right = st.columns(2)
with left, st.form("admin_add", clear_on_submit=True), show_user_errors():
    st.markdown("**Add an account**")
    name = st.text_input("Account name", key="admin_add_name", max_chars=120,
                         placeholder="e.g. ada.lovelace or ada@example.org")
    role = st.selectbox("Role", ROLES, key="admin_add_role")
    clearance = st.selectbox("Clearance", MARKING_CODES, key="admin_add_clearance",
                             help="The highest handling marking the account may see.")
    email = st.text_input("E-mail (optional)", key="admin_add_email")
    password = st.text_input("Initial password", type="password", key="admin_add_password",
                             autocomplete="new-password",
                             help="Leave empty for an account that signs in through "
                                  "OpenID Connect only.")
    if st.form_submit_button("Add the account"):
        added = add_account(eng, name, role, clearance, password or None, email,
                            actor=me, principal=me)
        _done(f"Added {added.name} ({added.role.value}, clearance {added.clearance}).")

with right, show_user_errors():
    st.markdown("**Change an account**")
    by_name = {a.name: a for a in accounts}
    chosen = st.selectbox("Account", list(by_name), key="admin_change_account")
    if chosen is not None:
        account = by_name[chosen]
        # keyed by account: choosing another one shows its own role and clearance
        new_role = st.selectbox("Role", ROLES, index=ROLES.index(account.role.value),
                                key=f"admin_role_{chosen}")
        new_clearance = st.selectbox("Clearance", MARKING_CODES,
                                     index=MARKING_CODES.index(account.clearance),
                                     key=f"admin_clearance_{chosen}")
        save, toggle = st.columns(2)
        if save.button("Save role and clearance", key="admin_save"):
            changed = set_role(eng, chosen, new_role, new_clearance, actor=me,
                               principal=me)
            _done(f"{changed.name} is now {changed.role.value} with clearance "
                  f"{changed.clearance}.")
        if account.disabled:
            if toggle.button("Enable the account", key="admin_enable"):
                enable_account(eng, chosen, actor=me, principal=me)
                _done(f"{chosen} may sign in again.")
        elif toggle.button("Disable the account", key="admin_disable"):
            disable_account(eng, chosen, actor=me, principal=me)
            _done(f"{chosen} is disabled: their sessions and API tokens stopped working.")
        if not account.has_password:
            st.caption("This account signs in through OpenID Connect: the deployment's rules "
                       "set its role and clearance again at each sign-in.")

# --- the anonymous public view ---------------------------------------------------------------
st.subheader("Anonymous public view", anchor=False)


def _switch_anonymous_view() -> None:
    """The toggle's callback: runs only when the admin flips it (a rerun for anything else,
    or a page opened before another admin changed the setting, changes nothing)."""
    wanted = bool(st.session_state.get(ANONYMOUS_TOGGLE))
    try:
        set_anonymous_view(eng, wanted, actor=me, principal=me)
    except PermitmapError as exc:
        st.session_state[FAILED] = str(exc)
        return
    forget_all()  # this process sees the change at once (the others within seconds)
    st.session_state[DONE] = "The anonymous public view is " + ("on." if wanted else "off.")


# The switch shows the store's setting on every run (set before the widget is made).
st.session_state[ANONYMOUS_TOGGLE] = anonymous_view(eng)
st.toggle("Visitors who are not signed in may browse public data", key=ANONYMOUS_TOGGLE,
          on_change=_switch_anonymous_view,
          help="They browse as a viewer with public clearance: they never see a marked record "
               "and cannot change anything.")

# --- the audit trail -------------------------------------------------------------------------
st.subheader("Audit trail", anchor=False)
st.caption("Every sign-in, export, upload, deletion, import and change, newest first. Nothing "
           "in the app can change or delete a row.")
who, what, since, until = st.columns(4)
actor = who.text_input("Who (account name)", key="audit_actor").strip() or None
picked = what.selectbox("Action", [ANY, *ACTIONS], key="audit_action")
action = None if picked == ANY else picked
first = since.date_input("From", value=None, key="audit_since", max_value=date.today())
last = until.date_input("Until (inclusive)", value=None, key="audit_until")
words = st.text_input("Words in the target, the detail, the name or the address",
                      key="audit_text").strip() or None
with show_user_errors():
    if first is not None and last is not None and last < first:
        st.warning("'Until' is before 'From': no row can match.")
    rows = audit_rows(eng, actor, action, first, last, words, SHOWN + 1, principal=me)
    withheld = int(rows.attrs.get(WITHHELD, 0))
    st.caption(f"{min(len(rows), SHOWN)} row{'s' * (len(rows) != 1)} shown"
               + (f" (the newest {SHOWN}; the CSV holds them all)" if len(rows) > SHOWN
                  else "") + "."
               + (f" {withheld} row{'s' * (withheld != 1)} about records above your "
                  f"clearance {'are' if withheld != 1 else 'is'} not shown." if withheld
                  else ""))
    st.dataframe(rows.head(SHOWN), hide_index=True, width="stretch", column_config={
        "at": st.column_config.DatetimeColumn("at (UTC)", format="YYYY-MM-DD HH:mm:ss")})
    # Made when clicked (deferred), so the export is recorded once, when it happens; the
    # row carries the page's address (the principal's).
    st.download_button(
        "Download CSV", key="audit_download", mime="text/csv", on_click="ignore",
        file_name=f"permitmap-audit-{date.today():%Y%m%d}.csv",
        data=lambda: audit_export(eng, me, actor, action, first, last, words, principal=me,
                                  heading=_csv_heading))
