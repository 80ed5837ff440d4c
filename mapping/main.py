"""Page router: the map first, then the permitting pages, the data page and the account.

Who is asking decides what is offered: the upload page needs a role that may upload, the
account page someone signed in, the admin page (when it is there) an admin. Hiding a page is
for the eye only; the services refuse what the role does not allow. A browser that is not
signed in never gets here (the middleware sends it to /signin); a session that ends while a
page is open gets a link to sign in again.
"""

from pathlib import Path
from urllib.parse import quote, urlsplit

import streamlit as st

from domain.access import Action, NotSignedIn, Principal
from domain.i18n import ENGLISH, LANGUAGE_NAMES, LANGUAGES, language_from, set_language, tr
from mapping import state_keys as keys
from mapping.access_state import OPEN_BANNER, current_principal
from mapping.page_errors import show_user_errors
from mapping.web.page_urls import DEFAULT_PAGE_PATH

HERE = Path(__file__).resolve().parent
#: Written by another part of issue 15; offered to admins as soon as the file exists.
ADMIN_PAGE = HERE / "pages" / "admin_page.py"

# No page icons: Streamlit fetches a material icon used as favicon from a font CDN, and an
# emoji needs an emoji font that offline machines often lack.
st.set_page_config(page_title="permitmap", layout="wide")


def pages_for(principal: Principal) -> list[st.Page]:
    """The pages this principal is offered."""
    pages = [
        # Streamlit serves the default page at "/" whatever its url_path; a link to /map is
        # sent there by mapping/web/page_urls.py.
        st.Page("pages/map_page.py", title=tr("Map"), default=True,
                url_path=DEFAULT_PAGE_PATH),
        st.Page("pages/timeline_page.py", title=tr("Site timeline"), url_path="timeline"),
        st.Page("pages/portfolio_page.py", title=tr("Portfolio"), url_path="portfolio"),
        st.Page("pages/alerts_page.py", title=tr("Alerts"), url_path="alerts"),
        st.Page("pages/chokepoints_page.py", title=tr("Chokepoints"), url_path="chokepoints"),
        st.Page("pages/crosswalk_page.py", title=tr("Cross-walk"), url_path="crosswalk"),
        st.Page("pages/layers_page.py", title=tr("Survey layers"), url_path="layers"),
    ]
    if principal.may(Action.UPLOAD_LAYER):
        pages.append(st.Page("pages/upload_page.py", title=tr("Upload a layer"),
                             url_path="upload"))
    pages.append(st.Page("pages/data_page.py", title=tr("Data and sources"), url_path="data"))
    if principal.kind in ("account", "oidc"):
        pages.append(st.Page("pages/account_page.py", title=tr("Your account"),
                             url_path="account"))
    if principal.may(Action.MANAGE_ACCOUNTS) and principal.kind != "open" and ADMIN_PAGE.is_file():
        pages.append(st.Page(str(ADMIN_PAGE), title=tr("Accounts and audit"), url_path="admin"))
    return pages


def choose_language() -> None:
    """The interface's language: the switch at the top of the sidebar, first taken from the
    link (``?lang=ja``) and kept in it, so a shared link opens in the same language."""
    state = st.session_state
    if state.get(keys.LANGUAGE) not in LANGUAGES:
        state[keys.LANGUAGE] = language_from(st.query_params.get(keys.LANG_PARAM))
    current = state[keys.LANGUAGE]
    set_language(current)
    picked = st.sidebar.segmented_control(
        tr("Language"), LANGUAGES, format_func=LANGUAGE_NAMES.__getitem__, key=keys.LANGUAGE,
        label_visibility="collapsed", required=True)
    # A run that gets no value back from the switch (a rerun started by the page itself can,
    # in Streamlit's test runner) keeps the language it began with, and the link keeps it too.
    chosen = picked if picked in LANGUAGES else current
    if chosen != ENGLISH:
        st.query_params[keys.LANG_PARAM] = chosen
    elif keys.LANG_PARAM in st.query_params:
        del st.query_params[keys.LANG_PARAM]


def show_who(principal: Principal) -> None:
    """The sidebar's note of who is signed in, and the way out (or in)."""
    with st.sidebar:
        if principal.kind == "open":
            st.caption(tr("Open access: no accounts yet."))
        elif principal.kind == "anonymous":
            st.caption(tr("Not signed in: public data only."))
            _link(tr("Sign in"), _sign_in_url())
        else:
            st.caption(tr("Signed in as **{name}** · {role} · clearance {clearance}").format(
                name=principal.name, role=principal.role, clearance=principal.clearance))
            _link(tr("Sign out"), "/signout")


def _link(label: str, url: str) -> None:
    # A plain link in this tab (st.link_button opens a new one): the sign-in and sign-out
    # pages are served beside Streamlit, not by it.
    st.markdown(f'<a href="{url}" target="_self">{label}</a>', unsafe_allow_html=True)


def _sign_in_url() -> str:
    """/signin, coming back to this page afterwards."""
    parts = urlsplit(st.context.url or "/")
    here = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"/signin?next={quote(here, safe='')}"


choose_language()
with show_user_errors():
    try:
        who = current_principal()
    except NotSignedIn:
        st.info(tr("You are signed out (the session ended or was ended elsewhere)."))
        _link(tr("Sign in again"), _sign_in_url())
        st.stop()
    if who.kind == "open":  # in the sidebar, on every page: the map keeps the window
        st.sidebar.warning(tr(OPEN_BANNER), icon=":material/lock_open:")
    show_who(who)
    page = st.navigation(pages_for(who))
    # which page ran before this one: the map tells the back button from the page list
    st.session_state[keys.PREVIOUS_PAGE] = st.session_state.get(keys.CURRENT_PAGE)
    st.session_state[keys.CURRENT_PAGE] = page.url_path
    page.run()
