"""Who is asking, for pages and for HTTP routes: open access while the store has no account,
else the account of a session cookie or an API token, else the anonymous public view (when
an admin allows it), else nobody (:class:`NotSignedIn`: the sign-in page, or 401 JSON).

Lookups are cached per process: whether the store has accounts (and allows the anonymous
view) for :data:`MODE_SECONDS`, the account of a session secret or token for
:data:`SECRET_SECONDS`. A page rerun or a map's tile requests then cost no query, and a
sign-out, a disabled account or a revoked token elsewhere take effect within that time (at
once in the process that signed out: :func:`forget`).

OpenID Connect: Streamlit's ``st.login`` ends by setting its signed identity cookie
``_streamlit_user`` (the claims the provider vouched for). The sign-in page
(:mod:`mapping.web.auth_routes`) checks that cookie once, maps the claims to a role by the
settings file, and records it in the store as a session of the person's account; from then
on the cookie's value works like our own session secret (:func:`oidc_secret`), for pages and
routes alike, cached the same way. A cookie the store does not know is sent to the sign-in
page to be finished or refused, never taken as the anonymous view.

>>> credentials_of({"authorization": "Bearer pm_abc"}, "", {}).token
'pm_abc'
>>> client_address("127.0.0.1", {"x-forwarded-for": "10.0.0.9, 192.0.2.7"})
'192.0.2.7'
>>> client_address("192.0.2.50", {"x-forwarded-for": "10.0.0.9"})
'192.0.2.50'
>>> from starlette.datastructures import Headers
>>> client_address("127.0.0.1", Headers(raw=[(b"x-forwarded-for", b"6.6.6.6"),
...                                           (b"x-forwarded-for", b"192.0.2.7")]))
'192.0.2.7'
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from domain.access import ANONYMOUS, OPEN_ACCESS, NotSignedIn, Principal
from domain.i18n import N_, tr

if TYPE_CHECKING:  # the store's modules (SQLAlchemy, pandas) load on the first lookup, so
    from sqlalchemy import Engine  # the server starts without them (see mapping.web.routes)

SESSION_COOKIE = "permitmap_session"
#: Streamlit's signed cookie of a person signed in through OpenID Connect (``st.login``).
OIDC_COOKIE = "_streamlit_user"
#: store_meta key an admin sets to "on" to let visitors who are not signed in see public data.
ANONYMOUS_VIEW_KEY = "anonymous_view"
#: How long "the store has N accounts" is trusted: another process may add the first one.
MODE_SECONDS = 2.0
#: How long the account of a session secret or token is trusted.
SECRET_SECONDS = 10.0
#: Proxies whose X-Forwarded-For is believed (HAProxy runs on the same machine).
TRUSTED_PROXIES = frozenset({"127.0.0.1", "::1"})

OPEN_BANNER = N_("No accounts yet: anyone who can reach this address can change the data. "
               "Create the first admin with `permitmap users add NAME --role admin`.")
#: Shown with tr, where raised.
SIGN_IN_FIRST = N_("Sign in first: this address needs a signed-in person or a personal API "
                   "token (header `Authorization: Bearer pm_…`, created on your account page).")
REFUSED_KEY = N_("This API token is not valid: it was revoked, mistyped, or its account is "
                 "disabled. Create a new one on your account page.")


@dataclass(frozen=True)
class Credentials:
    """What a request carries: an API token, a session secret and Streamlit's OpenID
    Connect cookie (:func:`oidc_secret`), each empty when absent."""

    token: str = ""
    session: str = ""
    oidc: str = ""


@dataclass(frozen=True)
class AccessMode:
    """What the store says about access: how many accounts, whether anonymous view is on."""

    accounts: int
    anonymous_view: bool


class CacheMiss(Exception):
    """A cache-only lookup needs the store."""


class _TimedCache:
    """A dict whose entries expire; small, thread-safe enough (one lock for writes)."""

    def __init__(self, seconds: float, most: int = 4096) -> None:
        self.seconds = seconds
        self.most = most
        self._items: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        """The value, or raise CacheMiss when absent or expired."""
        found = self._items.get(key)
        if found is None or found[0] < _clock():
            raise CacheMiss
        return found[1]

    def put(self, key: Any, value: Any) -> None:
        now = _clock()
        with self._lock:
            if len(self._items) >= self.most:
                self._items = {k: v for k, v in self._items.items() if v[0] >= now}
                if len(self._items) >= self.most:
                    self._items.clear()
            self._items[key] = (now + self.seconds, value)

    def drop(self, key: Any) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _clock() -> float:
    """Seconds on a clock that only goes forward (tests move it on)."""
    return time.monotonic()


_modes = _TimedCache(MODE_SECONDS)
_secrets = _TimedCache(SECRET_SECONDS)


# --- for pages ---------------------------------------------------------------------------


def current_principal() -> Principal:
    """Who the page is for (``st.context.cookies``); NotSignedIn when nobody and the
    deployment needs someone."""
    import streamlit as st

    from mapping.store_access import engine

    cookies = st.context.cookies
    creds = credentials_of({}, "", {name: cookies[name] for name in cookies})
    return replace(resolve(engine(), creds), address=page_address())


def page_session_secret() -> str:
    """The page's session secret (to keep this session when its owner changes password)."""
    import streamlit as st

    secret = st.context.cookies.get(SESSION_COOKIE)
    return secret if isinstance(secret, str) else ""  # none where no browser is behind


def page_address() -> str:
    """The page's client address, as :func:`client_address` reads it."""
    import streamlit as st

    peer = st.context.ip_address
    # Not a text where there is no browser behind the page (Streamlit's AppTest).
    return client_address(peer if isinstance(peer, str) else "", st.context.headers)


# --- for routes and the middleware -------------------------------------------------------


def request_principal(request: Any) -> Principal:
    """Who a Starlette request is from (token, cookie, open access, anonymous view);
    NotSignedIn otherwise. Queries the store on a cache miss: call from a thread."""
    from mapping.store_access import engine

    who = resolve(engine(), credentials_of(request.headers, request.url.query,
                                           request.cookies))
    peer = request.client.host if request.client else ""
    return replace(who, address=client_address(peer, request.headers))


def credentials_of(headers: Mapping[str, str], query: str,
                   cookies: Mapping[str, str]) -> Credentials:
    """The token (``Authorization: Bearer …``, else ``?token=``) and session cookie."""
    token = ""
    scheme, _, value = (headers.get("authorization") or "").strip().partition(" ")
    if scheme.lower() == "bearer":
        token = value.strip()
    elif query and "token=" in query:
        token = (parse_qs(query).get("token") or [""])[0].strip()
    return Credentials(token=token, session=(cookies.get(SESSION_COOKIE) or "").strip(),
                       oidc=oidc_secret(cookies))


def oidc_secret(cookies: Mapping[str, str]) -> str:
    """Streamlit's identity cookie as one secret: its value and those of its chunks (a
    large one is split into ``_streamlit_user_1``, ``_2``…), "" when absent.

    >>> oidc_secret({"_streamlit_user": "chunks-2", "_streamlit_user_2": "b",
    ...              "_streamlit_user_1": "a", "_streamlit_user_tokens": "t"})
    'chunks-2|a|b'
    """
    main = (cookies.get(OIDC_COOKIE) or "").strip()
    if not main:
        return ""
    prefix = OIDC_COOKIE + "_"
    chunks = sorted((int(name[len(prefix):]), value) for name, value in cookies.items()
                    if name.startswith(prefix) and name[len(prefix):].isdigit())
    return "|".join([main, *(value for _, value in chunks)])


def client_address(peer: str, headers: Any) -> str:
    """The client's address: the last X-Forwarded-For entry (the one our proxy added; a
    client may send its own, which come before it) when the request comes from a trusted
    proxy on this machine, else the peer's address. ``headers``: Starlette's, Streamlit's
    (several lines of one header are all read) or a plain mapping."""
    if peer not in TRUSTED_PROXIES:
        return peer[:80]
    lines = (headers.getlist("x-forwarded-for") if hasattr(headers, "getlist")
             else headers.get_all("x-forwarded-for") if hasattr(headers, "get_all")
             else [headers.get("x-forwarded-for") or ""])
    entries = [e.strip() for line in lines for e in line.split(",") if e.strip()]
    return entries[-1][:80] if entries else peer[:80]


def resolve(eng: Engine, creds: Credentials, *, cached_only: bool = False) -> Principal:
    """The principal behind ``creds`` on the store ``eng``.

    Order: no account in the store → open access; a token → its account (a bad token is
    refused, never downgraded to anonymous); a session → its account; the OpenID Connect
    cookie → its account (one the store does not know: NotSignedIn, so the sign-in page
    finishes or refuses it); the anonymous view if on; else NotSignedIn. With
    ``cached_only``, raises ``CacheMiss`` instead of querying (the middleware's fast path
    on the event loop).
    """
    mode = _mode(eng, cached_only)
    if mode.accounts == 0:
        return OPEN_ACCESS
    if creds.token:
        found = _lookup(eng, "token", creds.token, cached_only)
        if found is None:
            raise NotSignedIn(tr(REFUSED_KEY))
        return found
    if creds.session:
        found = _lookup(eng, "session", creds.session, cached_only)
        if found is not None:
            return found
    if creds.oidc:
        found = _lookup(eng, "oidc", creds.oidc, cached_only)
        if found is not None:
            return found
        raise NotSignedIn(tr(SIGN_IN_FIRST))
    if mode.anonymous_view:
        return ANONYMOUS
    raise NotSignedIn(tr(SIGN_IN_FIRST))


def access_mode(eng: Engine) -> AccessMode:
    """Accounts and anonymous view of the store (cached :data:`MODE_SECONDS`)."""
    return _mode(eng, False)


def forget(secret: str) -> None:
    """Drop a session secret or token from this process's cache (sign-out, revocation)."""
    digest = _digest(secret)
    for key in [k for k in list(_secrets._items) if k[2] == digest]:
        _secrets.drop(key)


def forget_all() -> None:
    """Empty every cache (tests; an admin's change that must show at once)."""
    _modes.clear()
    _secrets.clear()


# --- helpers -----------------------------------------------------------------------------


def _mode(eng: Engine, cached_only: bool) -> AccessMode:
    key = id(eng)
    try:
        mode: AccessMode = _modes.get(key)
        return mode
    except CacheMiss:
        if cached_only:
            raise
    from sqlalchemy.orm import Session

    from store.accounts import account_count
    from store.db import get_meta

    with Session(eng) as session:
        anonymous = (get_meta(session, ANONYMOUS_VIEW_KEY) or "").strip().lower() == "on"
    mode = AccessMode(account_count(eng), anonymous)
    _modes.put(key, mode)
    return mode


def _lookup(eng: Engine, kind: str, secret: str, cached_only: bool) -> Principal | None:
    key = (id(eng), kind, _digest(secret))
    try:
        found: Principal | None = _secrets.get(key)
        return found
    except CacheMiss:
        if cached_only:
            raise
    from store.accounts import principal_of, session_account, token_account

    if kind == "token":
        info = token_account(eng, secret)
        found = principal_of(info, "token") if info is not None else None
    else:  # our session cookie, or Streamlit's identity cookie of an OpenID Connect sign-in
        info = session_account(eng, secret)
        found = principal_of(info, "oidc" if kind == "oidc" else "account") \
            if info is not None else None
    if found is not None or kind != "oidc":  # an unknown identity cookie is about to be
        _secrets.put(key, found)              # made a session by the sign-in page
    return found


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
