"""HTTP routes served beside the pages: health, deposits per map view, basemap outlines.

User errors become 400 with a JSON message here and nowhere else.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from domain.errors import InputError, PermitmapError
from domain.settings import DATA_DIR, load_settings
from layers.point_index import BBox, PointFilter
from mapping.store_access import deposit_index, engine
from store.db import schema_revision
from store.records import store_counts

BASEMAPS = {"countries-110m.geojson", "countries-50m.geojson"}


def health(_request: Request) -> Response:
    """The store's state as JSON; 503 when the database cannot be used."""
    settings = load_settings()
    try:
        eng = engine()
        body: dict[str, Any] = {
            "status": "ok",
            "database": eng.dialect.name,
            "schema_revision": schema_revision(eng),
            "counts": store_counts(eng),
            "deposit_index_revision": deposit_index()[0],
        }
    except PermitmapError as exc:
        return JSONResponse({"status": "error", "error": str(exc)}, status_code=503)
    body["online_basemaps"] = settings.online_basemaps
    return JSONResponse(body)


def deposits(request: Request) -> Response:
    """Deposits inside ``bbox`` at ``zoom`` matching the filters, as points or clusters."""
    try:
        bbox, zoom, filters = parse_view(dict(request.query_params))
    except InputError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    revision, index = deposit_index()
    body = index.query(bbox, zoom, filters, load_settings().map_point_limit)
    body["meta"]["matching"] = index.count(filters)
    body["meta"]["revision"] = revision
    return Response(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        media_type="application/geo+json",
    )


def basemap(request: Request) -> Response:
    """A bundled basemap file (Natural Earth outlines)."""
    name = request.path_params["name"]
    if name not in BASEMAPS:
        return JSONResponse({"error": f"No basemap named {name!r}."}, status_code=404)
    return FileResponse(DATA_DIR / "basemap" / name, media_type="application/geo+json",
                        headers={"Cache-Control": "public, max-age=86400"})


def parse_view(params: dict[str, str]) -> tuple[BBox, int, PointFilter]:
    """Check and read the query parameters of ``/api/deposits``.

    >>> parse_view({"bbox": "-10,-5,10,5", "zoom": "3", "commodity": "Li,REE"})[2].commodities
    ('Li', 'REE')
    """
    try:
        west, south, east, north = (float(v) for v in params.get("bbox", "").split(","))
    except ValueError:
        raise InputError(
            "bbox must be four numbers west,south,east,north in degrees, e.g. -125,24,-66,50."
        ) from None
    if not (-90 <= south <= north <= 90):
        raise InputError(f"bbox south {south} and north {north} must lie within -90..90, "
                         "south first.")
    try:
        zoom = int(params.get("zoom", "0"))
    except ValueError:
        raise InputError("zoom must be a whole number from 0 to 22.") from None
    if not 0 <= zoom <= 22:
        raise InputError("zoom must be a whole number from 0 to 22.")
    filters = PointFilter(
        commodities=_listed(params.get("commodity")),
        statuses=_listed(params.get("status")),
        countries=_listed(params.get("country")),
        name_contains=params.get("q", "").strip(),
    )
    return BBox(west, south, east, north), zoom, filters


def _listed(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


ROUTES = [
    Route("/api/health", health, methods=["GET"]),
    Route("/api/deposits", deposits, methods=["GET"]),
    Route("/api/basemap/{name}", basemap, methods=["GET"]),
]
