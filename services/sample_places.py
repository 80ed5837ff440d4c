"""The places a survey layer is sampled at, as someone may receive them: the sites their
clearance reaches (:func:`services.site_export.readable_sites`), or the deposits it reaches
near a layer's extent. Id, name and position are never withheld from a record someone may
see, so a row carries only those and its marking.
"""

from __future__ import annotations

import math
from enum import StrEnum

import pandas as pd
from sqlalchemy import Engine

from domain.access import MARKING_CODES, Principal, marking_rank
from domain.bbox import BBox, Bounds
from services.site_export import readable_sites
from store.records import deposit_points

PLACE_COLUMNS = ["id", "name", "lon", "lat", "marking"]
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON = 111.320  # at the equator


class SampleAt(StrEnum):
    """Which records a layer is sampled at."""

    SITES = "sites"
    DEPOSITS = "deposits"
    POLYGONS = "polygons"  # each polygon of the layer given to take statistics within


def places(engine: Engine, at: SampleAt, principal: Principal, *, near: Bounds | None = None,
           reach_km: float = 0.0) -> pd.DataFrame:
    """:data:`PLACE_COLUMNS` of the sites or deposits ``principal`` may see; deposits only
    within ``reach_km`` of the extent ``near`` (lon/lat) when it is given."""
    if at == SampleAt.SITES:
        sites = readable_sites(engine, principal)
        return sites[PLACE_COLUMNS].reset_index(drop=True)
    points = deposit_points(engine)
    points = points[points["marking_rank"] <= marking_rank(principal.clearance)]
    if near is not None:
        box = grown(near, reach_km)
        points = points[box.contains(points["lon"], points["lat"])]
    out = points[["id", "name", "lon", "lat"]].reset_index(drop=True)
    out["marking"] = [MARKING_CODES[int(r)] for r in points["marking_rank"]]
    return out


def grown(bounds: Bounds, km: float) -> BBox:
    """``bounds`` (west may exceed east across the 180th meridian) grown by at least ``km``
    on every side; the whole band of longitudes near a pole or when it wraps the globe.

    >>> [round(v, 2) for v in grown((10.0, 0.0, 11.0, 1.0), 111.32)]
    [9.0, -1.01, 12.0, 2.01]
    >>> [round(v, 2) for v in grown((170.0, 80.0, -170.0, 89.5), 100.0)]
    [-180.0, 79.1, 180.0, 90.0]
    """
    west, south, east, north = bounds
    pad_lat = km / KM_PER_DEGREE_LAT
    south, north = max(-90.0, south - pad_lat), min(90.0, north + pad_lat)
    widest = max(abs(south), abs(north))
    width = east - west if east >= west else east - west + 360.0
    if widest >= 89.0:
        return BBox(-180.0, south, 180.0, north)
    pad_lon = km / (KM_PER_DEGREE_LON * math.cos(math.radians(widest)))
    if width + 2 * pad_lon >= 360.0:
        return BBox(-180.0, south, 180.0, north)
    return BBox(west - pad_lon, south, east + pad_lon, north)
