"""The HTTP gate: every request but the sign-in page, the health checks and the sign-in
page's needs must come from someone (once the store has an account). Passed to ``st.App``
as middleware, so it covers Streamlit's own page HTML, its scripts, its WebSocket
(``/_stcore/stream``), uploads, media and components, not only our routes.

Refused: a browser asking for a page is sent to ``/signin?next=…``; anything else
(``/api/*``, ``/tiles/*``, Streamlit's internals) gets 401 JSON in words; a WebSocket is
closed before it opens. Every HTTP response gets the security headers of :data:`HEADERS`.

Cost per request: a path check, then the principal from the per-process caches of
:mod:`mapping.access_state` on the event loop; only a cache miss (every 2 s for the account
count, every 10 s per session or token) queries the store, in a worker thread.

>>> is_public("/signin"), is_public("/api/health"), is_public("/api/deposits")
(True, True, False)
>>> wants_page({"method": "GET", "path": "/timeline",
...             "headers": [(b"accept", b"text/html,*/*")]})
True
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.access import NotSignedIn, Principal
from domain.errors import PermitmapError
from domain.i18n import LANG_PARAM, language_from, set_language
from mapping.access_state import (
    CacheMiss,
    client_address,
    credentials_of,
    request_principal,
    resolve,
)
from mapping.web.status_codes import status_of

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: Where the principal of a request is kept for the routes (``request.scope[PRINCIPAL]``).
PRINCIPAL = "permitmap.principal"
SIGN_IN = "/signin"
SIGN_OUT = "/signout"
#: Answered without anyone signed in. The sign-in page is one self-contained HTML page
#: (inline style, no script, no font, no image), so it needs nothing else. Streamlit's
#: OpenID Connect routes are the seam for signing in through a provider.
PUBLIC_PATHS = frozenset({
    SIGN_IN, SIGN_OUT, "/signin/oidc", "/api/health", "/_stcore/health",
    "/_stcore/host-config", "/auth/login", "/auth/logout", "/oauth2callback",
})
#: Paths that never answer with a page: refused as 401 JSON, not sent to the sign-in page.
API_PREFIXES = ("/api/", "/tiles/")
HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    # SAMEORIGIN, not DENY: the map is a component in an iframe of this same origin.
    (b"x-frame-options", b"SAMEORIGIN"),
)

_ready: dict[tuple[str | None, ...], Engine] = {}  # the store per configuration, once opened


class AccessMiddleware:
    """Pure ASGI (WebSockets pass through it too; no response buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if kind == "http":
            send = _with_headers(send)
            # a refusal below (and the routes' messages) in the language the URL asks for
            set_language(language_from(_query_lang(scope)))
        if is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        try:
            principal = await _principal(scope)
        except NotSignedIn as exc:
            await _refuse(scope, receive, send, str(exc), 401)
            return
        except PermitmapError as exc:  # the store cannot be used: say so, in words
            await _refuse(scope, receive, send, str(exc), status_of(exc))
            return
        scope[PRINCIPAL] = principal
        await self.app(scope, receive, send)


def _query_lang(scope: Scope) -> str | None:
    """The language parameter of the request's URL (:data:`domain.i18n.LANG_PARAM`), if any."""
    query = scope.get("query_string", b"").decode("latin-1")
    return (parse_qs(query).get(LANG_PARAM) or [None])[0] if LANG_PARAM in query else None


def is_public(path: str) -> bool:
    """Whether ``path`` is answered without anyone signed in."""
    return path in PUBLIC_PATHS


def wants_page(scope: Scope) -> bool:
    """A browser navigating to a page (GET or HEAD accepting HTML, not an API path)."""
    if scope["method"] not in ("GET", "HEAD") or scope["path"].startswith(API_PREFIXES):
        return False
    headers = Headers(scope=scope)
    return "text/html" in headers.get("accept", "") or headers.get("sec-fetch-mode") == "navigate"


def sign_in_location(scope: Scope) -> str:
    """``/signin?next=<this path and query>``."""
    query = scope.get("query_string", b"").decode("latin-1")
    here = scope["path"] + (f"?{query}" if query else "")
    return f"{SIGN_IN}?next={quote(here, safe='')}"


async def _principal(scope: Scope) -> Principal:
    headers = Headers(scope=scope)
    creds = credentials_of(headers, scope.get("query_string", b"").decode("latin-1"),
                           _cookies(headers))
    key = _store_key()
    eng = _ready.get(key)
    if eng is not None:
        try:
            found = resolve(eng, creds, cached_only=True)
        except CacheMiss:
            pass
        else:  # the address, for the audit rows of what this request does
            client = scope.get("client")
            return replace(found, address=client_address(client[0] if client else "", headers))
    return await run_in_threadpool(_resolve_slow, key, scope)


def _resolve_slow(key: tuple[str | None, ...], scope: Scope) -> Principal:
    from mapping.store_access import engine

    _ready[key] = engine()
    return request_principal(HTTPConnection(scope))  # a WebSocket too (not a Request)


def _store_key() -> tuple[str | None, ...]:
    """Which store the settings name (tests change them between apps); cheaper than
    reading the settings on every request."""
    env = os.environ
    return (env.get("DATABASE_URL"), env.get("PERMITMAP_DB_PATH"),
            env.get("PERMITMAP_DATA_DIR"))


def _cookies(headers: Headers) -> dict[str, str]:
    from starlette.requests import cookie_parser

    raw = headers.get("cookie")
    return cookie_parser(raw) if raw else {}


async def _refuse(scope: Scope, receive: Receive, send: Send, message: str,
                  status: int) -> None:
    if scope["type"] == "websocket":
        await receive()  # websocket.connect; closing before accepting answers 403
        await send({"type": "websocket.close", "code": 1008, "reason": "sign in first"})
        return
    if status == 401 and wants_page(scope):
        await _respond(send, 303, b"", [(b"location", sign_in_location(scope).encode()),
                                        (b"cache-control", b"no-store")])
        return
    body = json.dumps({"error": message, "status": status}).encode()
    extra = [(b"www-authenticate", b'Bearer realm="permitmap"')] if status == 401 else []
    await _respond(send, status, body, [(b"content-type", b"application/json"),
                                        (b"cache-control", b"no-store"), *extra])


async def _respond(send: Send, status: int, body: bytes,
                   headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _with_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers: list[Any] = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            headers += [h for h in HEADERS if h[0] not in present]
            message = {**message, "headers": headers}
        await send(message)

    return sending
