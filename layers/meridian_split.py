"""Lines and polygons that wrap around the 180th meridian, split there so that they draw: the
one place both the upload checks and the GeoJSON writer do it."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import antimeridian
import numpy as np
import shapely

FIXES: dict[str, Callable[..., shapely.Geometry]] = {
    "Polygon": antimeridian.fix_polygon, "MultiPolygon": antimeridian.fix_multi_polygon,
    "LineString": antimeridian.fix_line_string,
    "MultiLineString": antimeridian.fix_multi_line_string,
}


def spanning_half_the_world(geoms: np.ndarray) -> np.ndarray:
    """Positions of the geometries whose longitudes span more than 180°."""
    bounds = shapely.bounds(geoms)
    return np.flatnonzero((bounds[:, 2] - bounds[:, 0]) > 180)


def split_where_wrapping(geoms: np.ndarray,
                         candidates: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """The geometries with every line or polygon that jumps more than 180° between two vertices
    split at 180° (of ``candidates`` only, when given); and how many were split."""
    if candidates is None:
        candidates = spanning_half_the_world(geoms)
    wrapped = [i for i in candidates if shapely.get_dimensions(geoms[i]) > 0 and wraps(geoms[i])]
    if not wrapped:
        return geoms, 0
    geoms, done = geoms.copy(), 0
    for i in wrapped:
        fixed = split(geoms[i])
        if fixed is not geoms[i]:
            geoms[i], done = fixed, done + 1
    return geoms, done


def wraps(geom: shapely.Geometry) -> bool:
    """Whether a ring or line jumps more than 180° of longitude between two vertices."""
    parts = shapely.get_parts(geom)
    lines = shapely.get_rings(parts) if shapely.get_dimensions(geom) == 2 else parts
    for line in lines:
        x = shapely.get_coordinates(line)[:, 0]
        step = np.abs(np.diff(x)) > 180
        along = (np.abs(x[:-1]) == 180) & (np.abs(x[1:]) == 180)  # a side on the meridian itself
        if (step & ~along).any():
            return True
    return False


def split(geom: shapely.Geometry) -> shapely.Geometry:
    """The geometry split at the antimeridian by the ``antimeridian`` package; the geometry
    itself when the package cannot split it: a polygon that is not valid (a vertex out of
    range, no area), which the checks report on their own, when the repair was not chosen.

    Straight lines in longitude/latitude (not great circles), as the web map draws them. A
    geometry with heights is split in two dimensions: the package inserts its points on the
    meridian without a height (and fails on a mix), and the map draws none.

    >>> split(shapely.from_wkt("LINESTRING Z (179 0 5, -179 0 5)")).wkt
    'MULTILINESTRING ((179 0, 180 0), (-180 0, -179 0))'
    """
    flat = shapely.force_2d(geom) if shapely.has_z(geom) else geom
    fix = FIXES.get(geom.geom_type)
    if fix is None or (geom.geom_type.endswith("Polygon") and not shapely.is_valid(flat)):
        return geom  # the package asserts on, or refuses, a polygon that is not valid
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", antimeridian.FixWindingWarning)
        try:
            return fix(flat, great_circle=False)
        except ValueError:  # "Fixed polygon is invalid, check your input polygon ..."
            return geom
