"""RFC 7946 GeoJSON, written fast from a whole frame; plus the column typing every export shares.

The text is built from whole arrays: shapely writes the geometries (rounded, rewound, split at
the antimeridian), pandas writes the properties, Arrow joins the pieces. Only the few features
that wrap around the antimeridian go through Python one by one.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from layers.vector_checks import _fix, _wraps

__all__ = ["ExportTable", "Kind", "export_table", "geojson_bytes", "rfc7946_geojson",
           "rfc7946_problems", "text_columns"]

WGS84 = "EPSG:4326"
MAX_PRECISION = 15


_OBJECT_DTYPES: dict[str, Any] = {"integer": "Int64", "boolean": "boolean",
                                  "floating": "float64", "mixed-integer-float": "float64"}


class Kind(StrEnum):
    """What an attribute column holds, as far as export formats care."""

    TEXT = "text"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    LIST = "list"


@dataclass(frozen=True)
class ExportTable:
    """A frame checked for export: ids, typed attribute columns, geometries in EPSG:4326."""

    ids: pd.Series
    columns: pd.DataFrame
    kinds: dict[str, Kind]
    geoms: np.ndarray

    def with_id(self, columns: pd.DataFrame) -> pd.DataFrame:
        """``columns`` with the ``id`` column put first."""
        return pd.concat([self.ids.rename("id"), columns], axis=1)


def export_table(frame: gpd.GeoDataFrame) -> ExportTable:
    """Check the input contract (``id`` column of unique strings, a CRS) and type the columns.

    Raises ``ValueError`` when the contract is broken: that is the caller's bug, not the user's.
    """
    if "id" not in frame.columns:
        raise ValueError("an export needs an 'id' column (the stable feature id)")
    if frame.crs is None:
        raise ValueError("an export needs a frame with a CRS (EPSG:4326 expected)")
    if not frame.crs.equals(WGS84):
        frame = frame.to_crs(WGS84)
    ids = frame["id"].reset_index(drop=True).astype("str")
    if ids.isna().any() or not ids.is_unique:
        raise ValueError("the 'id' column must hold unique, non-missing values")
    attributes = pd.DataFrame(frame.drop(columns=["id", frame.geometry.name]))
    attributes = attributes.reset_index(drop=True).rename(columns=str)
    typed = {name: _typed(attributes[name]) for name in attributes.columns}
    columns = pd.DataFrame({name: values for name, (values, _) in typed.items()},
                           index=ids.index)
    kinds = {name: kind for name, (_, kind) in typed.items()}
    geoms = np.asarray(frame.geometry.array, dtype=object).copy()
    geoms[shapely.is_empty(geoms)] = None
    return ExportTable(ids, columns, kinds, geoms)


def _typed(values: pd.Series) -> tuple[pd.Series, Kind]:
    """The column in its canonical dtype, and its kind."""
    dtype = values.dtype
    if isinstance(dtype, pd.ArrowDtype):
        values = _from_arrow(values)
        dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return values, Kind.BOOL
    if pd.api.types.is_integer_dtype(dtype):
        return values, Kind.INT
    if pd.api.types.is_float_dtype(dtype):
        return values.where(np.isfinite(values.astype(float))), Kind.FLOAT
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _datetimes(values)
    if isinstance(dtype, pd.ArrowDtype) and pa.types.is_date(dtype.pyarrow_dtype):
        return values, Kind.DATE
    if pd.api.types.is_object_dtype(dtype):
        return _typed_objects(values)
    return values.astype("str"), Kind.TEXT


def _from_arrow(values: pd.Series) -> pd.Series:
    """Arrow-backed lists as Python lists, other Arrow types as pandas' own dtypes."""
    arrow_type = values.dtype.pyarrow_dtype  # type: ignore[union-attr]
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return pd.Series(pa.array(values).to_pylist(), index=values.index, dtype=object)
    if pa.types.is_date(arrow_type):
        return values
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return values.astype("str")
    return pd.Series(pa.array(values).to_pandas(), index=values.index)


def _datetimes(values: pd.Series) -> tuple[pd.Series, Kind]:
    """Naive datetimes that are all at midnight are dates; the rest stay datetimes."""
    present = values.dropna()
    if values.dt.tz is None and bool((present == present.dt.normalize()).all()):
        return values.astype(pd.ArrowDtype(pa.date32())), Kind.DATE
    return values, Kind.DATETIME


def _typed_objects(values: pd.Series) -> tuple[pd.Series, Kind]:
    """An object column by what its values are: dates, lists, numbers or else text."""
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred == "date":
        return values.astype(pd.ArrowDtype(pa.date32())), Kind.DATE
    if inferred in ("datetime", "datetime64"):
        return _datetimes(pd.Series(pd.to_datetime(values, utc=_mixed_zones(values))))
    if inferred in _OBJECT_DTYPES:
        return _typed(values.astype(_OBJECT_DTYPES[inferred]))
    present = values.dropna()
    listed = present.map(lambda v: isinstance(v, list | tuple | np.ndarray))
    if len(present) and bool(listed.all()):  # every value a list: a list of texts
        return values.map(lambda v: [str(x) for x in v] if isinstance(
            v, list | tuple | np.ndarray) else None), Kind.LIST
    if bool(listed.any()):  # lists mixed with other values: each as JSON text
        return values.map(lambda v: json.dumps(list(v), ensure_ascii=False, default=str)
                          if isinstance(v, list | tuple | np.ndarray) else v).astype("str"), \
            Kind.TEXT
    return values.astype("str"), Kind.TEXT


def _mixed_zones(values: pd.Series) -> bool:
    """Whether Python datetimes carry more than one UTC offset (pandas needs ``utc=True``)."""
    offsets = {value.utcoffset() for value in values.dropna().head(1000)}
    return len(offsets) > 1


def text_columns(table: ExportTable, *, join_lists: bool) -> pd.DataFrame:
    """Attribute columns with dates and datetimes as ISO 8601 text; lists joined with "; "
    when ``join_lists``, else kept as Python lists."""
    out = {}
    for name, kind in table.kinds.items():
        values = table.columns[name]
        if kind is Kind.DATE:
            values = _arrow_text(pc.cast(pa.array(values), pa.string()), values.index)
        elif kind is Kind.DATETIME:
            values = _iso_datetimes(values)
        elif kind is Kind.LIST and join_lists:
            values = _arrow_text(joined_lists(values), values.index)
        out[name] = values
    return pd.DataFrame(out, index=table.ids.index)


def _iso_datetimes(values: pd.Series) -> pd.Series:
    """Date-times as ISO 8601 text, with the UTC offset when zoned, fractions only if any."""
    array = pa.array(values)
    for unit in ("s", "ms", "us"):  # a safe cast refuses to drop fractions of a second
        with contextlib.suppress(pa.ArrowInvalid):
            array = pc.cast(array, pa.timestamp(unit, array.type.tz))
            break
    pattern = "%Y-%m-%dT%H:%M:%S" + ("%Ez" if array.type.tz else "")
    return _arrow_text(pc.strftime(array, format=pattern), values.index)


def joined_lists(values: pd.Series) -> pa.Array:
    """Lists of text joined with "; " (Arrow strings; a missing list stays missing)."""
    return pc.binary_join(pa.array(values, from_pandas=True, type=pa.list_(pa.string())), "; ")


def _arrow_text(values: pa.Array, index: pd.Index) -> pd.Series:
    return pd.Series(values.to_pandas(), index=index).astype("str")


def rfc7946_geojson(frame: gpd.GeoDataFrame, precision: int = 6) -> bytes:
    """The frame as an RFC 7946 FeatureCollection in UTF-8 (see :func:`geojson_bytes`)."""
    return geojson_bytes(export_table(frame), precision)[0]


def geojson_bytes(table: ExportTable, precision: int) -> tuple[bytes, list[str]]:
    """An RFC 7946 FeatureCollection and notes on what was changed to make it one.

    Coordinates are rounded to ``precision`` decimals, exterior rings counter-clockwise and
    holes clockwise, lines and polygons wrapping around the antimeridian split at 180°; the
    ``id`` column is each Feature's ``id``; no ``crs`` and no ``bbox`` members; floats keep
    15 significant digits; missing values and NaN are ``null``.
    """
    geometries, split = rfc7946_geometries(table.geoms, precision)
    properties = _properties(text_columns(table, join_lists=False))
    features = pc.binary_join_element_wise(
        '{"type":"Feature","id":', _json_ids(table.ids), ',"geometry":',
        pa.array(geometries, type=pa.string()).fill_null("null"), ',"properties":',
        properties, "}", "")
    body = pc.binary_join(pa.ListArray.from_arrays([0, len(features)], features), ",\n")
    buffer = body[0].as_buffer()  # None for an empty string
    text = b'{"type":"FeatureCollection","features":[\n' + (buffer.to_pybytes() if buffer else b"")
    text = text.replace(b"\\/", b"/")  # pandas escapes every "/": "\/" is never anything else
    notes = [f"{split:,} {'feature was' if split == 1 else 'features were'} split at the "
             "antimeridian (180° longitude), as RFC 7946 asks."] if split else []
    return text + b"\n]}\n", notes


def rfc7946_geometries(geoms: np.ndarray, precision: int) -> tuple[np.ndarray, int]:
    """GeoJSON text of each geometry (``None`` when missing), and how many were split.

    >>> text, split = rfc7946_geometries(np.array([shapely.Point(1.23456789, -0.5)]), 3)
    >>> text.tolist(), split
    (['{"type":"Point","coordinates":[1.235,-0.5]}'], 0)
    """
    if not 0 <= precision <= MAX_PRECISION:
        raise ValueError(f"precision must be 0 to {MAX_PRECISION} decimals, not {precision}")
    geoms, split = _split_antimeridian(geoms)
    rounded = shapely.transform(geoms, _rounder(precision), include_z=None)
    oriented = shapely.orient_polygons(rounded, exterior_cw=False)
    return shapely.to_geojson(oriented), split


def _rounder(precision: int) -> Callable[[np.ndarray], np.ndarray]:
    return lambda coordinates: np.round(coordinates, precision)


def _split_antimeridian(geoms: np.ndarray) -> tuple[np.ndarray, int]:
    """Lines and polygons that jump more than 180° between vertices, split at 180°."""
    bounds = shapely.bounds(geoms)
    candidates = np.flatnonzero((bounds[:, 2] - bounds[:, 0]) > 180)
    wrapped = [i for i in candidates if shapely.get_dimensions(geoms[i]) > 0 and _wraps(geoms[i])]
    if not wrapped:
        return geoms, 0
    geoms = geoms.copy()
    for i in wrapped:
        geoms[i] = _fix(geoms[i])
    return geoms, len(wrapped)


def _json_ids(ids: pd.Series) -> pa.Array:
    """Each id as a JSON string literal (quoted as it is unless it needs escapes)."""
    text = pa.array(ids, type=pa.string())
    if not pc.any(pc.match_substring_regex(text, r'["\\/\x00-\x1f]')).as_py():
        return pc.binary_join_element_wise('"', text, '"', "")
    lines = _json_lines(pd.DataFrame({"id": ids}))
    return pc.utf8_slice_codeunits(lines, 6, -1)  # '{"id":"a"}' -> '"a"'


def _properties(columns: pd.DataFrame) -> pa.Array:
    """Each row as a JSON object, e.g. ``{"name":"x","grade":1.5}`` (``{}`` without columns).

    pandas writes ``[{"name":…},{"name":…}]``; splitting at ``},{"name":`` (the first key) is
    safe because inside a JSON string every quote is escaped.
    """
    if columns.columns.empty or columns.empty:
        return pa.array(["{}"] * len(columns), type=pa.string())
    text = columns.to_json(orient="records", force_ascii=False, double_precision=15)
    key = pd.DataFrame([[columns.columns[0]]]).to_json(orient="values", force_ascii=False)
    head = "{" + key[2:-2] + ":"  # '[["鉱種/名"]]' -> '{"鉱種\/名":' as pandas writes keys
    pieces = text[len(head) + 1:-2].split("}," + head)
    return pc.binary_join_element_wise(head, pa.array(pieces, type=pa.string()), "}", "")


def _json_lines(frame: pd.DataFrame) -> pa.Array:
    """One JSON object per row, as Arrow strings.

    Split on "\\n" only: ``str.splitlines`` would also split inside values holding U+2028.
    """
    text = frame.to_json(orient="records", lines=True, force_ascii=False, double_precision=15)
    return pa.array(text.rstrip("\n").split("\n"), type=pa.string())


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
