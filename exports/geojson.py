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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from domain.i18n import ntr
from layers.features import WGS84, Features
from layers.meridian_split import split_where_wrapping

__all__ = ["ExportTable", "Kind", "export_table", "geojson_bytes", "rfc7946_geojson",
           "text_columns"]

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
    """Features checked for export: ids, typed attribute columns, geometries in EPSG:4326."""

    ids: pd.Series
    columns: pd.DataFrame
    kinds: dict[str, Kind]
    geoms: np.ndarray

    def with_id(self, columns: pd.DataFrame) -> pd.DataFrame:
        """``columns`` with the ``id`` column put first."""
        return pd.concat([self.ids.rename("id"), columns], axis=1)


def export_table(features: Features) -> ExportTable:
    """Check the input contract (``id`` column of unique strings, CRS EPSG:4326) and type the
    columns.

    Raises ``ValueError`` when the contract is broken: that is the caller's bug, not the user's.
    """
    frame = features.columns
    if "id" not in frame.columns:
        raise ValueError("an export needs an 'id' column (the stable feature id)")
    if features.crs is None:
        raise ValueError("an export needs a frame with a CRS (EPSG:4326 expected)")
    if features.crs != WGS84:
        raise ValueError(f"an export needs features in {WGS84}, not {features.crs}: "
                         "Features.of reprojects a GeoDataFrame")
    ids = frame["id"].reset_index(drop=True).astype("str")
    if ids.isna().any() or not ids.is_unique:
        raise ValueError("the 'id' column must hold unique, non-missing values")
    attributes = frame.drop(columns=["id"]).reset_index(drop=True).rename(columns=str)
    typed = {name: _typed(attributes[name]) for name in attributes.columns}
    columns = pd.DataFrame({name: values for name, (values, _) in typed.items()},
                           index=ids.index)
    kinds = {name: kind for name, (_, kind) in typed.items()}
    geoms = np.asarray(features.geometry, dtype=object).copy()
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


def rfc7946_geojson(features: Features, precision: int = 6) -> bytes:
    """The features as an RFC 7946 FeatureCollection in UTF-8 (see :func:`geojson_bytes`)."""
    return geojson_bytes(export_table(features), precision)[0]


def geojson_bytes(table: ExportTable, precision: int,
                  members: dict[str, Any] | None = None,
                  marking: str | None = None) -> tuple[bytes, list[str]]:
    """An RFC 7946 FeatureCollection (with foreign ``members`` of the collection, such as
    ``"truncated": true``) and notes on what was changed to make it one. A ``marking`` (the
    handling marking's code) is the collection's first member, a foreign member too.

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
    extra = "".join(f",{json.dumps(k)}:{json.dumps(v)}" for k, v in (members or {}).items())
    first = "" if marking is None else f'"marking":{json.dumps(marking)},'
    head = f'{{{first}"type":"FeatureCollection"{extra},"features":[\n'.encode()
    text = head + (buffer.to_pybytes() if buffer else b"")
    text = text.replace(b"\\/", b"/")  # pandas escapes every "/": "\/" is never anything else
    notes = [ntr("{count} feature was split at the antimeridian (180° longitude), as RFC 7946 "
                 "asks.", "{count} features were split at the antimeridian (180° longitude), "
                 "as RFC 7946 asks.", split).format(count=f"{split:,}")] if split else []
    return text + b"\n]}\n", notes


def rfc7946_geometries(geoms: np.ndarray, precision: int) -> tuple[np.ndarray, int]:
    """GeoJSON text of each geometry (``None`` when missing), and how many were split.

    >>> text, split = rfc7946_geometries(np.array([shapely.Point(1.23456789, -0.5)]), 3)
    >>> text.tolist(), split
    (['{"type":"Point","coordinates":[1.235,-0.5]}'], 0)
    """
    if not 0 <= precision <= MAX_PRECISION:
        raise ValueError(f"precision must be 0 to {MAX_PRECISION} decimals, not {precision}")
    geoms, split = split_where_wrapping(geoms)
    rounded = shapely.transform(geoms, _rounder(precision), include_z=None)
    oriented = shapely.orient_polygons(rounded, exterior_cw=False)
    return shapely.to_geojson(oriented), split


def _rounder(precision: int) -> Callable[[np.ndarray], np.ndarray]:
    return lambda coordinates: np.round(coordinates, precision)


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
