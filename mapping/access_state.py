"""Who is asking, for pages and for HTTP routes: open access while the store has no account,
else the account of a session cookie or an API token, else the anonymous public view (when
an admin allows it), else nobody (:class:`NotSignedIn`: the sign-in page, or 401 JSON).

Lookups are cached per process: whether the store has accounts (and allows the anonymous
view) for :data:`MODE_SECONDS`, the account of a session secret or token for
:data:`SECRET_SECONDS`. A page rerun or a map's tile requests then cost no query, and a
sign-out, a disabled account or a revoked token elsewhere take effect within that time (at
once in the process that signed out: :func:`forget`).

OpenID Connect comes later: :func:`_oidc_page_principal` and :func:`_oidc_request_principal`
are where Streamlit's ``st.user`` (pages) and its signed ``_streamlit_user`` cookie (routes)
will be mapped to an account by the settings file; both answer None until then. They are
asked only when that cookie came (``Credentials.oidc``) and no session or token answered;
the middleware's fast path then hands the request to a thread (their answer is not cached).

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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from domain.access import ANONYMOUS, OPEN_ACCESS, NotSignedIn, Principal

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

OPEN_BANNER = ("No accounts yet: anyone who can reach this address can change the data. "
               "Create the first admin with `permitmap users add NAME --role admin`.")
SIGN_IN_FIRST = ("Sign in first: this address needs a signed-in person or a personal API "
                 "token (header `Authorization: Bearer pm_…`, created on your account page).")
REFUSED_KEY = ("This API token is not valid: it was revoked, mistyped, or its account is "
               "disabled. Create a new one on your account page.")


@dataclass(frozen=True)
class Credentials:
    """What a request carries: an API token and/or a session secret (empty when absent),
    and whether Streamlit's OpenID Connect cookie came too."""

    token: str = ""
    session: str = ""
    oidc: bool = False


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
    return resolve(engine(), creds, oidc=_oidc_page_principal)


def page_session_secret() -> str:
    """The page's session secret (to keep this session when its owner changes password)."""
    import streamlit as st

    return st.context.cookies.get(SESSION_COOKIE) or ""


def page_address() -> str:
    """The page's client address, as :func:`client_address` reads it."""
    import streamlit as st

    return client_address(st.context.ip_address or "", st.context.headers)


# --- for routes and the middleware -------------------------------------------------------


def request_principal(request: Any) -> Principal:
    """Who a Starlette request is from (token, cookie, open access, anonymous view);
    NotSignedIn otherwise. Queries the store on a cache miss: call from a thread."""
    from mapping.store_access import engine

    return resolve(engine(), credentials_of(request.headers, request.url.query,
                                            request.cookies),
                   oidc=lambda _eng: _oidc_request_principal(_eng, request))


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
                       oidc=any(name.startswith(OIDC_COOKIE) for name in cookies))


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


def resolve(eng: Engine, creds: Credentials, *, oidc: Any = None,
            cached_only: bool = False) -> Principal:
    """The principal behind ``creds`` on the store ``eng``.

    Order: no account in the store → open access; a token → its account (a bad token is
    refused, never downgraded to anonymous); a session → its account; OpenID Connect;
    the anonymous view if on; else NotSignedIn. With ``cached_only``, raises ``CacheMiss``
    instead of querying (the middleware's fast path on the event loop).
    """
    mode = _mode(eng, cached_only)
    if mode.accounts == 0:
        return OPEN_ACCESS
    if creds.token:
        found = _lookup(eng, "token", creds.token, cached_only)
        if found is None:
            raise NotSignedIn(REFUSED_KEY)
        return found
    if creds.session:
        found = _lookup(eng, "session", creds.session, cached_only)
        if found is not None:
            return found
    if oidc is not None and creds.oidc:
        if cached_only:
            raise CacheMiss  # the provider's answer is not cached here
        found = oidc(eng)
        if found is not None:
            return found
    if mode.anonymous_view:
        return ANONYMOUS
    raise NotSignedIn(SIGN_IN_FIRST)


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


# --- the seam for OpenID Connect ---------------------------------------------------------


def _oidc_page_principal(_eng: Engine) -> Principal | None:
    """The account of Streamlit's OpenID Connect user (``st.user``), mapped by the settings
    file (e-mail domain or group claim → role). Not wired yet: None."""
    return None


def _oidc_request_principal(_eng: Engine, _request: Any) -> Principal | None:
    """The same for an HTTP request (Streamlit's signed ``_streamlit_user`` cookie). Not
    wired yet: None."""
    return None


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
    else:
        info = session_account(eng, secret)
        found = principal_of(info) if info is not None else None
    _secrets.put(key, found)
    return found


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
