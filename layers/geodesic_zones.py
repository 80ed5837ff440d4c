"""Circles of a true ground radius around points in longitude/latitude: the zones that
raster statistics and "features near a site" are measured in.

Each ring is walked out on the WGS 84 ellipsoid (:meth:`pyproj.Geod.fwd`, one vectorised
call for every point), so a 50 km radius is 50 km at the equator and in Alaska alike, which
a buffer drawn in degrees is not. Each circle is a polygon of :data:`VERTICES` vertices
inscribed in the true circle: its edges run at most 0.12 % of the radius inside it.

Longitudes of a ring stay continuous: a circle around a point at 179.9° E runs on past 180
rather than jumping to -180, so it is one polygon; :func:`meridian_copies` gives the copies
shifted by ±360° that meet features on the other side of the 180th meridian.
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Geod

VERTICES = 64
_GEOD = Geod(ellps="WGS84")


def geodesic_circles(lons: np.ndarray, lats: np.ndarray, radius_km: float) -> np.ndarray:
    """A polygon (lon/lat) of ``radius_km`` around each point; None where a point has no
    position (NaN or out of range).

    >>> [circle] = geodesic_circles(np.array([0.0]), np.array([0.0]), 111.32)
    >>> [round(v, 2) for v in circle.bounds]
    [-1.0, -1.01, 1.0, 1.01]
    >>> geodesic_circles(np.array([np.nan]), np.array([0.0]), 5.0).tolist()
    [None]
    """
    lons = np.asarray(lons, dtype="float64")
    lats = np.asarray(lats, dtype="float64")
    placed = placed_points(lons, lats)
    circles = np.full(len(lons), None, dtype=object)
    if not placed.any() or radius_km <= 0:
        return circles
    centre_lon, centre_lat = lons[placed], lats[placed]
    azimuths = np.linspace(0.0, 360.0, VERTICES, endpoint=False)
    count = len(centre_lon)
    ring_lon, ring_lat, _ = _GEOD.fwd(np.repeat(centre_lon, VERTICES),
                                      np.repeat(centre_lat, VERTICES),
                                      np.tile(azimuths, count),
                                      np.full(count * VERTICES, radius_km * 1000.0))
    ring_lon = np.asarray(ring_lon).reshape(count, VERTICES)
    ring_lat = np.asarray(ring_lat).reshape(count, VERTICES)
    # keep each ring continuous around its centre (no jump at the 180th meridian)
    ring_lon = centre_lon[:, None] + (ring_lon - centre_lon[:, None] + 180.0) % 360.0 - 180.0
    coords = np.stack([ring_lon, ring_lat], axis=-1)
    coords = np.concatenate([coords, coords[:, :1]], axis=1)  # closed rings
    circles[placed] = shapely.polygons(coords)
    return circles


def placed_points(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Which points have a usable position: finite, latitude within ±90, longitude ±180.

    >>> placed_points(np.array([0.0, 200.0, np.nan]), np.array([0.0, 0.0, 0.0])).tolist()
    [True, False, False]
    """
    with np.errstate(invalid="ignore"):
        return (np.isfinite(lons) & np.isfinite(lats) & (np.abs(lats) <= 90)
                & (np.abs(lons) <= 180))


def meridian_copies(zones: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The zones that run past ±180° shifted by ∓360° (so they meet features drawn on the
    other side), with the index of the zone each copy stands for.

    >>> [circle] = geodesic_circles(np.array([179.99]), np.array([0.0]), 5.0)
    >>> copies, index = meridian_copies(np.array([circle]))
    >>> index.tolist(), round(copies[0].bounds[0], 2)
    ([0], -180.05)
    """
    present = ~shapely.is_missing(zones)
    bounds = np.full((len(zones), 4), np.nan)
    bounds[present] = shapely.bounds(zones[present])
    with np.errstate(invalid="ignore"):
        east, west = bounds[:, 2] > 180.0, bounds[:, 0] < -180.0
    parts = [(np.flatnonzero(east), -360.0), (np.flatnonzero(west), 360.0)]
    copies = [shapely.transform(zones[index], lambda xy, s=shift: xy + np.array([s, 0.0]))
              for index, shift in parts]
    return (np.concatenate(copies) if copies else np.array([], dtype=object),
            np.concatenate([index for index, _ in parts]))
