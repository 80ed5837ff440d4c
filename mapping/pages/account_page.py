"""Your account: name, role and clearance; personal API tokens (create, list, revoke);
change your password. The store is given who is asking (the principal, with the page's
address), so the audit rows of these changes carry the address too."""

from datetime import datetime

import pandas as pd
import streamlit as st

from domain.access import MARKING_CODES, Action, marking_labels
from domain.settings import DATA_DIR, load_settings
from mapping.access_state import current_principal, forget_all, page_session_secret
from mapping.page_errors import show_user_errors
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
st.title("Your account", anchor=False)
if me.kind not in ("account", "oidc"):
    st.info("Nobody is signed in on this page.")
    st.stop()

data_dir = load_settings().data_dir
# An office's own names for the markings, else the bundled ones (a data folder of seed files
# only, as the tests write, has none).
labels = marking_labels(data_dir if (data_dir / "markings.csv").is_file() else DATA_DIR)
account = get_account(engine(), me.name)
left, middle, right = st.columns(3)
left.metric("Name", me.name)
middle.metric("Role", me.role)
right.metric("Clearance", labels[me.clearance].label)
st.caption(f"You may {'; '.join(str(a) for a in Action if me.may(a))}. You receive records "
           f"marked {', '.join(labels[c].label for c in MARKING_CODES if me.may_see(c))}.")

st.subheader("API tokens", anchor=False)
st.caption("For tools that read the site GeoJSON, tiles or layer exports: send the token as "
           "the header `Authorization: Bearer pm_…`. A tool that cannot set headers may add "
           "`?token=pm_…` to the URL, but then the token ends up in server and proxy logs.")
with st.form("new_token", clear_on_submit=True), show_user_errors():
    label = st.text_input("What the token is for", key=LABEL_INPUT, max_chars=120,
                          placeholder="e.g. QGIS on my laptop")
    if st.form_submit_button("Create a token"):
        st.session_state[JUST_MADE] = new_token(engine(), me.name, label, actor=me)
made = st.session_state.pop(JUST_MADE, None)
if made:
    st.success("Your new token is below. Copy it now (the button at its right): it is shown "
               "this once and cannot be shown again.", icon=":material/key:")
    st.code(made, language=None)

tokens = list_tokens(engine(), me.name)
if tokens:
    st.dataframe(pd.DataFrame([{
        "token": t.id, "for": t.label, "created": _when(t.created_at),
        "last used": _when(t.last_used_at), "revoked": _when(t.revoked_at)} for t in tokens]),
        hide_index=True, width="stretch")
    active = {t.id: f"{t.id} · {t.label or 'no label'}" for t in tokens if t.revoked_at is None}
    if active:
        with st.form("revoke_token"), show_user_errors():
            chosen = st.selectbox("Token", list(active), format_func=active.__getitem__,
                                  key=REVOKE)
            if st.form_submit_button("Revoke it") and chosen is not None:
                revoke_token(engine(), int(chosen), actor=me, name=me.name)
                forget_all()  # this process stops accepting it at once (others within 10 s)
                st.rerun()
else:
    st.caption("You have no API token.")

st.subheader("Password", anchor=False)
if not account.has_password:
    st.caption("You sign in through your organisation (OpenID Connect): no password here.")
else:
    with st.form("password", clear_on_submit=True), show_user_errors():
        old = st.text_input("Current password", type="password", autocomplete="current-password")
        new = st.text_input("New password", type="password", autocomplete="new-password")
        again = st.text_input("New password again", type="password",
                              autocomplete="new-password")
        if st.form_submit_button("Change the password"):
            if new != again:
                st.error("The two new passwords differ: type the same one twice.")
            # Not a sign-in (no audit row), but the attempt limit holds: TooManyAttempts
            # is shown by show_user_errors.
            elif not verify_password(engine(), me.name, old, me.address):
                st.error("The current password is wrong.")
            else:
                secret = page_session_secret()
                set_password(engine(), me.name, new, actor=me, keep_session=secret)
                st.success("Your password is changed. Your other browsers are signed out.")
