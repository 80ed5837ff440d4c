"""Which features of a vector survey layer meet each place, within a ground distance.

A feature meets a place when it touches the place's geodesic circle of that radius
(:func:`layers.geodesic_zones.geodesic_circles`; at distance 0, the point itself: the
polygons it lies in, a line or point exactly on it). Features and places are in
longitude/latitude (EPSG:4326), as the store keeps them; a circle running across the 180th
meridian meets features drawn on either side of it.
"""

from __future__ import annotations

import json
import math

import numpy as np
import shapely

from domain.errors import InputError
from domain.i18n import tr
from layers.geodesic_zones import geodesic_circles, meridian_copies, placed_points

#: Property names that name a feature, in order of preference (as the pre-flight report
#: names features: ``layers.vector_checks.LABEL_KEYS``, without loading geopandas here).
LABEL_KEYS = ("name", "id", "site_id", "site_name", "title", "label", "fid", "objectid")
MAX_DISTANCE_KM = 500.0


def features_near(lons: np.ndarray, lats: np.ndarray, features: np.ndarray,
                  distance_km: float) -> list[np.ndarray]:
    """For each place, the positions (in ``features``, ascending) of the features within
    ``distance_km`` of it; none for a place without a position.

    >>> square = shapely.box(10.0, 0.0, 11.0, 1.0)
    >>> [m.tolist() for m in features_near(np.array([10.5, 9.99, 9.9]), np.zeros(3),
    ...                                   np.array([square]), 2.0)]
    [[0], [0], []]
    """
    check_distance(distance_km)
    lons, lats = np.asarray(lons, dtype="float64"), np.asarray(lats, dtype="float64")
    found: list[np.ndarray] = [np.array([], dtype="int64") for _ in range(len(lons))]
    usable = ~(shapely.is_missing(features) | shapely.is_empty(features))
    if not len(lons) or not usable.any():
        return found
    if distance_km > 0:
        zones = geodesic_circles(lons, lats, distance_km)
    else:
        zones = np.full(len(lons), None, dtype=object)
        placed = placed_points(lons, lats)
        zones[placed] = shapely.points(lons[placed], lats[placed])
    searched = np.array(features, dtype=object)
    searched[~usable] = None
    tree = shapely.STRtree(searched)
    copies, copy_of = meridian_copies(zones)
    zone_index, feature_index = tree.query(zones, predicate="intersects")
    if len(copies):
        more_zones, more_features = tree.query(copies, predicate="intersects")
        zone_index = np.concatenate([zone_index, copy_of[more_zones]])
        feature_index = np.concatenate([feature_index, more_features])
    pairs = np.unique(np.column_stack([zone_index, feature_index]), axis=0)
    for place, matches in _grouped(pairs):
        found[place] = matches
    return found


def check_distance(distance_km: float) -> None:
    """InputError, in words, unless ``distance_km`` is 0 to :data:`MAX_DISTANCE_KM`."""
    if not (math.isfinite(distance_km) and 0 <= distance_km <= MAX_DISTANCE_KM):
        raise InputError(tr("A distance of {distance} km cannot be used: give 0 (the "
                            "features a place lies in or on) up to {limit} km.").format(
            distance=format(distance_km, "g"), limit=format(MAX_DISTANCE_KM, "g")))


def feature_label(properties_json: str, feature_no: int) -> str:
    """What to call a feature: its first naming property (:data:`LABEL_KEYS`, any case),
    else ``feature N``.

    >>> feature_label('{"NAME": "Claim 7", "area": 3}', 7), feature_label("{}", 2)
    ('Claim 7', 'feature 2')
    """
    try:
        properties = json.loads(properties_json or "{}")
    except ValueError:
        properties = {}
    if isinstance(properties, dict):
        keys = {str(k).lower(): k for k in properties}
        for key in LABEL_KEYS:
            value = properties.get(keys.get(key, key))
            if value is not None and str(value).strip():
                return str(value).strip()
    return f"feature {feature_no}"


def _grouped(pairs: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(place, its feature positions) for each place in sorted ``pairs`` of the two."""
    if not len(pairs):
        return []
    places, starts = np.unique(pairs[:, 0], return_index=True)
    ends = [*starts[1:], len(pairs)]
    return [(int(p), pairs[s:e, 1]) for p, s, e in zip(places, starts, ends, strict=True)]
