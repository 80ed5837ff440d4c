"""What a map view of deposits is: the filter, the cluster grid and the GeoJSON answered.

One definition for both answers, the in-memory index (``sites.point_index``, SQLite) and the
database's (``store.deposit_views``, PostGIS), so the two give the same points and clusters.

>>> cell_degrees(0), cell_degrees(7)
(90.0, 0.703125)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

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
