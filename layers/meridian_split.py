"""Lines and polygons that wrap around the 180th meridian, split there so that they draw: the
one place both the upload checks and the GeoJSON writer do it."""

from __future__ import annotations

import warnings

import antimeridian
import numpy as np
import shapely


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
    geoms = geoms.copy()
    for i in wrapped:
        geoms[i] = split(geoms[i])
    return geoms, len(wrapped)


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
    """The geometry split at the antimeridian by the ``antimeridian`` package.

    Straight lines in longitude/latitude (not great circles), as the web map draws them.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", antimeridian.FixWindingWarning)
        kind = geom.geom_type
        if kind == "Polygon":
            return antimeridian.fix_polygon(geom, great_circle=False)
        if kind == "MultiPolygon":
            return antimeridian.fix_multi_polygon(geom, great_circle=False)
        if kind == "LineString":
            return antimeridian.fix_line_string(geom, great_circle=False)
        if kind == "MultiLineString":
            return antimeridian.fix_multi_line_string(geom, great_circle=False)
    return geom
