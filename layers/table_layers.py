"""CSV and Excel tables as point (or WKT) layers: find the coordinate columns, build geometries.

Column detection reuses the deposit-table vocabulary (:mod:`layers.deposit_tables`) with a
few more spellings; any WKT geometry type is accepted. No-data markers (-9999.99 and
friends) and blanks become missing coordinates, and those rows are counted and skipped.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.coordinates import NO_DATA_VALUES
from layers.deposit_tables import LAT_LON_PAIRS, WKT_COLUMNS
from layers.errors import LayerError
from layers.table_text import blank_rows, clean_text, column_keys, detect_encoding, read_text_table

LAT_KEYS = ("latitude", "lat", "lat_wgs84", "latitude_wgs84", "lat_dd", "y_coord", "northing")
LON_KEYS = ("longitude", "lon", "long", "lng", "long_wgs84", "lon_wgs84", "longitude_wgs84",
            "lon_dd", "x_coord", "easting")  # fmt: skip
MORE_WKT_COLUMNS = ("wkt_geom", "the_geom", "shape", "geometry_wkt")
SRID_PREFIX = r"(?i)^\s*SRID=(\d+)\s*;\s*"


@dataclass
class TableLayer:
    """One table (a CSV file or an Excel sheet) read as a layer, with what was found."""

    name: str
    columns: list[str]
    frame: gpd.GeoDataFrame | None = None  # native coordinates, crs set only from a crs column
    encoding: str | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


def read_csv_table(path: Path, name: str) -> TableLayer:
    """A CSV upload as a layer; problems go to ``error`` rather than being raised."""
    try:
        encoding = detect_encoding(path)
        frame = read_text_table(path, encoding)
    except LayerError as exc:
        return TableLayer(name="", columns=[], error=str(exc))
    frame = frame[~blank_rows(frame)].reset_index(drop=True)
    layer = table_layer(frame, name, sheet="")
    layer.encoding = encoding
    if encoding not in ("utf-8", "utf-8-sig"):
        layer.warnings.append(f"{name} is not UTF-8; it was read as {encoding} (Windows/Latin-1).")
    return layer


def read_excel_tables(path: Path, name: str) -> list[TableLayer]:
    """Every sheet of a workbook as a layer (sheets without coordinates carry an error)."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        return [TableLayer(name="", columns=[], error=f"{name} could not be read as an Excel "
                           f"workbook ({exc}); save it again as .xlsx or CSV.")]
    layers = []
    for sheet, frame in sheets.items():
        frame = frame.dropna(how="all").reset_index(drop=True)
        layers.append(table_layer(frame, name, sheet=str(sheet)))
    return layers


def table_layer(frame: pd.DataFrame, name: str, sheet: str) -> TableLayer:
    """Geometries from the coordinate columns of one table; an error when there are none."""
    label = f"{name}, sheet {sheet!r}" if sheet else name
    columns = [str(column) for column in frame.columns]
    keys = column_keys(frame.columns)
    pair = _lat_lon_pair(keys)
    wkt = next((keys[k] for k in (*WKT_COLUMNS, *MORE_WKT_COLUMNS) if k in keys), None)
    layer = TableLayer(name=sheet, columns=columns)
    if pair is None and wkt is None:
        layer.error = (
            f"{label} has no coordinate columns (columns found: {', '.join(columns) or 'none'}). "
            "Add longitude and latitude columns (e.g. 'lon' and 'lat') or a WKT geometry "
            "column (e.g. 'wkt' holding 'POINT (-117.2 39.5)')."
        )
        return layer
    if pair is not None:
        geometry, missing, markers = _points(frame[pair[1]], frame[pair[0]])
        used = list(pair)
    else:
        assert wkt is not None
        geometry, missing, markers, srid = _wkt_geometries(frame[wkt])
        used = [wkt]
    crs = _stated_crs(frame, keys) or (f"EPSG:{srid}" if pair is None and srid else None)
    properties = _typed(frame.drop(columns=used))
    layer.frame = gpd.GeoDataFrame(properties, geometry=geometry, crs=crs)
    layer.warnings += _missing_warnings(label, missing, markers, len(frame))
    return layer


def _lat_lon_pair(keys: dict[str, str]) -> tuple[str, str] | None:
    """The (latitude, longitude) headers: the deposit-table pairs first, then other spellings."""
    for lat, lon in LAT_LON_PAIRS:
        if lat in keys and lon in keys:
            return keys[lat], keys[lon]
    lat_key = next((k for k in LAT_KEYS if k in keys), None)
    lon_key = next((k for k in LON_KEYS if k in keys), None)
    if lat_key and lon_key:
        return keys[lat_key], keys[lon_key]
    return None


def _numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Values as floats (NaN where blank or not a number) and where a no-data marker was."""
    text = values if pd.api.types.is_float_dtype(values) else clean_text(values.astype("str"))
    numbers = np.array(pd.to_numeric(text, errors="coerce"), dtype=float)
    markers = np.isin(numbers, NO_DATA_VALUES)
    numbers[markers] = np.nan
    return numbers, markers


def _points(x_values: pd.Series, y_values: pd.Series) -> tuple[np.ndarray, int, int]:
    """Point geometries (None where a coordinate is missing), missing and marker row counts."""
    x, x_markers = _numbers(x_values)
    y, y_markers = _numbers(y_values)
    usable = np.isfinite(x) & np.isfinite(y)
    geometry = np.full(len(x), None, dtype=object)
    geometry[usable] = shapely.points(x[usable], y[usable])
    markers = int(((x_markers | y_markers) & ~usable).sum())
    return geometry, int((~usable).sum()), markers


def _wkt_geometries(values: pd.Series) -> tuple[np.ndarray, int, int, str | None]:
    """Geometries from WKT text (an ``SRID=n;`` prefix is read), missing count and SRID."""
    text = clean_text(values)
    srids = text.str.extract(SRID_PREFIX, expand=False).dropna().unique()
    text = text.str.replace(SRID_PREFIX, "", regex=True)
    geometry = shapely.from_wkt(text.where(text != "").to_numpy(dtype=object), on_invalid="ignore")
    missing = int(shapely.is_missing(geometry).sum())
    return geometry, missing, 0, (str(srids[0]) if len(srids) == 1 else None)


def _stated_crs(frame: pd.DataFrame, keys: dict[str, str]) -> str | None:
    """A CRS named by a ``crs``/``srid``/``epsg`` column, when every row names the same one."""
    column = next((keys[k] for k in ("crs", "srid", "epsg") if k in keys), None)
    if column is None:
        return None
    text = clean_text(frame[column].astype("str"))
    values = text[text != ""].unique()
    if len(values) != 1:
        return None
    value = str(values[0])
    return f"EPSG:{value}" if value.isdigit() else value


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns that hold only numbers become numbers (not codes with leading zeros)."""
    typed = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_string_dtype(values) or values.dtype == object:
            text = clean_text(values.astype("str"))
            given = text != ""
            numbers = pd.to_numeric(text.where(given), errors="coerce")
            leading_zero = text.str.match(r"^0\d").any()
            if given.any() and numbers[given].notna().all() and not leading_zero:
                typed[str(column)] = numbers
                continue
        typed[str(column)] = values
    return pd.DataFrame(typed, index=frame.index)


def _missing_warnings(label: str, missing: int, markers: int, rows: int) -> list[str]:
    """Warnings about rows without usable coordinates."""
    if not missing:
        return []
    detail = f", {markers:,} of them with no-data markers such as -9999" if markers else ""
    return [
        f"{label}: {missing:,} of {rows:,} rows have no usable coordinates (blank, not a "
        f"number{detail}); they are skipped."
    ]
