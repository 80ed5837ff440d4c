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
from domain.i18n import N_, ntr, tr, trc
from exports.marking import marking_line
from mapping.access_state import current_principal, forget_all
from mapping.page_errors import show_user_errors
from mapping.parts.grid import grid
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
ANY = N_("(any)")
SHOWN = 500


def _done(message: str) -> None:
    forget_all()  # this process sees the change at once (the others within seconds)
    st.session_state[DONE] = message
    st.rerun()


def _csv_heading(marking: str) -> str:
    """The audit CSV's first line: its marking, as every export's (a ``#`` comment)."""
    return f"\ufeff# {marking_line(marking)}\n"


me = current_principal()
st.title(tr("Accounts and audit"), anchor=False)
try:
    if me.kind == "open":
        raise AccessDenied(tr("Nobody is signed in: the store has no account yet, so there is "
                              "nothing to manage here. Create the first admin with "
                              "{command}.").format(
            command="`permitmap users add NAME --role admin`"))
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
st.subheader(tr("Accounts"), anchor=False)
accounts = list_accounts(eng)
with_password, disabled, active = tr("password"), tr("disabled"), tr("active")
grid(pd.DataFrame([{
    tr("name"): a.name, tr("role"): a.role.value, tr("clearance"): a.clearance,
    tr("e-mail"): a.email,
    tr("signs in with"): with_password if a.has_password else "OpenID Connect",
    tr("status"): disabled if a.disabled else active} for a in accounts]),
    hide_index=True, width="stretch")

left, right = st.columns(2)
with left, st.form("admin_add", clear_on_submit=True), show_user_errors():
    st.markdown("**" + tr("Add an account") + "**")
    name = st.text_input(tr("Account name"), key="admin_add_name", max_chars=120,
                         placeholder=tr("e.g. ada.lovelace or ada@example.org"))
    role = st.selectbox(tr("Role"), ROLES, key="admin_add_role")
    clearance = st.selectbox(tr("Clearance"), MARKING_CODES, key="admin_add_clearance",
                             help=tr("The highest handling marking the account may see."))
    email = st.text_input(tr("E-mail (optional)"), key="admin_add_email")
    password = st.text_input(tr("Initial password"), type="password", key="admin_add_password",
                             autocomplete="new-password",
                             help=tr("Leave empty for an account that signs in through "
                                     "OpenID Connect only."))
    if st.form_submit_button(tr("Add the account")):
        added = add_account(eng, name, role, clearance, password or None, email,
                            actor=me, principal=me)
        _done(tr("Added {name} ({role}, clearance {clearance}).").format(
            name=added.name, role=added.role.value, clearance=added.clearance))

with right, show_user_errors():
    st.markdown("**" + tr("Change an account") + "**")
    by_name = {a.name: a for a in accounts}
    chosen = st.selectbox(tr("Account"), list(by_name), key="admin_change_account")
    if chosen is not None:
        account = by_name[chosen]
        # keyed by account: choosing another one shows its own role and clearance
        new_role = st.selectbox(tr("Role"), ROLES, index=ROLES.index(account.role.value),
                                key=f"admin_role_{chosen}")
        new_clearance = st.selectbox(tr("Clearance"), MARKING_CODES,
                                     index=MARKING_CODES.index(account.clearance),
                                     key=f"admin_clearance_{chosen}")
        save, toggle = st.columns(2)
        if save.button(tr("Save role and clearance"), key="admin_save"):
            changed = set_role(eng, chosen, new_role, new_clearance, actor=me,
                               principal=me)
            _done(tr("{name} is now {role} with clearance {clearance}.").format(
                name=changed.name, role=changed.role.value, clearance=changed.clearance))
        if account.disabled:
            if toggle.button(tr("Enable the account"), key="admin_enable"):
                enable_account(eng, chosen, actor=me, principal=me)
                _done(tr("{name} may sign in again.").format(name=chosen))
        elif toggle.button(tr("Disable the account"), key="admin_disable"):
            disable_account(eng, chosen, actor=me, principal=me)
            _done(tr("{name} is disabled: their sessions and API tokens stopped working.")
                  .format(name=chosen))
        if not account.has_password:
            st.caption(tr("This account signs in through OpenID Connect: the deployment's "
                          "rules set its role and clearance again at each sign-in."))

# --- the anonymous public view ---------------------------------------------------------------
st.subheader(tr("Anonymous public view"), anchor=False)


def _switch_anonymous_view(said_on: str, said_off: str) -> None:
    """The toggle's callback: runs only when the admin flips it (a rerun for anything else,
    or a page opened before another admin changed the setting, changes nothing). What it
    says is given in the page's language (a callback runs before the page sets it)."""
    wanted = bool(st.session_state.get(ANONYMOUS_TOGGLE))
    try:
        set_anonymous_view(eng, wanted, actor=me, principal=me)
    except PermitmapError as exc:
        st.session_state[FAILED] = str(exc)
        return
    forget_all()  # this process sees the change at once (the others within seconds)
    st.session_state[DONE] = said_on if wanted else said_off


# The switch shows the store's setting on every run (set before the widget is made).
st.session_state[ANONYMOUS_TOGGLE] = anonymous_view(eng)
st.toggle(tr("Visitors who are not signed in may browse public data"), key=ANONYMOUS_TOGGLE,
          on_change=_switch_anonymous_view,
          args=(tr("The anonymous public view is on."), tr("The anonymous public view is off.")),
          help=tr("They browse as a viewer with public clearance: they never see a marked "
                  "record and cannot change anything."))

# --- the audit trail -------------------------------------------------------------------------
st.subheader(tr("Audit trail"), anchor=False)
st.caption(tr("Every sign-in, export, upload, deletion, import and change, newest first. "
              "Nothing in the app can change or delete a row."))
who, what, since, until = st.columns(4)
actor = who.text_input(tr("Who (account name)"), key="audit_actor").strip() or None
# the actions are the audit trail's codes (a vocabulary); "(any)" is the page's word
action_names = {ANY: tr(ANY)} | {code: code for code in ACTIONS}
picked = what.selectbox(trc("audit", "Action"), list(action_names), key="audit_action",
                        format_func=action_names.__getitem__)
action = None if picked == ANY else picked
first = since.date_input(tr("From"), value=None, key="audit_since", max_value=date.today())
last = until.date_input(tr("Until (inclusive)"), value=None, key="audit_until")
words = st.text_input(tr("Words in the target, the detail, the name or the address"),
                      key="audit_text").strip() or None
with show_user_errors():
    if first is not None and last is not None and last < first:
        st.warning(tr("'Until' is before 'From': no row can match."))
    rows = audit_rows(eng, actor, action, first, last, words, SHOWN + 1, principal=me)
    withheld = int(rows.attrs.get(WITHHELD, 0))
    count = min(len(rows), SHOWN)
    said = (ntr("{n} row shown (the newest {max}; the CSV holds them all).",
                "{n} rows shown (the newest {max}; the CSV holds them all).", count)
            if len(rows) > SHOWN else ntr("{n} row shown.", "{n} rows shown.", count)
            ).format(n=count, max=SHOWN)
    if withheld:
        said += " " + ntr("{n} row about records above your clearance is not shown.",
                          "{n} rows about records above your clearance are not shown.",
                          withheld).format(n=withheld)
    st.caption(said)
    # TRANSLATORS: the audit trail's columns keep the store's names (at, actor, action, ...).
    audit_columns = {"id": tr("id"), "actor": tr("actor"), "action": trc("audit", "action"),
                     "target": tr("target"), "detail": tr("detail"), "records": tr("records"),
                     "marking": tr("marking"), "address": tr("address"),
                     "outcome": tr("outcome")}
    grid(rows.head(SHOWN), hide_index=True, width="stretch", column_config={
        **audit_columns,
        "at": st.column_config.DatetimeColumn(tr("at (UTC)"), format="YYYY-MM-DD HH:mm:ss")})
    # Made when clicked (deferred), so the export is recorded once, when it happens; the
    # row carries the page's address (the principal's).
    st.download_button(
        tr("Download CSV"), key="audit_download", mime="text/csv", on_click="ignore",
        file_name=f"permitmap-audit-{date.today():%Y%m%d}.csv",
        data=lambda: audit_export(eng, me, actor, action, first, last, words, principal=me,
                                  heading=_csv_heading))
