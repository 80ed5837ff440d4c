"""An RFC 7946 validator for the tests: what breaks the standard (or our export rules) in a
parsed GeoJSON FeatureCollection."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def rfc7946_problems(document: dict, precision: int = 6) -> list[str]:
    """What breaks RFC 7946 (or our export rules) in a parsed FeatureCollection; [] when fine.

    Checks: no ``crs`` member, no per-feature ``bbox``, every feature a Feature with
    ``properties`` and a unique ``id``, positions in range with at most ``precision`` decimals,
    closed rings, exterior rings counter-clockwise and holes clockwise, no polygon spanning
    more than 180° of longitude (it should have been split at the antimeridian).

    >>> rfc7946_problems({"type": "FeatureCollection", "features": [], "crs": {}})
    ["has a 'crs' member (RFC 7946 GeoJSON is always WGS84 longitude/latitude)"]
    """
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        return ["is not a FeatureCollection object"]
    problems = []
    if "crs" in document:
        problems.append("has a 'crs' member (RFC 7946 GeoJSON is always WGS84 "
                        "longitude/latitude)")
    features = document.get("features")
    if not isinstance(features, list):
        return [*problems, "has no 'features' array"]
    findings = _Findings(precision)
    for number, feature in enumerate(features, start=1):
        findings.check_feature(number, feature)
    return problems + findings.messages() + _id_problems(features)


class _Findings:
    """Problems found so far, each with the features that have it; positions to check."""

    def __init__(self, precision: int) -> None:
        self.precision = precision
        self.found: dict[str, list[str]] = {}
        self.positions: list[np.ndarray] = []
        self.owners: list[str] = []

    def add(self, problem: str, label: str) -> None:
        self.found.setdefault(problem, []).append(label)

    def check_feature(self, number: int, feature: object) -> None:
        """Note what is wrong with one feature; keep its positions for a vectorised check."""
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            self.add("is not a Feature object", f"#{number}")
            return
        label = str(feature.get("id", f"#{number}"))
        if "bbox" in feature:
            self.add("has a per-feature 'bbox' member", label)
        if "properties" not in feature:
            self.add("has no 'properties' member", label)
        if feature.get("geometry") is None:
            return
        try:
            arrays, polygons = _geometry_parts(feature["geometry"])
        except (TypeError, ValueError, KeyError, AttributeError):
            self.add("has malformed geometry", label)
            return
        self.positions.extend(arrays)
        self.owners.extend([label] * len(arrays))
        for polygon in polygons:
            self._check_polygon(polygon, label)

    def _check_polygon(self, rings: list[np.ndarray], label: str) -> None:
        if any(len(ring) < 4 or (ring[0] != ring[-1]).any() for ring in rings):
            self.add("has an unclosed ring or one with fewer than 4 positions", label)
            return
        if rings and _signed_area(rings[0]) < 0:
            self.add("has a clockwise exterior ring", label)
        if any(_signed_area(hole) > 0 for hole in rings[1:]):
            self.add("has a counter-clockwise hole", label)
        if rings and np.ptp(rings[0][:, 0]) > 180:
            self.add("has a polygon spanning more than 180° of longitude (not split at the "
                     "antimeridian)", label)

    def messages(self) -> list[str]:
        """One line per problem: how many features have it, and a few of their ids."""
        self._check_positions()
        return [f"{len(labels):,} {'feature' if len(labels) == 1 else 'features'}: {problem} "
                f"(e.g. {', '.join(labels[:3])})" for problem, labels in self.found.items()]

    def _check_positions(self) -> None:
        """Ranges and decimals of every position at once."""
        if not self.positions:
            return
        sizes = [len(array) for array in self.positions]
        owners = np.repeat(np.array(self.owners, dtype=object), sizes)
        xy = np.concatenate([array[:, :2] for array in self.positions])
        outside = (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
        tolerance = 10.0 ** -(self.precision + 3)
        precise = (np.abs(np.round(xy, self.precision) - xy) > tolerance).any(axis=1)
        for label in dict.fromkeys(owners[outside]):
            self.add("has positions outside longitude -180…180 or latitude -90…90", label)
        for label in dict.fromkeys(owners[precise]):
            self.add(f"has coordinates with more than {self.precision} decimals", label)


def _geometry_parts(geometry: dict) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """Every coordinate array of a GeoJSON geometry, and its polygons as lists of rings."""
    kind = geometry["type"]
    if kind == "GeometryCollection":
        arrays: list[np.ndarray] = []
        polygons: list[list[np.ndarray]] = []
        for member in geometry["geometries"]:
            more_arrays, more_polygons = _geometry_parts(member)
            arrays += more_arrays
            polygons += more_polygons
        return arrays, polygons
    coordinates: Any = geometry["coordinates"]
    if kind == "Point":
        return [_positions([coordinates] if coordinates else [])], []
    if kind in ("MultiPoint", "LineString"):
        return [_positions(coordinates)], []
    if kind == "MultiLineString":
        return [_positions(line) for line in coordinates], []
    if kind == "Polygon":
        rings = [_positions(ring) for ring in coordinates]
        return rings, [rings]
    if kind == "MultiPolygon":
        polygons = [[_positions(ring) for ring in polygon] for polygon in coordinates]
        return [ring for polygon in polygons for ring in polygon], polygons
    raise ValueError(f"unknown geometry type {kind!r}")


def _positions(coordinates: list) -> np.ndarray:
    """A list of GeoJSON positions as an (n, 2 or 3) float array; ValueError if it is not one."""
    array = np.asarray(coordinates, dtype=float)
    if array.size == 0:
        return np.empty((0, 2))
    if array.ndim != 2 or array.shape[1] not in (2, 3):
        raise ValueError("a position has 2 or 3 numbers")
    return array


def _signed_area(ring: np.ndarray) -> float:
    """Twice the shoelace area: positive when the ring runs counter-clockwise."""
    x, y = ring[:, 0], ring[:, 1]
    return float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


def _id_problems(features: list) -> list[str]:
    """Missing and repeated feature ids."""
    ids = [feature.get("id") for feature in features if isinstance(feature, dict)]
    missing = sum(value is None for value in ids)
    counts = pd.Series([value for value in ids if value is not None], dtype=object).value_counts()
    repeated = counts[counts > 1]
    problems = [f"{missing:,} features have no 'id'"] if missing else []
    problems += [f"id {value!r} is used by {count} features" for value, count in
                 repeated.head(5).items()]
    return problems
