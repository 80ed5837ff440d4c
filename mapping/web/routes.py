"""HTTP routes served beside the pages: health, deposits per map view, basemap outlines,
survey layer features and raster tiles, site exports and briefing packs; the sign-in page.
Shared links to the pages are looked after by :mod:`mapping.web.page_urls`.

Once the store has an account, :class:`~mapping.web.auth_middleware.AccessMiddleware`
(:data:`MIDDLEWARE`, installed with the routes) refuses a request from nobody before it gets
here; each route then asks :func:`principal` for the action it serves (browse, export), so a
route is never open even when used without the middleware.

Routes hold no try blocks: what they raise becomes a JSON error with its status in
:mod:`mapping.web.status_codes`, installed as the app's exception handlers. The work lives in
``mapping.web.map_api`` and its siblings, imported on the first request: their libraries
(pandas, SQLAlchemy) would otherwise add seconds to the server's start, and the warm-up thread
imports them in the background.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from domain.access import HIGHEST, Action, NotSignedIn, Principal
from domain.errors import NotFoundError, PermitmapError
from domain.i18n import LANG_PARAM, N_, asked_language, set_language, tr
from domain.settings import DATA_DIR
from mapping.access_state import request_principal
from mapping.web import auth_routes, page_urls
from mapping.web.auth_middleware import PRINCIPAL, AccessMiddleware
from mapping.web.status_codes import EXCEPTION_HANDLERS
from mapping.web.tcp_nodelay import answer_without_delay

if TYPE_CHECKING:  # imported on the first request, with the rest of the export code
    from exports.formats import ExportFile

BASEMAPS = {"countries-110m.geojson", "countries-50m.geojson", "us-state-lines.geojson"}


def principal(request: Request, action: Action = Action.BROWSE) -> Principal:
    """Who the request is from (as the middleware found, else looked up now), allowed to do
    ``action``: NotSignedIn (401) or AccessDenied (403) otherwise. Its messages from here on
    are in the language the URL asks for (``lang=ja``, as the pages' links carry it)."""
    use_language(request)
    found = request.scope.get(PRINCIPAL)
    if not isinstance(found, Principal):
        found = request_principal(request)
    found.require(action)
    return found


def use_language(request: Request) -> None:
    """Messages from here on in the language the URL asks for (``lang=ja``), else English."""
    set_language(asked_language(request.query_params))


def health(request: Request) -> Response:
    """The store's state as JSON; 503 when the database cannot be used. Without the row
    counts for a visitor who is not signed in (the route answers everyone, for monitors)."""
    from mapping.web import map_api

    use_language(request)  # before the store is opened: its error is the answer
    body = map_api.health_body()
    try:
        who: Principal | None = principal(request)
    except NotSignedIn:
        who = None
    if who is None or who.kind == "anonymous":
        body.pop("counts", None)
    elif not who.may_see(HIGHEST):  # marked deposits and sites are not counted for them
        body["counts"] = map_api.visible_counts(who)
    return JSONResponse(body)


def deposits(request: Request) -> Response:
    """Deposits inside ``bbox`` at ``zoom`` matching the filters, as points or clusters."""
    from mapping.web import map_api

    who = principal(request)
    body = map_api.deposits_body(dict(_params(request)), who)
    return Response(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        media_type="application/geo+json",
    )


def basemap(request: Request) -> Response:
    """A bundled basemap file (Natural Earth outlines, US state lines)."""
    principal(request)
    name = request.path_params["name"]
    if name not in BASEMAPS:
        raise NotFoundError(tr("No basemap named {name}: there are {names}.").format(
            name=repr(name), names=", ".join(sorted(BASEMAPS))))
    return FileResponse(DATA_DIR / "basemap" / name, media_type="application/geo+json",
                        headers={"Cache-Control": "public, max-age=86400"})


def layer_features(request: Request) -> Response:
    """A vector survey layer's features as GeoJSON, each with an escaped HTML popup."""
    from mapping.web import layer_api

    who = principal(request)
    body = layer_api.layer_geojson(request.path_params["layer"], dict(_params(request)),
                                   principal=who)
    return Response(body, media_type="application/geo+json")


def tile(request: Request) -> Response:
    """One PNG tile of a raster survey layer (``?v=`` in the URL changes with its style)."""
    from mapping.web import layer_api

    who = principal(request)
    params = request.path_params
    png = layer_api.tile_png(params["layer"], params["z"], params["x"], params["y"],
                             principal=who)
    # private: a shared cache must not hand a tile to someone who may not see its layer
    return Response(png, media_type="image/png",
                    headers={"Cache-Control": "private, max-age=3600"})


def sites_export(request: Request) -> Response:
    """The sites matching the URL's filters, extent and as-of date in the format the path
    ends in (``sites.geojson``, ``sites.gpkg``, ``sites.csv``, ``sites.kml``,
    ``sites.shp.zip``, ``sites.parquet``), with ``grid=`` raster layers' values as columns,
    in the coordinate system ``crs=`` names (default WGS 84; 400 for one not offered, or for
    GeoJSON or KML in another). GeoJSON is shown inline; the others download."""
    from datetime import date

    from exports.export_file import ExportFormat
    from mapping import export_files
    from mapping.web import export_api

    who = principal(request)  # the export itself checks (and audits) Action.EXPORT
    fmt = export_api.format_for(request.path_params["suffix"])
    params = _params(request)
    selection = export_api.selection_from(params, date.today(), who)
    file = export_files.sites_file(selection, fmt, principal=who,
                                   grids=export_api.grids_from(params),
                                   crs=export_api.crs_from(params))
    return _file(file, inline=fmt is ExportFormat.GEOJSON)


def briefing(request: Request) -> Response:
    """A briefing pack (zip) of the sites the URL's parameters select; with ``bbox`` (the
    map's view) its picture frames that view."""
    from datetime import date

    from mapping import export_files
    from mapping.web import export_api

    who = principal(request)  # the pack checks (and audits) Action.EXPORT
    params = _params(request)
    export_api.refuse_grids(params, N_("a briefing pack"))
    selection = export_api.selection_from(params, date.today(), who)
    return _file(export_files.briefing_file(selection, principal=who))


def chokepoints_export(request: Request) -> Response:
    """The chokepoint table as CSV: ``?as_of=YYYY-MM-DD`` (default today) and
    ``projected=true`` (permitting projects finish on their projected dates)."""
    from datetime import date

    from mapping import export_files
    from sites.chokepoints import parse_params

    who = principal(request)  # the table checks (and audits) Action.EXPORT
    as_of, projected = parse_params(dict(_params(request)), date.today())
    return _file(export_files.chokepoints_file(as_of, projected, principal=who))


def layer_export(request: Request) -> Response:
    """An uploaded layer exported back: ``?format=geojson|gpkg|csv|kml|shp|parquet`` for a
    vector layer; a raster layer's COG (``?format=tif``, the default for rasters)."""
    from mapping.web import layer_api

    who = principal(request)  # the download checks (and audits) Action.EXPORT
    file = layer_api.layer_download(request.path_params["layer"],
                                    request.query_params.get("format", ""), principal=who)
    if isinstance(file, layer_api.OnDisk):
        return FileResponse(file.path, media_type=file.media_type,
                            headers=_disposition(file.file_name, inline=False))
    return _file(file)


def unknown_api(request: Request) -> Response:
    """Any other ``/api/`` path: a JSON 404 naming the routes, not the app's HTML page."""
    principal(request)
    known = ", ".join(sorted({r.path for r in ROUTES if r.path.startswith("/api/")} - {
        "/api/{rest:path}"}))
    raise NotFoundError(tr("No route {path}: the API has {routes}.").format(
        path=request.url.path, routes=known))


def _params(request: Request) -> list[tuple[str, str]]:
    """The query's parameters but ``token`` (an API token given in the URL, already read) and
    ``lang`` (the language of the messages, already set)."""
    return [(k, v) for k, v in request.query_params.multi_items() if k not in {"token", LANG_PARAM}]


def _file(file: ExportFile, inline: bool = False) -> Response:
    """An export with its name; what the format could not hold (renamed fields, lists
    joined, features left out) in ``X-Export-Notes``."""
    notes = {"X-Export-Notes": quote(" | ".join(file.notes))} if file.notes else {}
    return Response(file.data, media_type=file.media_type,
                    headers=_disposition(file.file_name, inline) | notes)


def _disposition(file_name: str, inline: bool) -> dict[str, str]:
    kind = "inline" if inline else "attachment"
    return {"Content-Disposition": f'{kind}; filename="{file_name}"'}


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """Warm the store, the deposit index and the page libraries while the first visitor's
    browser is still loading Streamlit; the first visit may open any page by its URL."""
    page_urls.navigation_only()  # else the first run of the process says "Page not found"
    answer_without_delay()  # Streamlit's socket keeps Nagle's delay on (tcp_nodelay.py)
    threading.Thread(target=_warm_up, name="permitmap-warm-up", daemon=True).start()
    yield


def _warm_up() -> None:
    # The store first: the gate (auth_middleware) needs it before it lets the browser have
    # even the page's HTML. Not streamlit_folium: it registers its component on import,
    # which must happen in a script run. mapping.cached brings folium, pandas and the map
    # builder.
    from mapping.store_access import deposit_views, engine

    try:
        engine()
        from mapping import cached  # noqa: F401

        deposit_views()
    except PermitmapError:
        return  # the page and /api/health report it, in words, when asked


ROUTES = [
    *auth_routes.ROUTES,
    Route("/api/health", health, methods=["GET"]),
    Route("/api/deposits", deposits, methods=["GET"]),
    Route("/api/basemap/{name}", basemap, methods=["GET"]),
    Route("/api/layers/{layer}/features.geojson", layer_features, methods=["GET"]),
    Route("/tiles/{layer}/{z:int}/{x:int}/{y:int}.png", tile, methods=["GET"]),
    Route("/api/sites.{suffix}", sites_export, methods=["GET"]),
    Route("/api/briefing.zip", briefing, methods=["GET"]),
    Route("/api/chokepoints.csv", chokepoints_export, methods=["GET"]),
    Route("/api/layers/{layer}/export", layer_export, methods=["GET"]),
    Route("/api/{rest:path}", unknown_api),  # last: only what nothing above took
]


#: What the app installs (``st.App(middleware=...)``): the sign-in gate and security headers,
#: then (inside the gate) what makes a shared link to a page work as a first visit.
MIDDLEWARE = [Middleware(AccessMiddleware), Middleware(page_urls.PageLinks)]


def starlette_app() -> Starlette:
    """The routes, the middleware and the error table as a plain Starlette app, wired as
    ``st.App`` wires them (for tests and benchmarks)."""
    return Starlette(routes=ROUTES, middleware=MIDDLEWARE, exception_handlers=EXCEPTION_HANDLERS)
