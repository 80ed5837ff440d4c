"""What a map view of deposits is: the filter, the cluster grid and the GeoJSON answered.

One definition for both answers, the in-memory index (``sites.point_index``, SQLite) and the
database's (``store.deposit_views``, PostGIS), so the two give the same points and clusters.

>>> cell_degrees(0), cell_degrees(7)
(90.0, 0.703125)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

from domain.access import COMPANIONS, HIGHEST, Principal
from domain.bbox import BBox

# A cluster cell is about this many screen pixels wide at the current zoom.
CLUSTER_CELL_PIXELS = 64


@dataclass(frozen=True)
class PointFilter:
    """Which points are wanted; empty tuples mean no restriction."""

    commodities: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    name_contains: str = ""
    #: Handling markings the asker may receive (``Principal.visible_markings``).
    markings: tuple[str, ...] = ()
    #: Deposits that match nothing: a filter asks about an attribute withheld from the
    #: asker, and matching would tell them its value.
    excluded: tuple[int, ...] = ()


#: The filters that read a markable attribute.
FILTER_ATTRIBUTES = {"commodities": "commodities", "statuses": "dev_status",
                     "countries": "country"}


def for_principal(filters: PointFilter, principal: Principal,
                  withheld: dict[int, set[str]] | None = None) -> PointFilter:
    """``filters`` limited to the deposits ``principal`` may see: their markings, and none
    whose withheld attribute (``withheld``: id -> attributes) a filter asks about. Unchanged
    for the highest clearance (and open access), so those views keep their cache keys and
    speed.

    >>> from domain.access import ANONYMOUS, OPEN_ACCESS
    >>> for_principal(PointFilter(statuses=("producer",)), ANONYMOUS, {7: {"dev_status"}})
    PointFilter(commodities=(), statuses=('producer',), countries=(), name_contains='', \
markings=('public',), excluded=(7,))
    >>> for_principal(PointFilter(), OPEN_ACCESS) == PointFilter()
    True
    """
    if principal.may_see(HIGHEST):
        return filters
    asked = {attribute for name, attribute in FILTER_ATTRIBUTES.items()
             if getattr(filters, name)}
    excluded = tuple(sorted(i for i, hidden in (withheld or {}).items() if hidden & asked))
    return replace(filters, markings=principal.visible_markings, excluded=excluded)


#: The point features' properties that show a markable deposit attribute.
POINT_ATTRIBUTES = {"status": "dev_status", "commodities": "commodities"}


def withheld_attributes(marks: dict[str, str], principal: Principal) -> set[str]:
    """The attributes of one record ``principal`` may not receive (``marks``: attribute ->
    marking), with their companions.

    >>> from domain.access import ANONYMOUS
    >>> sorted(withheld_attributes({"commodities": "controlled", "name": "public"}, ANONYMOUS))
    ['commodities', 'commodities_original']
    """
    hidden = {attribute for attribute, marking in marks.items()
              if not principal.may_see(marking)}
    return hidden | {COMPANIONS[a] for a in hidden if a in COMPANIONS}


def withhold_attributes(answer: dict[str, Any], withheld: dict[int, set[str]]) -> dict[str, Any]:
    """Blank, in a view's point features, the properties showing attributes withheld from
    the asker (``withheld``: deposit id -> attribute names). Changes ``answer`` in place.

    >>> body = view_answer([point_feature(7, 1, 2, "Ridge", "producer", "Li")], "points", 1)
    >>> withhold_attributes(body, {7: {"commodities"}})["features"][0]["properties"]["commodities"]
    ''
    """
    if not withheld:
        return answer
    for feature in answer["features"]:
        props = feature["properties"]
        hidden = withheld.get(props.get("id"), set()) if props["kind"] == "deposit" else set()
        for prop, attribute in POINT_ATTRIBUTES.items():
            if attribute in hidden:
                props[prop] = ""
    return answer
    for feature in answer["features"]:
        props = feature["properties"]
        hidden = withheld.get(props.get("id")) if props["kind"] == "deposit" else None
        for prop, attributes in POINT_ATTRIBUTES.items():
            if hidden and hidden & set(attributes):
                props[prop] = ""
    return answer


def cell_degrees(zoom: int) -> float:
    """The width of a cluster cell in degrees. Cells are aligned on 0° and halve with each
    zoom (a power of two), so a cell at zoom z is exactly four cells at z + 1."""
    return CLUSTER_CELL_PIXELS * 360.0 / (256 * 2 ** max(zoom, 0))


def point_feature(deposit_id: int, lon: float, lat: float, name: str, status: str,
                  commodities: str) -> dict[str, Any]:
    """One deposit as a GeoJSON point feature."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
        "properties": {"kind": "deposit", "id": int(deposit_id), "name": name,
                       "status": status, "commodities": commodities},
    }


def cluster_feature(lon: float, lat: float, count: int) -> dict[str, Any]:
    """Several deposits of one grid cell, at their mean position."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
        "properties": {"kind": "cluster", "count": int(count)},
    }


def view_answer(features: list[dict[str, Any]], mode: str, in_view: int) -> dict[str, Any]:
    """The FeatureCollection of one view; ``meta`` says points or clusters and how many."""
    return {"type": "FeatureCollection", "features": features,
            "meta": {"mode": mode, "in_view": int(in_view), "returned": len(features)}}


class DepositViewer(Protocol):
    """What answers the map's deposit views: the in-memory index or the PostGIS store."""

    def query(self, bbox: BBox, zoom: int, filters: PointFilter,
              point_limit: int = 2000) -> dict[str, Any]:
        """Points when at most ``point_limit`` match inside ``bbox``, else clusters."""
        ...

    def count(self, filters: PointFilter) -> int:
        """How many points match the filters anywhere."""
        ...
