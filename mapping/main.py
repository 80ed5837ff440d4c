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
        st.Page("pages/map_page.py", title="Map", default=True, url_path=DEFAULT_PAGE_PATH),
        st.Page("pages/timeline_page.py", title="Site timeline", url_path="timeline"),
        st.Page("pages/portfolio_page.py", title="Portfolio", url_path="portfolio"),
        st.Page("pages/alerts_page.py", title="Alerts", url_path="alerts"),
        st.Page("pages/chokepoints_page.py", title="Chokepoints", url_path="chokepoints"),
        st.Page("pages/crosswalk_page.py", title="Cross-walk", url_path="crosswalk"),
        st.Page("pages/layers_page.py", title="Survey layers", url_path="layers"),
    ]
    if principal.may(Action.UPLOAD_LAYER):
        pages.append(st.Page("pages/upload_page.py", title="Upload a layer", url_path="upload"))
    pages.append(st.Page("pages/data_page.py", title="Data and sources", url_path="data"))
    if principal.kind in ("account", "oidc"):
        pages.append(st.Page("pages/account_page.py", title="Your account", url_path="account"))
    if principal.may(Action.MANAGE_ACCOUNTS) and principal.kind != "open" and ADMIN_PAGE.is_file():
        pages.append(st.Page(str(ADMIN_PAGE), title="Accounts and audit", url_path="admin"))
    return pages


def show_who(principal: Principal) -> None:
    """The sidebar's note of who is signed in, and the way out (or in)."""
    with st.sidebar:
        if principal.kind == "open":
            st.caption("Open access: no accounts yet.")
        elif principal.kind == "anonymous":
            st.caption("Not signed in: public data only.")
            _link("Sign in", _sign_in_url())
        else:
            st.caption(f"Signed in as **{principal.name}** · {principal.role} · "
                       f"clearance {principal.clearance}")
            _link("Sign out", "/signout")


def _link(label: str, url: str) -> None:
    # A plain link in this tab (st.link_button opens a new one): the sign-in and sign-out
    # pages are served beside Streamlit, not by it.
    st.markdown(f'<a href="{url}" target="_self">{label}</a>', unsafe_allow_html=True)


def _sign_in_url() -> str:
    """/signin, coming back to this page afterwards."""
    parts = urlsplit(st.context.url or "/")
    here = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"/signin?next={quote(here, safe='')}"


with show_user_errors():
    try:
        who = current_principal()
    except NotSignedIn:
        st.info("You are signed out (the session ended or was ended elsewhere).")
        _link("Sign in again", _sign_in_url())
        st.stop()
    if who.kind == "open":  # in the sidebar, on every page: the map keeps the window
        st.sidebar.warning(OPEN_BANNER, icon=":material/lock_open:")
    show_who(who)
    page = st.navigation(pages_for(who))
    # which page ran before this one: the map tells the back button from the page list
    st.session_state[keys.PREVIOUS_PAGE] = st.session_state.get(keys.CURRENT_PAGE)
    st.session_state[keys.CURRENT_PAGE] = page.url_path
    page.run()
