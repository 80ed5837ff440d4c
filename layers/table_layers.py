"""CSV and Excel tables as point (or WKT) layers: find the coordinate columns, build geometries.

Column detection reuses the deposit-table vocabulary (:mod:`sites.deposit_tables`) with a
few more spellings; any WKT geometry type is accepted. No-data markers (-9999.99 and
friends) and blanks become missing coordinates, and those rows are counted and skipped.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from openpyxl.utils.exceptions import InvalidFileException
from pyproj import CRS
from pyproj.exceptions import CRSError

from domain.i18n import ntr, tr
from layers.coordinates import LAT_LON_PAIRS, NO_DATA_VALUES, WKT_COLUMNS
from layers.errors import LayerError
from layers.table_text import (
    blank_rows,
    clean_text,
    column_keys,
    detect_encoding,
    map_unique,
    read_text_table,
)

LAT_KEYS = ("latitude", "lat", "lat_wgs84", "latitude_wgs84", "lat_dd", "y_coord", "northing")
LON_KEYS = ("longitude", "lon", "long", "lng", "long_wgs84", "lon_wgs84", "longitude_wgs84",
            "lon_dd", "x_coord", "easting")  # fmt: skip
MORE_WKT_COLUMNS = ("wkt_geom", "the_geom", "shape", "geometry_wkt")
PROJECTED_PAIRS = (("y", "x"), ("northing", "easting"), ("y_coord", "x_coord"),
                   ("point_y", "point_x"))
# latitude/longitude headers with a datum in them: Lat83, LONG_NAD27, lat_wgs84
DATUM_LAT = re.compile(r"^(?:lat|latitude)_?(nad_?83|nad_?27|wgs_?84|83|27|84)$")
DATUM_LON = re.compile(r"^(?:lon|long|lng|longitude)_?(nad_?83|nad_?27|wgs_?84|83|27|84)$")
DATUMS = {"83": ("EPSG:4269", "NAD83"), "27": ("EPSG:4267", "NAD27"), "84": ("EPSG:4326", "WGS 84")}
SRID_PREFIX = r"(?i)^\s*SRID=(\d+)\s*;\s*"
EXCEL_ERRORS = (zipfile.BadZipFile, InvalidFileException, KeyError, TypeError, ValueError,
                OSError, IndexError, SyntaxError, zlib.error, EOFError)
"""What openpyxl (and zipfile under it) raises on a malformed or damaged workbook; XML
parse errors are SyntaxError subclasses."""


@dataclass
class TableLayer:
    """One table (a CSV file or an Excel sheet) read as a layer, with what was found."""

    name: str
    columns: list[str]
    frame: gpd.GeoDataFrame | None = None  # native coordinates, crs set only from a crs column
    encoding: str | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    has_coordinates: bool = False  # coordinate columns found (frame may still be None: error)
    coordinate_columns: list[str] = field(default_factory=list)  # (x, y) as read
    other_coordinate_columns: list[str] = field(default_factory=list)  # (x, y) not read
    notes: list[str] = field(default_factory=list)


def read_csv_table(path: Path, name: str,
                   columns: tuple[str, str] | None = None) -> TableLayer:
    """A CSV upload as a layer; problems go to ``error`` rather than being raised."""
    try:
        encoding = detect_encoding(path)
        frame = read_text_table(path, encoding)
    except LayerError as exc:
        return TableLayer(name="", columns=[], error=str(exc))
    frame = frame[~blank_rows(frame)]
    rows = frame.index.to_numpy() + 2  # as a spreadsheet numbers them: the header is row 1
    layer = table_layer(frame.reset_index(drop=True), name, sheet="", row_numbers=rows,
                        columns=columns)
    layer.encoding = encoding
    if encoding not in ("utf-8", "utf-8-sig", "utf-16"):
        layer.warnings.append(tr("{name} is not UTF-8; it was read as {encoding} "
                                 "(Windows/Latin-1).").format(name=name, encoding=encoding))
    return layer


def read_excel_tables(path: Path, name: str,
                      columns: tuple[str, str] | None = None) -> list[TableLayer]:
    """Every sheet of a workbook as a layer (sheets without coordinates carry an error)."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    except EXCEL_ERRORS as exc:
        detail = str(exc).strip() or type(exc).__name__
        return [TableLayer(name="", columns=[], error=tr(
            "{name} is not a readable Excel workbook ({detail}); open it in Excel and save it "
            "again as .xlsx (Excel Workbook), or save the sheet as CSV, and upload that.")
            .format(name=name, detail=detail))]
    layers = []
    for sheet, frame in sheets.items():
        frame = frame.dropna(how="all")
        rows = frame.index.to_numpy() + 2
        layers.append(table_layer(frame.reset_index(drop=True), name, sheet=str(sheet),
                                  row_numbers=rows, columns=columns))
    return layers


def table_layer(frame: pd.DataFrame, name: str, sheet: str,
                row_numbers: np.ndarray | None = None,
                columns: tuple[str, str] | None = None) -> TableLayer:
    """Geometries from the coordinate columns of one table; an error when there are none,
    or when its ``crs``/``srid``/``epsg`` column names a coordinate system we do not know.

    ``row_numbers`` are the rows as the file numbers them (default: position + 2, below a
    header row), for messages. ``columns`` are the (x, y) columns the user chose; else a
    latitude/longitude pair is read before projected X/Y, and the other pair is offered.
    """
    label = tr("{name}, sheet {sheet}").format(name=name, sheet=repr(sheet)) if sheet else name
    keys = column_keys(frame.columns)
    if columns is not None and not set(columns) <= {str(c) for c in frame.columns}:
        return TableLayer(name=sheet, columns=[str(c) for c in frame.columns], error=tr(
            "{label} has no columns {x} and {y} to read coordinates from; choose two of its "
            "columns: {columns}.").format(label=label, x=repr(columns[0]), y=repr(columns[1]),
                                          columns=", ".join(map(str, frame.columns))))
    geographic, projected = _lat_lon_pair(keys), _projected_pair(keys)
    pair = (columns[1], columns[0]) if columns else (geographic or projected)
    others = [p for p in (geographic, projected) if p is not None and p != pair]
    layer = _table_layer(frame, label, sheet, row_numbers, pair)
    if pair is not None and layer.frame is not None:
        layer.coordinate_columns = [pair[1], pair[0]]
        _datum_from_names(layer, pair, label)
        if others:
            layer.other_coordinate_columns = [others[0][1], others[0][0]]
            layer.notes.append(tr(
                "{label}: coordinates are read from {x} and {y}; the table also has {other_x} "
                "and {other_y}. To place the features by those instead, choose them as the "
                "coordinate columns (on the command line --xy {xy}).").format(
                label=label, x=repr(pair[1]), y=repr(pair[0]), other_x=repr(others[0][1]),
                other_y=repr(others[0][0]), xy=f"{others[0][1]},{others[0][0]}"))
    return layer


def _datum_from_names(layer: TableLayer, pair: tuple[str, str], label: str) -> None:
    """Set the CRS a latitude/longitude pair names (Lat83: NAD83), unless a column states
    one; say so."""
    assert layer.frame is not None
    found = [DATUM_LAT.match(column_keys([pair[0]]).popitem()[0]),
             DATUM_LON.match(column_keys([pair[1]]).popitem()[0])]
    datums = {re.sub(r"\D", "", m.group(1)) for m in found if m}
    if len(datums) != 1 or layer.frame.crs is not None:
        return
    code, datum = DATUMS[datums.pop()]
    layer.frame = layer.frame.set_crs(code)
    layer.notes.append(tr("{label}: the column names say the datum: longitude/latitude on "
                          "{datum} ({code}).").format(label=label, datum=datum, code=code))


def _projected_pair(keys: dict[str, str]) -> tuple[str, str] | None:
    """The (Y, X) headers of projected coordinates, e.g. ``Y`` and ``X`` or northing/easting."""
    return next(((keys[y], keys[x]) for y, x in PROJECTED_PAIRS if y in keys and x in keys),
                None)


def _table_layer(frame: pd.DataFrame, label: str, sheet: str, row_numbers: np.ndarray | None,
                 pair: tuple[str, str] | None) -> TableLayer:
    """The layer from the (latitude, longitude) ``pair``, else from a WKT column."""
    columns = [str(column) for column in frame.columns]
    keys = column_keys(frame.columns)
    wkt = next((keys[k] for k in (*WKT_COLUMNS, *MORE_WKT_COLUMNS) if k in keys), None)
    layer = TableLayer(name=sheet, columns=columns)
    if pair is None and wkt is None:
        layer.error = tr(
            "{label} has no coordinate columns (columns found: {columns}). Add longitude and "
            "latitude columns (e.g. 'lon' and 'lat') or a WKT geometry column (e.g. 'wkt' "
            "holding 'POINT (-117.2 39.5)').").format(label=label,
                                                      columns=", ".join(columns) or tr("none"))
        return layer
    if pair is not None:
        geometry, missing, markers = _points(frame[pair[1]], frame[pair[0]])
        used = list(pair)
    else:
        assert wkt is not None
        geometry, missing, markers, srid = _wkt_geometries(frame[wkt])
        used = [wkt]
    layer.has_coordinates = True
    rows = np.arange(len(frame)) + 2 if row_numbers is None else row_numbers
    stated, problem = _stated_crs(frame, keys, rows)
    if problem:
        layer.error = tr("{name}: {problem}").format(name=label, problem=problem)
        return layer
    crs = stated or (f"EPSG:{srid}" if pair is None and srid else None)
    properties = _typed(frame.drop(columns=used))
    layer.frame = gpd.GeoDataFrame(properties, geometry=geometry, crs=crs)
    layer.warnings += _missing_warnings(label, missing, markers, len(frame))
    return layer


def _lat_lon_pair(keys: dict[str, str]) -> tuple[str, str] | None:
    """The (latitude, longitude) headers: the deposit-table pairs first, then other spellings,
    then names with a datum (``Lat83``/``Long83``); projected X/Y pairs are not taken here."""
    for lat, lon in LAT_LON_PAIRS:
        if lat in keys and lon in keys and (lat, lon) not in PROJECTED_PAIRS:
            return keys[lat], keys[lon]
    lat_key = next((k for k in LAT_KEYS if k in keys), None)
    lon_key = next((k for k in LON_KEYS if k in keys), None)
    if lat_key and lon_key and (lat_key, lon_key) not in PROJECTED_PAIRS:
        return keys[lat_key], keys[lon_key]
    lat_key = next((k for k in keys if DATUM_LAT.match(k)), None)
    lon_key = next((k for k in keys if DATUM_LON.match(k)), None)
    return (keys[lat_key], keys[lon_key]) if lat_key and lon_key else None


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
    # None where blank: shapely refuses the NaN a text column's where() would give
    given = text.to_numpy(dtype=object)
    given[(text == "").to_numpy()] = None
    geometry = shapely.from_wkt(given, on_invalid="ignore")
    missing = int(shapely.is_missing(geometry).sum())
    return geometry, missing, 0, (str(srids[0]) if len(srids) == 1 else None)


def _stated_crs(frame: pd.DataFrame, keys: dict[str, str],
                rows: np.ndarray) -> tuple[str | None, str | None]:
    """A CRS named by a ``crs``/``srid``/``epsg`` column, when every row names the same one;
    and what is wrong when a row names one we do not know (with the rows and the value).

    Codes are read as EPSG codes, also as a spreadsheet stores them (``4326.0``).
    """
    column = next((keys[k] for k in ("crs", "srid", "epsg") if k in keys), None)
    if column is None:
        return None, None
    text = clean_text(frame[column].astype("str"))
    given = text != ""
    codes = map_unique(text[given], _crs_code)
    unknown = codes[codes == ""]
    if len(unknown):
        values = text[given][unknown.index]
        value = str(values.iloc[0])
        where = rows[values.index[values == value]]
        shown = ", ".join(str(r) for r in where[:5]) + (" …" if len(where) > 5 else "")
        others = values.nunique() - 1
        more = ntr(" (and {n} other unknown value)", " (and {n} other unknown values)",
                   others).format(n=others) if others else ""
        in_rows = ntr("row {rows}", "rows {rows}", len(where)).format(rows=shown)
        return None, tr(
            "the {column} column names a coordinate system we do not know: {value} in "
            "{where}{more}. Give an EPSG code such as 4326 (longitude/latitude, WGS 84) or "
            "26911 (UTM zone 11N), or remove the column if the coordinates are longitude and "
            "latitude.").format(column=repr(column), value=repr(value), where=in_rows,
                                more=more)
    named = codes.unique()
    return (str(named[0]) if len(named) == 1 else None), None


def _crs_code(value: str) -> str:
    """``EPSG:4326`` for ``4326``, ``4326.0`` or ``epsg:4326``; another CRS text as it is
    when PROJ knows it; empty when it does not.

    >>> _crs_code("4326.0"), _crs_code("EPSG:26911"), _crs_code("not a crs")
    ('EPSG:4326', 'EPSG:26911', '')
    """
    code = re.fullmatch(r"(?i)\s*(?:epsg\s*:\s*)?(\d+)(?:\.0*)?\s*", value)
    text = f"EPSG:{code.group(1)}" if code else value
    try:
        CRS.from_user_input(text)
    except CRSError:
        return ""
    return text


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
    detail = tr(", {n} of them with no-data markers such as -9999").format(
        n=f"{markers:,}") if markers else ""
    return [tr("{label}: {n} of {rows} rows have no usable coordinates (blank, not a "
               "number{detail}); they are skipped.").format(
        label=label, n=f"{missing:,}", rows=f"{rows:,}", detail=detail)]
