"""Your account: name, role and clearance; personal API tokens (create, list, revoke);
change your password. The store is given who is asking (the principal, with the page's
address), so the audit rows of these changes carry the address too."""

from datetime import datetime

import pandas as pd
import streamlit as st

from domain.access import MARKING_CODES, Action, marking_labels
from domain.i18n import tr
from domain.settings import DATA_DIR, load_settings
from mapping.access_state import current_principal, forget_all, page_session_secret
from mapping.page_errors import show_user_errors
from mapping.parts.grid import grid
from mapping.store_access import engine
from store.accounts import (
    get_account,
    list_tokens,
    new_token,
    revoke_token,
    set_password,
    verify_password,
)

JUST_MADE = "account_new_token"  # the token just made: shown on this run only
LABEL_INPUT = "account_token_label"
REVOKE = "account_revoke"


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment is not None else ""


me = current_principal()
st.title(tr("Your account"), anchor=False)
if me.kind not in ("account", "oidc"):
    st.info(tr("Nobody is signed in on this page."))
    st.stop()

data_dir = load_settings().data_dir
# An office's own names for the markings, else the bundled ones (a data folder of seed files
# only, as the tests write, has none).
labels = marking_labels(data_dir if (data_dir / "markings.csv").is_file() else DATA_DIR)
account = get_account(engine(), me.name)
left, middle, right = st.columns(3)
left.metric(tr("Name"), me.name)
middle.metric(tr("Role"), me.role)
right.metric(tr("Clearance"), labels[me.clearance].label)
# the actions are the roles' codes (a vocabulary), the markings the office's own labels
st.caption(tr("You may {actions}. You receive records marked {markings}.").format(
    actions="; ".join(str(a) for a in Action if me.may(a)),
    markings=", ".join(labels[c].label for c in MARKING_CODES if me.may_see(c))))

st.subheader(tr("API tokens"), anchor=False)
st.caption(tr("For tools that read the site GeoJSON, tiles or layer exports: send the token as "
              "the header {header}. A tool that cannot set headers may add {parameter} to the "
              "URL, but then the token ends up in server and proxy logs.").format(
    header="`Authorization: Bearer pm_…`", parameter="`?token=pm_…`"))
with st.form("new_token", clear_on_submit=True), show_user_errors():
    label = st.text_input(tr("What the token is for"), key=LABEL_INPUT, max_chars=120,
                          placeholder=tr("e.g. QGIS on my laptop"))
    if st.form_submit_button(tr("Create a token")):
        st.session_state[JUST_MADE] = new_token(engine(), me.name, label, actor=me)
made = st.session_state.pop(JUST_MADE, None)
if made:
    st.success(tr("Your new token is below. Copy it now (the button at its right): it is "
                  "shown this once and cannot be shown again."), icon=":material/key:")
    st.code(made, language=None)

tokens = list_tokens(engine(), me.name)
if tokens:
    grid(pd.DataFrame([{
        tr("token"): t.id, tr("for"): t.label, tr("created"): _when(t.created_at),
        tr("last used"): _when(t.last_used_at), tr("revoked"): _when(t.revoked_at)}
        for t in tokens]), hide_index=True, width="stretch")
    no_label = tr("no label")
    active = {t.id: f"{t.id} · {t.label or no_label}" for t in tokens if t.revoked_at is None}
    if active:
        with st.form("revoke_token"), show_user_errors():
            chosen = st.selectbox(tr("Token"), list(active), format_func=active.__getitem__,
                                  key=REVOKE)
            if st.form_submit_button(tr("Revoke it")) and chosen is not None:
                revoke_token(engine(), int(chosen), actor=me, name=me.name)
                forget_all()  # this process stops accepting it at once (others within 10 s)
                st.rerun()
else:
    st.caption(tr("You have no API token."))

st.subheader(tr("Password"), anchor=False)
if not account.has_password:
    st.caption(tr("You sign in through your organisation (OpenID Connect): no password here."))
else:
    with st.form("password", clear_on_submit=True), show_user_errors():
        old = st.text_input(tr("Current password"), type="password",
                            autocomplete="current-password")
        new = st.text_input(tr("New password"), type="password", autocomplete="new-password")
        again = st.text_input(tr("New password again"), type="password",
                              autocomplete="new-password")
        if st.form_submit_button(tr("Change the password")):
            if new != again:
                st.error(tr("The two new passwords differ: type the same one twice."))
            # Not a sign-in (no audit row), but the attempt limit holds: TooManyAttempts
            # is shown by show_user_errors.
            elif not verify_password(engine(), me.name, old, me.address):
                st.error(tr("The current password is wrong."))
            else:
                secret = page_session_secret()
                set_password(engine(), me.name, new, actor=me, keep_session=secret)
                st.success(tr("Your password is changed. Your other browsers are signed "
                              "out."))
