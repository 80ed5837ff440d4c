"""Turn coordinate columns into WGS84 longitudes and latitudes, with a reason for each rejected row.

Coordinates come from a latitude/longitude pair or a WKT ``POINT`` column, in the CRS named
by an SRID prefix, a CRS column or else EPSG:4326. Rows that cannot be placed are flagged
on a :class:`RowReasons` rather than dropped, so a caller can report them by row.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from domain.i18n import N_, tr
from layers.table_text import clean_text, constant_text

NO_DATA_VALUES = (-999.0, -9999.0, -9999.99, -99999.0)
NULL_ISLAND = N_("coordinates 0, 0 ('null island') are a placeholder, not a location")
WGS84 = "EPSG:4326"
# column names (lower case) that hold a WKT geometry, and latitude/longitude pairs
WKT_COLUMNS = ("location", "wkt", "geometry", "geom")
LAT_LON_PAIRS = (
    ("latitude", "longitude"), ("lat", "lon"), ("lat", "long"), ("lat", "lng"),
    ("lat_wgs84", "long_wgs84"), ("approx_lat", "approx_lon"), ("dec_lat", "dec_long"),
    ("dec_lat", "dec_lon"), ("y", "x"),
)  # fmt: skip
# RE2 syntax (pyarrow): optional SRID prefix, POINT [Z|M|ZM] (x y [z [m]])
WKT_POINT_PATTERN = (
    r"(?i)^\s*(?:SRID=(?P<srid>\d+)\s*;\s*)?POINT\s*(?:ZM|Z|M)?\s*"
    r"\(\s*(?P<x>[^\s()]+)\s+(?P<y>[^\s()]+)(?:\s+[^\s()]+){0,2}\s*\)\s*$"
)


class RowReasons:
    """Why rows are skipped, by row label; the first reason a row is given wins.

    Reasons are in the language of the run that reads the table (a person reads them in
    the report); a run is one language, so reasons of one kind still group together.
    """

    def __init__(self, index: pd.Index) -> None:
        self.index = index
        self.ok = np.ones(len(index), dtype=bool)
        self.why: dict[int, str] = {}

    def flag(self, mask: pd.Series | np.ndarray, why: Callable[[int], str]) -> None:
        """Give rows in ``mask`` that have no reason yet the reason ``why(row label)``."""
        todo = np.asarray(mask, dtype=bool) & self.ok
        if todo.any():
            self.why.update((int(label), why(int(label))) for label in self.index[todo])
            self.ok &= ~todo


def wgs84_coordinates(
    frame: pd.DataFrame,
    reasons: RowReasons,
    *,
    lat: str | None = None,
    lon: str | None = None,
    wkt: str | None = None,
    crs: str | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Longitudes and latitudes in EPSG:4326 from a WKT column or a lat/lon column pair.

    Unusable rows are given a reason on ``reasons``; ``crs`` names an optional column that
    gives each row's CRS (an SRID prefix in the WKT wins over it).
    """
    if wkt is not None:
        x_text, y_text, srid = _split_wkt(frame, wkt, reasons)
    else:
        assert lat is not None and lon is not None
        x_text, y_text = clean_text(frame[lon]), clean_text(frame[lat])
        srid = constant_text("", frame.index)
    x, y = _numbers(x_text, y_text, reasons)
    declared = constant_text("", frame.index) if crs is None else clean_text(frame[crs])
    names = srid.where(srid != "", declared)
    names = names.where(names != "", WGS84)
    lons, lats = _to_wgs84(x, y, names, reasons)
    unconverted = tr("coordinates could not be converted from {crs} to {wgs84}")
    reasons.flag(
        ~np.isfinite(lats) | ~np.isfinite(lons),
        lambda i: unconverted.format(crs=names[i], wgs84=WGS84),
    )
    bad_lat = tr("latitude {value} is outside -90..90")
    bad_lon = tr("longitude {value} is outside -180..180")
    reasons.flag(lats.abs() > 90, lambda i: bad_lat.format(value=_num(lats[i])))
    reasons.flag(lons.abs() > 180, lambda i: bad_lon.format(value=_num(lons[i])))
    return lons, lats


def _split_wkt(
    frame: pd.DataFrame, column: str, reasons: RowReasons
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """X and Y text and any SRID from ``POINT (x y)`` text; other geometries are flagged."""
    text = clean_text(frame[column])
    parts = pc.extract_regex(
        pa.array(text.to_numpy(dtype=object), type=pa.string()), WKT_POINT_PATTERN
    )
    matched = parts.is_valid().to_numpy(zero_copy_only=False)
    label = column.rstrip(" *")
    not_point = tr("{column} {value} is not a point")
    reasons.flag(
        (text != "").to_numpy() & ~matched,
        lambda i: not_point.format(column=label, value=repr(_short(text[i]))),
    )

    def field(name: str) -> pd.Series:
        values = pd.Series(parts.field(name).to_numpy(zero_copy_only=False), index=text.index)
        return values.where(matched, "").fillna("").astype("str")

    srid = field("srid")
    return field("x"), field("y"), srid.where(srid == "", "EPSG:" + srid)


def _numbers(
    x_text: pd.Series, y_text: pd.Series, reasons: RowReasons
) -> tuple[pd.Series, pd.Series]:
    """Parse coordinates as numbers, flagging missing, non-numeric, no-data and 0,0 rows."""
    x = pd.to_numeric(x_text, errors="coerce").astype(float)
    y = pd.to_numeric(y_text, errors="coerce").astype(float)
    reasons.flag((x_text == "") & (y_text == ""), _always(tr("no coordinates")))
    reasons.flag(y_text == "", _always(tr("no latitude")))
    reasons.flag(x_text == "", _always(tr("no longitude")))
    lat_text = tr("latitude {value} is not a number")
    lon_text = tr("longitude {value} is not a number")
    reasons.flag(y.isna(), lambda i: lat_text.format(value=repr(y_text[i])))
    reasons.flag(x.isna(), lambda i: lon_text.format(value=repr(x_text[i])))
    lat_marker = tr("latitude {value} is a no-data marker")
    lon_marker = tr("longitude {value} is a no-data marker")
    reasons.flag(y.isin(NO_DATA_VALUES), lambda i: lat_marker.format(value=y_text[i]))
    reasons.flag(x.isin(NO_DATA_VALUES), lambda i: lon_marker.format(value=x_text[i]))
    reasons.flag((x == 0) & (y == 0), _always(tr(NULL_ISLAND)))
    return x, y


def _to_wgs84(
    x: pd.Series, y: pd.Series, crs: pd.Series, reasons: RowReasons
) -> tuple[pd.Series, pd.Series]:
    """Reproject each CRS group to EPSG:4326 (lon, lat); unknown CRS names are flagged."""
    lon, lat = x.copy(), y.copy()
    for name in crs.unique():
        rows = (crs == name).to_numpy()
        target = _crs(str(name))
        if target is None:
            reasons.flag(rows, _always(tr("unknown CRS {name}").format(name=repr(name))))
            lon[rows] = lat[rows] = np.nan
        elif target.to_epsg() != 4326:
            transformer = Transformer.from_crs(target, WGS84, always_xy=True)
            lon[rows], lat[rows] = transformer.transform(x[rows].to_numpy(), y[rows].to_numpy())
    return lon, lat


@functools.lru_cache(maxsize=64)
def _crs(name: str) -> CRS | None:
    """A CRS from text such as ``EPSG:3857`` or ``3857``, or None when not recognised."""
    try:
        return CRS.from_user_input(f"EPSG:{name}" if name.isdigit() else name)
    except CRSError:
        return None


def _always(reason: str) -> Callable[[int], str]:
    """A reason that does not depend on the row."""
    return lambda _label: reason


def _num(value: float) -> str:
    """A coordinate for a message: ``96.2``, not ``96.200000000001``."""
    return format(value, ".10g")


def _short(text: str, limit: int = 40) -> str:
    """Text cut to ``limit`` characters for a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
