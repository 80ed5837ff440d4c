"""Shared links to the pages (``/timeline?site=…``, ``/portfolio``, ``/map?commodity=Li``…)
work as the first visit, also of a server that has just started.

Three Streamlit behaviours stood in the way; each is worked around here:

- Its frontend finds the server from the page's URL: opened at ``/timeline``, it first asks
  ``/timeline/_stcore/health`` and ``/timeline/_stcore/host-config`` (two 404s in the
  console, streamlit/streamlit#7074), then the root. No answer there would help: a 200 would
  make ``/timeline`` the app's root, and the page asked for the default one. So
  :class:`PageLinks` tells the frontend the root in the page's HTML
  (``window.__streamlit.BACKEND_BASE_URL``, which it reads before asking anything): it asks
  the root only.
- The default page is served at "/" whatever its ``url_path`` (``st.Page.url_path`` is ""
  for it), so ``/map`` would show "Page not found": :class:`PageLinks` sends it on to "/"
  with its query.
- ``mapping/main.py`` has a ``pages/`` folder beside it, so Streamlit's
  ``PagesManager.uses_pages_directory`` is true until ``st.navigation`` first runs: the first
  script run of a process follows the old ``pages/`` convention, finds no page "timeline"
  there and shows "Page not found" over the right page (streamlit/streamlit#8860).
  :func:`navigation_only` clears it when the server starts (``routes.lifespan``).

Only Streamlit's own page (its ``index.html``, which it serves for any path it has no route
for) is changed, and only at a path of one segment: ``/signin``, the API and a 404 pass as
they are.

>>> is_page_request({"type": "http", "method": "GET", "path": "/timeline"})
True
>>> [is_page_request({"type": "http", "method": "GET", "path": p})
...  for p in ("/", "/favicon.png", "/_stcore/health", "/app/static/x.js")]
[False, False, False, False]
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The url_path main.py gives the default page, which Streamlit serves at "/".
DEFAULT_PAGE_PATH = "map"
#: Run before Streamlit's scripts: the app's root, for a page one segment below it.
FIND_SERVER = (b'<script>window.__streamlit = '
               b'{BACKEND_BASE_URL: window.location.origin + "/"};</script>')
#: Asked of Streamlit without these, so that its page comes whole, uncompressed, every time.
DROPPED_HEADERS = frozenset({b"accept-encoding", b"if-none-match", b"if-modified-since",
                             b"range"})
_PAGE_PATH = re.compile(r"/[^/._][^/.]*")


class PageLinks:
    """Pure ASGI middleware: Streamlit's page HTML at ``/<page>`` knows the app's root, and
    ``/map?…`` goes to ``/?…`` (307: temporary, never cached for good). A HEAD is answered
    as the GET would be, without the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_page_request(scope):
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in DROPPED_HEADERS]
        asked = {**scope, "method": "GET", "headers": headers}
        out = _bodiless(send) if scope["method"] == "HEAD" else send
        await self.app(asked, receive, _rewriting(scope, out))


def is_page_request(scope: Scope) -> bool:
    """A GET or HEAD of a path one segment deep that names no file (``/timeline``, not
    ``/x.png``)."""
    return (scope["type"] == "http" and scope["method"] in ("GET", "HEAD")
            and _PAGE_PATH.fullmatch(scope["path"]) is not None)


def navigation_only() -> None:
    """Route every script run through ``st.navigation`` from the first one on, as Streamlit
    does itself once ``st.navigation`` has run in the process."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def _rewriting(scope: Scope, send: Send) -> Send:
    """``send``, holding back an HTML answer until it is whole to see whether it is
    Streamlit's page."""
    held: list[Message] = []
    chunks: list[bytes] = []

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            if message["status"] == 200 and _is_html(message):
                held.append(message)
                return
        elif held and message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _answer(scope, held[0], b"".join(chunks), send)
            return
        await send(message)

    return sending


async def _answer(scope: Scope, start: Message, body: bytes, send: Send) -> None:
    if body != _streamlit_page():
        await send(start)
        await send({"type": "http.response.body", "body": body})
        return
    if scope["path"] == f"/{DEFAULT_PAGE_PATH}":
        query = scope.get("query_string", b"")
        location = b"/" + (b"?" + query if query else b"")
        await send({"type": "http.response.start", "status": 307, "headers": [
            (b"location", location), (b"cache-control", b"no-store"), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
        return
    page = _page_with_root()
    kept = [(k, v) for k, v in start["headers"]
            if k.lower() not in (b"content-length", b"etag", b"last-modified")]
    await send({**start, "headers": [*kept, (b"content-length", str(len(page)).encode())]})
    await send({"type": "http.response.body", "body": page})


def _bodiless(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return sending


def _is_html(start: Message) -> bool:
    return any(k.lower() == b"content-type" and v.startswith(b"text/html")
               for k, v in start.get("headers", []))


@cache
def _streamlit_page() -> bytes:
    from streamlit import file_util

    return (Path(file_util.get_static_dir()) / "index.html").read_bytes()


@cache
def _page_with_root() -> bytes:
    page = _streamlit_page()
    if b"<head>" not in page:
        raise RuntimeError("Streamlit's index.html has no <head>: its page changed; see "
                           "mapping/web/page_urls.py")
    return page.replace(b"<head>", b"<head>\n    " + FIND_SERVER, 1)
