"""The sign-in page and sign-out: plain HTML forms, outside Streamlit.

``GET /signin`` shows the form; ``POST /signin`` checks name and password
(:func:`store.accounts.check_password`, rate-limited per account and address), starts a
session and sets the ``permitmap_session`` cookie (HttpOnly, SameSite=Lax, Secure over
https, as long as the session lasts), then goes to ``next`` (a path on this site only).
``GET /signout`` asks to confirm; ``POST /signout`` ends the session in the store (every
process) and clears the cookie.

OpenID Connect, when the file named by ``PERMITMAP_OIDC_FILE`` configures it: the page also
offers "Sign in with <provider>" (``GET /signin/oidc``: on to Streamlit's ``/auth/login``,
``st.login``'s route, remembering ``next`` in a short cookie). The provider sends the browser
back through Streamlit's ``/oauth2callback``, which sets the signed identity cookie
``_streamlit_user``; the gate then sends it here, where a cookie signed in the last
:data:`FRESH_MINUTES` is finished: the claims get the role of the first matching rule, and
the account (:func:`account_name`: the verified e-mail address, else the provider's host and
subject; made on the first sign-in, without a password) a session in the store keyed by that
cookie. No rule, an account with a password (never taken over) or a disabled one: the page
says so in words (recorded as a failed sign-in) and the identity cookie is cleared. Sign-out
ends that session too, then goes through Streamlit's ``/auth/logout`` (``st.logout``'s route:
the provider's own sign-out).

Both forms carry a CSRF token: a random value in a cookie (``permitmap_csrf``, SameSite
Strict) and the same value in a hidden field; a POST without both, or with an ``Origin`` of
another site, is refused (403). The page is self-contained: inline style, no script, no
font or image, nothing from another address.

The pages are in English or Japanese (:func:`page_language`): ``?lang=`` on the request, else
the ``lang`` of the page asked for (``next``), else the browser's Accept-Language. The links
and forms between these pages keep a chosen language, and so does the page signed in to.

>>> safe_next("/timeline?site=us-stibnite"), safe_next("//evil.example/x"), safe_next("https://x")
('/timeline?site=us-stibnite', '/', '/')
"""

from __future__ import annotations

import html
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from domain.access import NotSignedIn
from domain.errors import PermitmapError
from domain.i18n import (
    ENGLISH,
    JAPANESE,
    LANG_PARAM,
    LANGUAGE_NAMES,
    LANGUAGES,
    N_,
    asked_language,
    current_language,
    language_from,
    set_language,
    tr,
)
from domain.settings import (
    OidcSettings,
    load_oidc,
    load_settings,
    oidc_account_name,
    verified_email,
)
from mapping.access_state import (
    OIDC_COOKIE,
    OPEN_BANNER,
    SESSION_COOKIE,
    TRUSTED_PROXIES,
    access_mode,
    client_address,
    forget,
    oidc_secret,
    request_principal,
)

CSRF_COOKIE = "permitmap_csrf"
CSRF_FIELD = "csrf"
SIGN_IN = "/signin"
SIGN_OUT = "/signout"
SIGN_IN_OIDC = "/signin/oidc"
LOGOUT = "/auth/logout"  # Streamlit's route of st.logout
#: Where the page asked for before an OpenID Connect sign-in waits (the provider's round
#: trip ends at Streamlit's callback, which knows nothing of it).
NEXT_COOKIE = "permitmap_next"
#: Streamlit's name of the one provider we configure (``[auth.oidc]``).
PROVIDER = "oidc"
#: An identity cookie older than this starts no session: signing in again needs the provider.
FRESH_MINUTES = 5
MAX_FORM_BYTES = 16_384
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
EXPIRED_FORM = N_("This form had expired or did not come from this site. It has been shown "
                  "again: try once more.")  # shown with tr


async def sign_in(request: Request) -> Response:
    """GET: the form. POST: check the password, start a session, go to ``next``."""
    if request.method == "GET":
        set_language(page_language(request, request.query_params.get("next")))
        oidc = load_oidc()
        if oidc is not None and oidc_secret(request.cookies):
            return await run_in_threadpool(_finish_oidc, request, oidc)
        return await _sign_in_page(request, "", request.query_params.get("next", "/"))
    form, refused = await _checked_form(request)
    target = safe_next(form.get("next", "/"))
    set_language(page_language(request, target))
    if refused:
        return await _sign_in_page(request, tr(EXPIRED_FORM), target, status=403)
    name, password = form.get("name", ""), form.get("password", "")
    from mapping.store_access import engine
    from store.accounts import SignInRefused, TooManyAttempts, check_password, start_session

    eng = await run_in_threadpool(engine)
    target = _in_language(request, target)
    if (await run_in_threadpool(access_mode, eng)).accounts == 0:
        return RedirectResponse(target, status_code=303)
    try:
        info = await run_in_threadpool(check_password, eng, name, password, _address(request))
    except TooManyAttempts as exc:
        return await _sign_in_page(request, str(exc), target, name=name, status=429)
    except SignInRefused as exc:
        return await _sign_in_page(request, str(exc), target, name=name, status=401)
    hours = load_settings().session_hours
    secret = await run_in_threadpool(start_session, eng, info.id, hours)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, secret, max_age=int(hours * 3600), path="/",
                        httponly=True, samesite="lax", secure=_https(request))
    _set_csrf(response, request, secrets.token_urlsafe(24))  # a new one after signing in
    return response


async def sign_out(request: Request) -> Response:
    """GET: a small form to confirm. POST: end the session everywhere, clear the cookie."""
    set_language(page_language(request))
    if request.method == "GET":
        return await _sign_out_page(request)
    _form, refused = await _checked_form(request)
    if refused:
        return await _sign_out_page(request, tr(EXPIRED_FORM), status=403)
    from mapping.store_access import engine
    from store.accounts import end_session

    oidc = oidc_secret(request.cookies)
    for secret in (request.cookies.get(SESSION_COOKIE, ""), oidc):
        if secret:
            eng = await run_in_threadpool(engine)
            await run_in_threadpool(end_session, eng, secret, _address(request))
            forget(secret)
    response: Response = RedirectResponse(_with_language(request, SIGN_IN), status_code=303)
    if oidc:
        # On through st.logout's route: it clears Streamlit's identity cookie and signs out
        # at the provider too, then comes back here. A page that moves on by itself, not a
        # redirect: the form's CSP (form-action 'self') would stop a redirect to the provider.
        heading = html.escape(tr("Signed out of permitmap"))
        moving = html.escape(tr("Now signing you out at your organisation's sign-in too…"))
        go_on = html.escape(tr("Go on"))
        body = f'<h1>{heading}</h1><p>{moving} <a href="{LOGOUT}">{go_on}</a></p>'
        response = _page(tr("Sign out"), body, 200,
                         head=f'<meta http-equiv="refresh" content="0;url={LOGOUT}">')
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=_https(request))
    return response


async def sign_in_oidc(request: Request) -> Response:
    """On to the provider (through Streamlit's ``/auth/login``), remembering ``next``."""
    if load_oidc() is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    from streamlit.user_info import generate_login_redirect_url

    target = safe_next(request.query_params.get("next", "/"))
    set_language(page_language(request, target))
    response = RedirectResponse(generate_login_redirect_url(PROVIDER), status_code=303)
    response.set_cookie(NEXT_COOKIE, _in_language(request, target),
                        max_age=600, path="/", httponly=True, samesite="lax",
                        secure=_https(request))
    return response


def streamlit_secrets() -> dict[str, Any] | None:
    """The secrets ``st.App`` is given: Streamlit's ``[auth]`` section from the OpenID
    Connect settings file, None without one."""
    oidc = load_oidc()
    return None if oidc is None else {"auth": oidc.streamlit_auth()}


def account_name(claims: dict[str, Any], issuer_host: str) -> str:
    """The account a provider's person signs in as: their e-mail address when the provider
    says it is verified, else ``<provider host>:<subject>``, a name no local account can
    have (:func:`domain.settings.oidc_account_name`; never the preferred user name, which
    anyone may choose).

    >>> account_name({"sub": "42", "email": "Ada@Meti.go.jp", "email_verified": True}, "id")
    'ada@meti.go.jp'
    >>> account_name({"sub": "42", "email": "ada@meti.go.jp", "preferred_username": "ada"},
    ...              "id.meti.go.jp")
    'id.meti.go.jp:42'
    """
    return oidc_account_name(claims, issuer_host)


def _finish_oidc(request: Request, oidc: OidcSettings) -> Response:
    """The identity cookie Streamlit set after the provider's round trip: a session of the
    account the rules give (then on to ``next``), or the sign-in page saying why not."""
    from mapping.store_access import engine
    from store.accounts import oidc_sign_in, session_account
    from store.audit import record_now

    eng, secret = engine(), oidc_secret(request.cookies)
    target = safe_next(request.cookies.get(NEXT_COOKIE) or request.query_params.get("next")
                       or "/")
    set_language(page_language(request, target))
    claims = _fresh_claims(request)
    if claims is None:  # not fresh (or not ours): only a session started with it counts
        if session_account(eng, secret) is not None:
            return _go_on(target)
        return _forget_oidc(request, _sign_in_html(
            request, tr("Your sign-in through {provider} has ended. Sign in again.").format(
                provider=oidc.name), target, oidc, status=401))
    name, address = account_name(claims, oidc.issuer_host), _address(request)
    rule = oidc.rule_for(claims)
    if rule is None:
        record_now(eng, name or "(no name)", "sign-in-failed", target=name, address=address,
                   detail=f"OpenID Connect ({oidc.name}): no rule gives a role",
                   outcome="refused")
        return _forget_oidc(request, _sign_in_html(
            request, tr("{provider} signed you in as {name}, but this permitmap gives that "
                        "account no role (no rule matches its e-mail domain or groups; an "
                        "e-mail domain counts only when {provider} says the address is "
                        "verified). Ask an admin of this permitmap.").format(
                provider=oidc.name, name=name or tr("someone without a name")),
            target, oidc, status=403))
    try:
        oidc_sign_in(eng, secret, name, rule.role, rule.clearance,
                     email=verified_email(claims), via=oidc.name, address=address,
                     hours=load_settings().session_hours)
        forget(secret)  # in case this process cached it unknown a moment ago
    except PermitmapError as exc:  # disabled, ended, or a name the store cannot take
        return _forget_oidc(request, _sign_in_html(request, str(exc), target, oidc,
                                                   status=403))
    return _go_on(_in_language(request, target))


def _go_on(target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(NEXT_COOKIE, path="/")
    return response


def _fresh_claims(request: Request) -> dict[str, Any] | None:
    """The claims in Streamlit's identity cookie when its signature holds and it was signed
    in the last :data:`FRESH_MINUTES` (by our provider), else None."""
    from streamlit.auth_util import get_cookie_with_chunks
    from streamlit.web.server.server_util import get_cookie_secret
    from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value

    key = get_cookie_secret()

    def one(name: str) -> bytes | None:
        value = request.cookies.get(name)
        return None if value is None else decode_signed_value(
            key, name, value.encode("latin-1"), max_age_days=FRESH_MINUTES / 1440)

    raw = get_cookie_with_chunks(one, OIDC_COOKIE)
    try:
        claims = json.loads(raw) if raw else None
    except ValueError:
        return None
    if (isinstance(claims, dict) and claims.get("is_logged_in") is True
            and claims.get("provider") == PROVIDER):
        return claims
    return None


def _forget_oidc(request: Request, response: Response) -> Response:
    """Clear Streamlit's identity cookies (and their chunks): refused or ended, they would
    only send the browser here again."""
    for name in request.cookies:
        if name == OIDC_COOKIE or name.startswith(OIDC_COOKIE + "_"):
            response.delete_cookie(name, path="/")
    return response


def page_language(request: Request, target: str | None = None) -> str:
    """The language of these pages: ``?lang=`` on the request, else the ``lang`` of the page
    asked for (``target``, the ``next`` URL), else the browser's Accept-Language.

    >>> from starlette.requests import Request
    >>> def asking(query="", accept=""):
    ...     return Request({"type": "http", "query_string": query.encode(),
    ...                     "headers": [(b"accept-language", accept.encode())]})
    >>> page_language(asking("lang=ja")), page_language(asking(), "/timeline?lang=ja")
    ('ja', 'ja')
    >>> page_language(asking(accept="ja,en-US;q=0.9")), page_language(asking(accept="en,ja;q=0.8"))
    ('ja', 'en')
    """
    if LANG_PARAM in request.query_params:
        return asked_language(request.query_params)
    if target:
        asked = parse_qs(urlsplit(target).query).get(LANG_PARAM)
        if asked:
            return language_from(asked[0])
    return accepted_language(request.headers.get("accept-language", ""))


def accepted_language(header: str) -> str:
    """The language an Accept-Language header ranks first among ours (Japanese on a tie, and
    for a regional tag such as ``ja-JP``); English when it names neither.

    >>> accepted_language("ja-JP,ja;q=0.9,en;q=0.8"), accepted_language("en-US,en;q=0.9")
    ('ja', 'en')
    >>> accepted_language("fr, ja;q=0.5, en;q=0.5"), accepted_language("*"), accepted_language("")
    ('ja', 'en', 'en')
    """
    best: dict[str, float] = {}
    for item in header.split(",")[:30]:
        tag, _, params = item.strip().partition(";")
        base = tag.strip().lower().split("-")[0]
        if base not in LANGUAGES:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            best[base] = max(best.get(base, 0.0), quality)
    if not best:
        return ENGLISH
    return JAPANESE if best.get(JAPANESE, 0.0) >= best.get(ENGLISH, 0.0) else ENGLISH


def _keeps_language(request: Request) -> bool:
    """Whether links from this page carry the language: a language other than English, or
    one chosen in the URL (English then wins over the browser's Japanese)."""
    return current_language() != ENGLISH or LANG_PARAM in request.query_params


def _with_language(request: Request, path: str, language: str | None = None) -> str:
    """``path`` (one of these pages) with ``lang=`` when the language is to be kept."""
    if language is None:
        if not _keeps_language(request):
            return path
        language = current_language()
    return path + ("&" if "?" in path else "?") + urlencode({LANG_PARAM: language})


def _in_language(request: Request, target: str) -> str:
    """The page signed in to, asking for this page's language unless it names its own."""
    if not _keeps_language(request) or LANG_PARAM in parse_qs(urlsplit(target).query):
        return target
    return _with_language(request, target)


def safe_next(value: str) -> str:
    """``value`` when it is a path on this site (not the sign-in or sign-out page), else
    ``/``: no open redirect to another site, whatever the spelling."""
    if (not value.startswith("/") or value.startswith(("//", "/\\")) or "\\" in value
            or any(ord(c) < 32 or ord(c) == 127 for c in value) or len(value) > 2000):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in (SIGN_IN, SIGN_OUT):
        return "/"
    return value


ROUTES = [
    Route(SIGN_IN, sign_in, methods=["GET", "POST"]),
    Route(SIGN_IN_OIDC, sign_in_oidc, methods=["GET"]),
    Route(SIGN_OUT, sign_out, methods=["GET", "POST"]),
]


# --- forms -------------------------------------------------------------------------------


async def _checked_form(request: Request) -> tuple[dict[str, str], bool]:
    """The posted fields, and whether the form is refused (CSRF token missing or not the
    cookie's, another site's Origin, or a body too large for a form)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_FORM_BYTES:
        return {}, True
    form = await request.form(max_files=0, max_fields=20)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = fields.get(CSRF_FIELD, "")
    same_token = bool(cookie) and secrets.compare_digest(cookie.encode(), sent.encode())
    origin = request.headers.get("origin")
    foreign = origin is not None and urlsplit(origin).netloc != request.headers.get("host")
    return fields, not same_token or foreign


def _csrf_token(request: Request) -> str:
    token = request.cookies.get(CSRF_COOKIE, "")
    return token if 20 <= len(token) <= 100 and token.isascii() else secrets.token_urlsafe(24)


def _set_csrf(response: Response, request: Request, token: str) -> None:
    response.set_cookie(CSRF_COOKIE, token, path="/", httponly=True, samesite="strict",
                        secure=_https(request))


def _address(request: Request) -> str:
    peer = request.client.host if request.client else ""
    return client_address(peer, request.headers)


def _https(request: Request) -> bool:
    """Whether the browser reached us over https (directly, or through our proxy)."""
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    return (peer in TRUSTED_PROXIES
            and request.headers.get("x-forwarded-proto", "").lower() == "https")


async def _sign_in_page(request: Request, message: str, target: str, *, name: str = "",
                        status: int = 200) -> Response:
    from mapping.store_access import engine

    eng = await run_in_threadpool(engine)
    if (await run_in_threadpool(access_mode, eng)).accounts == 0:
        banner, open_map = _md_code(tr(OPEN_BANNER)), html.escape(tr("Open the map"))
        where = html.escape(_in_language(request, safe_next(target)))
        body = (f"<h1>permitmap</h1><p class=note>{banner}</p>"
                f'<p><a href="{where}">{open_map}</a></p>')
        return _page(tr("Sign in"), body, status,
                     switch=_switch(request, SIGN_IN, safe_next(target)))
    return _sign_in_html(request, message, target, load_oidc(), name=name, status=status)


def _sign_in_html(request: Request, message: str, target: str, oidc: OidcSettings | None, *,
                  name: str = "", status: int = 200) -> Response:
    note = f'<p class=error role="alert">{html.escape(message)}</p>' if message else ""
    token = _csrf_token(request)
    provider = ""
    if oidc is not None:
        oidc_url = html.escape(_with_language(
            request, f"{SIGN_IN_OIDC}?next={quote(safe_next(target), safe='')}"))
        with_provider = html.escape(tr("Sign in with {provider}").format(provider=oidc.name))
        or_password = html.escape(tr("or with a password of this permitmap"))
        provider = (f'<a class=button href="{oidc_url}">{with_provider}</a>'
                    f'<p class="small or">{or_password}</p>')
    words = {key: html.escape(text) for key, text in {
        "heading": tr("Sign in to permitmap"), "name": tr("Account name"),
        "password": tr("Password"), "submit": tr("Sign in"),
        "no_account": tr("No account? Ask an admin of this permitmap to create one.")}.items()}
    action = html.escape(_with_language(request, SIGN_IN))
    body = f"""<h1>{words["heading"]}</h1>{note}{provider}
<form method="post" action="{action}">
<input type="hidden" name="{CSRF_FIELD}" value="{html.escape(token)}">
<input type="hidden" name="next" value="{html.escape(safe_next(target))}">
<label for="name">{words["name"]}</label>
<input id="name" name="name" autocomplete="username" required autofocus
 value="{html.escape(name)}">
<label for="password">{words["password"]}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{words["submit"]}</button>
</form>
<p class=small>{words["no_account"]}</p>"""
    response = _page(tr("Sign in"), body, status,
                     switch=_switch(request, SIGN_IN, safe_next(target)))
    _set_csrf(response, request, token)
    return response


async def _sign_out_page(request: Request, message: str = "",
                         status: int = 200) -> Response:
    try:
        who = await run_in_threadpool(request_principal, request)
    except NotSignedIn:
        who = None
    token = _csrf_token(request)
    note = f'<p class=error role="alert">{html.escape(message)}</p>' if message else ""
    if who is None or who.kind not in ("account", "oidc"):
        not_in, sign_in_word = html.escape(tr("You are not signed in.")), html.escape(tr("Sign in"))
        sign_in_url = html.escape(_with_language(request, SIGN_IN))
        body = (f'<h1>permitmap</h1>{note}<p>{not_in}</p>'
                f'<p><a href="{sign_in_url}">{sign_in_word}</a></p>')
    else:
        signed_in_as = html.escape(tr("Signed in as {name} ({role}).")).format(
            name="<strong>" + html.escape(who.name) + "</strong>", role=html.escape(who.role))
        words = {key: html.escape(text) for key, text in {
            "heading": tr("Sign out of permitmap?"), "submit": tr("Sign out"),
            "back": tr("Back to the map")}.items()}
        action = html.escape(_with_language(request, SIGN_OUT))
        back = html.escape(_with_language(request, "/"))
        body = f"""<h1>{words["heading"]}</h1>{note}
<p>{signed_in_as}</p>
<form method="post" action="{action}">
<input type="hidden" name="{CSRF_FIELD}" value="{html.escape(token)}">
<button type="submit">{words["submit"]}</button>
</form>
<p class=small><a href="{back}">{words["back"]}</a></p>"""
    response = _page(tr("Sign out"), body, status, switch=_switch(request, SIGN_OUT))
    _set_csrf(response, request, token)
    return response


def _md_code(text: str) -> str:
    """``a `b` c`` → escaped text with <code> for the back-quoted part."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _switch(request: Request, path: str, target: str | None = None) -> str:
    """A link to the same page in the other language (``lang`` and ``next`` kept)."""
    other = ENGLISH if current_language() == JAPANESE else JAPANESE
    url = path if target is None or target == "/" else (
        f"{path}?next={quote(target, safe='')}")
    href = html.escape(_with_language(request, url, other))
    return (f'<p class="small switch"><a href="{href}" lang="{other}" hreflang="{other}">'
            f"{html.escape(LANGUAGE_NAMES[other])}</a></p>")


def _page(title: str, body: str, status: int, head: str = "", switch: str = "") -> HTMLResponse:
    page = f"""<!doctype html>
<html lang="{current_language()}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{html.escape(title)} · permitmap</title>{head}
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;
color:#1f2328;margin:0;display:flex;min-height:100vh;align-items:center;
justify-content:center}}
main{{background:#fff;padding:2rem 2.25rem;border-radius:10px;width:min(24rem,90vw);
box-shadow:0 1px 3px rgba(0,0,0,.12)}}
h1{{font-size:1.3rem;margin:0 0 1rem}}
label{{display:block;font-size:.9rem;margin:.8rem 0 .3rem}}
input{{width:100%;box-sizing:border-box;padding:.55rem .6rem;border:1px solid #c4c8cf;
border-radius:6px;font-size:1rem}}
button,.button{{margin-top:1.2rem;width:100%;padding:.6rem;border:0;border-radius:6px;
background:#1f5fbf;color:#fff;font-size:1rem;cursor:pointer}}
.button{{display:block;box-sizing:border-box;text-align:center;text-decoration:none}}
.or{{text-align:center;margin:1rem 0 0}}
button:focus,input:focus,.button:focus{{outline:2px solid #1f5fbf;outline-offset:1px}}
.error{{background:#fdecea;color:#8a1c13;padding:.6rem .75rem;border-radius:6px}}
.note{{background:#fff4e5;color:#663c00;padding:.6rem .75rem;border-radius:6px}}
.small{{font-size:.85rem;color:#57606a}}
.switch{{text-align:right;margin:1rem 0 0}}
</style></head>
<body><main>{body}{switch}</main></body></html>"""
    return HTMLResponse(page, status_code=status, headers={
        "Content-Security-Policy": CSP, "Cache-Control": "no-store"})
