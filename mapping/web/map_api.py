"""What the HTTP routes answer: store health, deposits per map view. User errors raise
InputError; ``mapping.web.routes`` turns them into status codes."""

from __future__ import annotations

from typing import Any

from domain.access import Principal
from domain.bbox import BBox
from domain.deposit_view import PointFilter, for_principal, withhold_attributes
from domain.errors import InputError
from domain.i18n import N_, tr
from domain.settings import load_settings
from domain.vocab import DevStatus
from mapping.store_access import deposit_views, engine, withheld_deposits
from sites import query_params as qp
from store.db import schema_revision
from store.records import store_counts

BAD_ZOOM = N_("zoom must be a whole number from 0 to 22.")  # shown with tr


def health_body() -> dict[str, Any]:
    """The store's state; raises PermitmapError when the database cannot be used."""
    eng = engine()
    revision, viewer = deposit_views()
    return {
        "status": "ok",
        "database": eng.dialect.name,
        "schema_revision": schema_revision(eng),
        "counts": store_counts(eng, deposits=viewer.count(PointFilter())),
        "deposit_revision": revision,
        "online_basemaps": load_settings().online_basemaps,
    }


def visible_counts(principal: Principal) -> dict[str, int]:
    """The health route's row counts, sites and deposits counted as ``principal`` may see
    them (a marked record is not counted for those without clearance)."""
    from mapping.cached import cached_sites  # the site table loads on a signed-in request only

    viewer = deposit_views()[1]
    counts = store_counts(engine(), deposits=viewer.count(for_principal(PointFilter(), principal)))
    return {**counts, "sites": len(cached_sites(principal))}


def deposits_body(params: dict[str, str], principal: Principal) -> dict[str, Any]:
    """Deposits inside the view in ``params`` matching its filters, as ``principal`` may see
    them (no deposit, and no attribute, marked above their clearance): points or clusters."""
    bbox, zoom, asked = parse_view(params)
    withheld = withheld_deposits(principal)
    filters = for_principal(asked, principal, withheld)
    revision, viewer = deposit_views()
    body = viewer.query(bbox, zoom, filters, load_settings().map_point_limit)
    body["meta"]["matching"] = viewer.count(filters)
    body["meta"]["revision"] = revision
    return withhold_attributes(body, withheld)


def parse_view(params: dict[str, str]) -> tuple[BBox, int, PointFilter]:
    """Check and read the query parameters of ``/api/deposits`` (what was asked: the caller
    limits it to what the asker may see, :func:`~domain.deposit_view.for_principal`).

    >>> parse_view({"bbox": "-10,-5,10,5", "zoom": "3", "commodity": "lithium,REE"})[2].commodities
    ('Li', 'REE')
    """
    bbox = BBox.parse(params.get("bbox", ""))
    try:
        zoom = int(params.get("zoom", "0"))
    except ValueError:
        raise InputError(tr(BAD_ZOOM)) from None
    if not 0 <= zoom <= 22:
        raise InputError(tr(BAD_ZOOM))
    statuses = [s.value for s in DevStatus]
    filters = PointFilter(
        commodities=tuple(qp.commodity(v) for v in qp.listed(params.get("commodity"))),
        statuses=tuple(qp.choice("status", v, statuses) for v in qp.listed(params.get("status"))),
        countries=tuple(qp.listed(params.get("country"))),
        name_contains=params.get("q", "").strip(),
    )
    return bbox, zoom, filters
