"""Export a selection of features to GeoJSON, GeoPackage, CSV, KML, zipped Shapefile or
GeoParquet: one call, bytes back, with notes on what a format could not keep as it was.

Input: :class:`~layers.features.Features` (attribute columns with an ``id`` column of unique
strings, the stable feature id, and shapely geometries in EPSG:4326; ``Features.of`` adapts a
GeoDataFrame). GeoJSON follows RFC 7946 (:mod:`exports.geojson`); the other formats keep
``id`` as an ordinary column.

GeoJSON and CSV are written here from arrays; geopandas and pyogrio (GDAL) are imported only
when a GeoPackage, KML, Shapefile or GeoParquet file is asked for, so that a web app process
serving GeoJSON or CSV never loads them.

Output coordinate system (:mod:`exports.output_crs`): WGS 84 by default. GeoPackage, Shapefile
and GeoParquet may be written in JGD2011 or the Tokyo datum (the system stated in the file);
CSV then adds x and y columns in it beside lon/lat; GeoJSON (RFC 7946) and KML are WGS 84 by
definition and refuse another.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable
from functools import reduce
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from domain.access import PUBLIC
from domain.i18n import N_, ntr, tr
from exports.export_file import ExportFile, ExportFormat
from exports.geojson import (
    ExportTable,
    Kind,
    export_table,
    geojson_bytes,
    joined_lists,
    rfc7946_geojson,
    text_columns,
)
from exports.marking import csv_text, marking_line
from exports.output_crs import WGS84_OUTPUT, OutputCrs, area_note, refuse_crs, reproject
from layers.errors import UnsupportedFormat
from layers.features import Features

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["csv_text", "export_features", "neutralise_formulas", "rfc7946_geojson",
           "shapefile_field_names"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DBF_NAME_BYTES = 10
DBF_TEXT_BYTES = 254
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
INT32 = np.iinfo(np.int32)


#: The file a zipped Shapefile carries its handling marking in (first in the zip).
MARKING_FILE = "MARKING.txt"

Writer = Callable[[ExportTable, str, int, str, OutputCrs], tuple[bytes, list[str]]]



def export_features(features: Features, fmt: ExportFormat, *, stem: str,
                    layer: str = "sites", precision: int = 6,
                    marking: str = PUBLIC, crs: OutputCrs = WGS84_OUTPUT) -> ExportFile:
    """``features`` as one file of format ``fmt`` named ``stem`` + the format's extension.

    ``layer`` names the layer inside GeoPackage, KML and Shapefile; ``precision`` is the
    decimals of GeoJSON coordinates and CSV lon/lat/WKT (the other formats keep full
    precision). ``marking`` (a marking code: the highest of the features') is stated first
    in the file: CSV's first line, GeoJSON's first member, KML's document name and
    description, the GeoPackage layer's description and metadata, a text file first in the
    Shapefile zip, GeoParquet's file metadata. ``crs`` is the output coordinate system
    (:mod:`exports.output_crs`; another than WGS 84 adds ``_epsg<code>`` to the file name).
    Raises ``UnsupportedFormat`` when the features cannot go in that format (mixed geometry
    types in a Shapefile; GeoJSON or KML in another system than WGS 84), ``ValueError``
    when ``features`` break the input contract (no unique ``id`` column, no CRS or another
    than EPSG:4326), InputError for a marking that is not one.
    """
    fmt = ExportFormat(fmt)
    marking = marking.strip().lower()
    marking_line(marking)  # InputError before any work when the code is not a marking
    refuse_crs(fmt, crs)
    data, notes = _WRITERS[fmt](export_table(features), layer, precision, marking, crs)
    return ExportFile(data, f"{stem}{crs.stem_suffix}{fmt.extension}", fmt.media_type, notes)


def _in_crs(table: ExportTable, crs: OutputCrs) -> tuple[np.ndarray, list[str]]:
    """The table's geometries in ``crs``, with a note on those outside its area of use."""
    geoms, outside = reproject(table.geoms, crs)
    return geoms, area_note(outside, crs)


def neutralise_formulas(values: pd.Series) -> tuple[pd.Series, int]:
    """Text cells starting with = + - @ (or tab/CR) prefixed with ', and how many there were.

    Per OWASP "CSV injection": a spreadsheet would run such a cell as a formula. Numbers are
    not text: a negative number stays a number.

    >>> cells, count = neutralise_formulas(pd.Series(["=1+2", "-5 ore", "Li", None]))
    >>> cells.tolist(), count
    (["'=1+2", "'-5 ore", 'Li', nan], 2)
    >>> neutralise_formulas(pd.Series([-5.0, 3.0]))[1]
    0
    """
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
        return values, 0
    risky = values.str.startswith(FORMULA_STARTS).fillna(False).astype(bool)
    count = int(risky.sum())
    return (values.where(~risky, "'" + values.astype("str")) if count else values), count


def shapefile_field_names(names: list[str]) -> dict[str, str]:
    """Each column name cut to the 10 bytes a dBase field name holds, unique ignoring case.

    >>> shapefile_field_names(["id", "next_milestone_date", "next_milestone_kind", "鉱種の一覧"])
    {'id': 'id', 'next_milestone_date': 'next_miles', 'next_milestone_kind': 'next_mil_1', \
'鉱種の一覧': '鉱種の'}
    """
    taken: set[str] = set()
    result = {}
    for name in names:
        short, number = _cut_bytes(name, DBF_NAME_BYTES), 0
        while short.lower() in taken:
            number += 1
            suffix = f"_{number}"
            short = _cut_bytes(name, DBF_NAME_BYTES - len(suffix)) + suffix
        taken.add(short.lower())
        result[name] = short
    return result


def _cut_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes without splitting a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def _geojson(table: ExportTable, layer: str, precision: int, marking: str,
             crs: OutputCrs) -> tuple[bytes, list[str]]:
    return geojson_bytes(table, precision, marking=marking)


def _csv(table: ExportTable, layer: str, precision: int, marking: str,
         crs: OutputCrs) -> tuple[bytes, list[str]]:
    """UTF-8 with a byte-order mark (Excel reads UTF-8 CSV correctly only with one); the
    first line is the handling marking as a ``#`` comment, the header row follows it.

    Columns: id, lon, lat (WGS 84: points; a point inside other geometries; empty without a
    location), in another ``crs`` the same point's ``x_epsg<code>`` and ``y_epsg<code>``
    (easting and northing in metres to the millimetre, or longitude and latitude), the
    attributes, and ``wkt`` (WGS 84) when some geometry is not a point.
    """
    columns, notes = _lists_joined(table, text_columns(table, join_lists=True), "CSV")
    computed = ["lon", "lat", *([] if crs.is_wgs84 else [crs.x_column, crs.y_column]), "wkt"]
    clashes = [name for name in computed if name in columns]
    if clashes:
        columns = columns.drop(columns=clashes)
        notes.append(tr("CSV: the column(s) {columns} were replaced by ones computed from the "
                        "geometry.").format(columns=", ".join(clashes)))
    points, area = _points_in(table.geoms, precision, crs)
    out = pd.concat([points, columns], axis=1)
    out = table.with_id(out)
    if (shapely.get_type_id(table.geoms) > 0).any():
        out["wkt"] = shapely.to_wkt(table.geoms, rounding_precision=precision, trim=True)
    notes += _neutralise_frame(out)
    return csv_text(out, marking).encode("utf-8"), notes + area


def _points_in(geoms: np.ndarray, precision: int,
               crs: OutputCrs) -> tuple[pd.DataFrame, list[str]]:
    """lon and lat of each geometry's point, and in another ``crs`` its x and y there; a
    note on the points outside that system's area of use."""
    points = _points(geoms)
    out = pd.DataFrame({"lon": np.round(shapely.get_x(points), precision),
                        "lat": np.round(shapely.get_y(points), precision)})
    if crs.is_wgs84:
        return out, []
    moved, outside = reproject(points, crs)
    decimals = precision if crs.geographic else 3  # metres: to the millimetre
    out[crs.x_column] = np.round(shapely.get_x(moved), decimals)
    out[crs.y_column] = np.round(shapely.get_y(moved), decimals)
    return out, area_note(outside, crs)


def _points(geoms: np.ndarray) -> np.ndarray:
    """Each geometry's point: itself, or a representative point of other geometries."""
    return np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))


def _neutralise_frame(out: pd.DataFrame) -> list[str]:
    """Neutralise formulas in every text column of ``out`` in place; a note when any were."""
    total = 0
    for name in out.columns:
        out[name], count = neutralise_formulas(out[name])
        total += count
    headers, count = neutralise_formulas(pd.Series(out.columns.astype(str), dtype="str"))
    out.columns = pd.Index(headers.tolist())
    total += count
    if not total:
        return []
    return [ntr("{count} CSV cell starting with =, +, -, @, tab or carriage return was "
                "prefixed with ' so spreadsheets show it as text.",
                "{count} CSV cells starting with =, +, -, @, tab or carriage return were "
                "prefixed with ' so spreadsheets show them as text.", total).format(
                    count=f"{total:,}")]


def distinct_field_names(columns: pd.DataFrame, label: str) -> tuple[pd.DataFrame, list[str]]:
    """Field names GDAL accepts: no two equal ignoring case, none called ``fid`` or ``id``
    (the FID and our own id column); renamed ones are reported.

    >>> distinct_field_names(pd.DataFrame(columns=["Name", "name", "fid"]), "GPKG")[0].columns
    Index(['Name', 'name_2', 'fid_2'], dtype='str')
    """
    seen = {"id", "fid"}
    names: list[str] = []
    for name in map(str, columns.columns):
        new, number = name, 1
        while new.lower() in seen:
            number += 1
            new = f"{name}_{number}"
        seen.add(new.lower())
        names.append(new)
    changed = [f"{old} → {new}" for old, new in zip(columns.columns, names, strict=True)
               if old != new]
    if not changed:
        return columns, []
    return columns.set_axis(names, axis=1), [
        tr("{format} field names must differ ignoring case: {renamed}.").format(
            format=label, renamed=", ".join(changed))]


def _lists_joined(table: ExportTable, columns: pd.DataFrame,
                  label: str) -> tuple[pd.DataFrame, list[str]]:
    """``columns`` (lists already joined) and a note naming the list columns, if any."""
    lists = [name for name, kind in table.kinds.items() if kind is Kind.LIST]
    if not lists:
        return columns, []
    return columns, [ntr('{format} has no list type: {columns} is written as text joined '
                         'with "; ".', '{format} has no list type: {columns} are written as '
                         'text joined with "; ".', len(lists)).format(
                             format=label, columns=", ".join(lists))]


def _gpkg(table: ExportTable, layer: str, precision: int, marking: str,
          crs: OutputCrs) -> tuple[bytes, list[str]]:
    """Real Date and DateTime fields (date-times in UTC, as GeoPackage asks); lists joined;
    the marking as the layer's description and in the dataset's metadata."""
    columns = table.columns.copy()
    for name, kind in table.kinds.items():
        if kind is Kind.LIST:
            columns[name] = pd.Series(joined_lists(columns[name]).to_pandas(),
                                      index=columns.index, dtype="str")
        elif kind is Kind.DATETIME and columns[name].dt.tz is not None:
            columns[name] = columns[name].dt.tz_convert("UTC")
    columns, notes = _lists_joined(table, columns, "GeoPackage")
    columns, renamed = distinct_field_names(columns, "GeoPackage")
    notes += renamed
    geoms, area = _in_crs(table, crs)
    frame = _frame(table.with_id(columns), geoms, crs)
    return _written(frame, f"{layer}.gpkg", driver="GPKG", layer=layer,
                    layer_options={"DESCRIPTION": marking_line(marking)},
                    dataset_metadata={"marking": marking}), notes + area


def _kml(table: ExportTable, layer: str, precision: int, marking: str,
         crs: OutputCrs) -> tuple[bytes, list[str]]:
    """KML by LIBKML: the marking as the document's name and description (its first
    elements); Placemark ``id`` from the id, ``<name>`` from a ``name`` column; dates and
    lists as text; features without a location left out."""
    columns, notes = _lists_joined(table, text_columns(table, join_lists=True), "KML")
    for name, kind in table.kinds.items():
        if kind is Kind.INT and _fits_int32(columns[name]):
            columns[name] = columns[name].astype("Int32")  # LIBKML writes 64-bit ints as text
    columns, renamed = distinct_field_names(columns, "KML")
    notes += renamed
    frame, dropped = _located(_frame(table.with_id(columns), table.geoms), "KML")
    line = marking_line(marking)
    return _written(frame, f"{layer}.kml", driver="LIBKML", layer=layer,
                    dataset_options={"NAME": line, "DESCRIPTION": line}), notes + dropped


def _fits_int32(values: pd.Series) -> bool:
    present = values.dropna()
    return present.empty or (present.min() >= INT32.min and present.max() <= INT32.max)


def _shp(table: ExportTable, layer: str, precision: int, marking: str,
         crs: OutputCrs) -> tuple[bytes, list[str]]:
    """A zip of MARKING.txt (first), .shp .shx .dbf .prj (``crs``) .cpg (UTF-8); names cut
    to 10 bytes; one geometry type."""
    _one_shape_type(table.geoms)
    columns, notes = _shapefile_columns(table)
    names = shapefile_field_names(["id", *columns.columns])
    geoms, area = _in_crs(table, crs)
    frame, dropped = _located(_frame(table.with_id(columns).rename(columns=names), geoms, crs),
                              "Shapefile")
    renamed = [f"{long} → {short}" for long, short in names.items() if long != short]
    if renamed:
        notes.append(tr("Shapefile field names are at most 10 characters: {renamed}").format(
            renamed=", ".join(renamed)))
    with tempfile.TemporaryDirectory(prefix="permitmap-export-") as folder:
        path = Path(folder) / f"{layer}.shp"
        _write(frame, path, driver="ESRI Shapefile", layer=layer, encoding="UTF-8")
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            # stored, not deflated: the line can be read in the zip's own bytes
            zipped.writestr(MARKING_FILE, marking_line(marking) + "\n",
                            compress_type=zipfile.ZIP_STORED)
            for suffix in SHAPEFILE_PARTS:
                zipped.write(path.with_suffix(suffix), f"{layer}{suffix}")
    return archive.getvalue(), notes + dropped + area


def _shapefile_columns(table: ExportTable) -> tuple[pd.DataFrame, list[str]]:
    """Dates as Date fields, date-times and lists as text, text cut to 254 bytes."""
    text = text_columns(table, join_lists=True)
    columns, notes = _lists_joined(table, table.columns.copy(), "Shapefile")
    for name, kind in table.kinds.items():
        if kind in (Kind.LIST, Kind.DATETIME, Kind.TEXT):
            columns[name], cut = _cut_text(text[name])
            if cut:
                notes.append(tr("Shapefile text fields hold at most 254 bytes: {count} values "
                                "of {column} were cut.").format(count=f"{cut:,}", column=name))
    datetimes = [name for name, kind in table.kinds.items() if kind is Kind.DATETIME]
    if datetimes:
        notes.append(ntr("Shapefile has no date-time type: {columns} is written as ISO 8601 "
                         "text.", "Shapefile has no date-time type: {columns} are written as "
                         "ISO 8601 text.", len(datetimes)).format(columns=", ".join(datetimes)))
    return columns, notes


def _cut_text(values: pd.Series) -> tuple[pd.Series, int]:
    """Text cut to 254 UTF-8 bytes (never inside a character), and how many were cut."""
    lengths = pd.Series(pc.binary_length(pa.array(values, type=pa.string())), index=values.index)
    long = lengths > DBF_TEXT_BYTES
    if not long.any():
        return values, 0
    values = values.copy()
    values[long] = [_cut_bytes(value, DBF_TEXT_BYTES) for value in values[long]]
    return values, int(long.sum())


def _one_shape_type(geoms: np.ndarray) -> None:
    """Refuse geometries a single Shapefile cannot hold (mixed families, collections)."""
    families = {0: "point", 4: "point", 1: "line", 5: "line", 3: "polygon", 6: "polygon",
                2: "line", 7: "collection"}
    types = shapely.get_type_id(geoms[~shapely.is_missing(geoms)])
    found = {families[int(type_id)] for type_id in np.unique(types)}
    if len(found) > 1 or "collection" in found:
        words = [tr(_FAMILY_WORDS[family]) for family in sorted(found)]
        kinds = reduce(lambda first, second: tr("{first} and {second}").format(
            first=first, second=second), words)
        raise UnsupportedFormat(tr(
            "A Shapefile holds one kind of geometry; this selection has {kinds} geometries. "
            "Choose GeoPackage or GeoJSON instead.").format(kinds=kinds))


#: Each family of geometry in the words of a message (shown with ``tr``).
_FAMILY_WORDS = {"point": N_("point"), "line": N_("line"), "polygon": N_("polygon"),
                 "collection": N_("collection")}


def _parquet(table: ExportTable, layer: str, precision: int, marking: str,
             crs: OutputCrs) -> tuple[bytes, list[str]]:
    """GeoParquet (WKB geometries, ``crs`` as PROJJSON in its "geo" metadata) with native
    date, date-time and list columns; the marking in the file's key-value metadata
    (``marking``, and ``marking_line`` in words)."""
    import pyarrow.parquet as pq

    geoms, area = _in_crs(table, crs)
    frame = _frame(table.with_id(table.columns), geoms, crs)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    # geopandas takes no metadata of ours: read its table back and add ours to its "geo"
    written = pq.read_table(io.BytesIO(buffer.getvalue()))
    meta = {**(written.schema.metadata or {}), b"marking": marking.encode(),
            b"marking_line": marking_line(marking).encode()}
    out = io.BytesIO()
    pq.write_table(written.replace_schema_metadata(meta), out)
    return out.getvalue(), area


def _frame(columns: pd.DataFrame, geoms: np.ndarray,
           crs: OutputCrs = WGS84_OUTPUT) -> gpd.GeoDataFrame:
    """A GeoDataFrame in ``crs`` for the writers that go through GDAL (the first to import
    geopandas)."""
    return Features(columns, geoms, crs.srs).to_geodataframe()


def _located(frame: gpd.GeoDataFrame, label: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Only the features with a geometry, and a note on those left out."""
    missing = frame.geometry.isna()
    count = int(missing.sum())
    if not count:
        return frame, []
    return frame[~missing], [
        ntr("{count} feature without a location was left out: {format} cannot hold a feature "
            "with no geometry.", "{count} features without a location were left out: {format} "
            "cannot hold a feature with no geometry.", count).format(count=f"{count:,}",
                                                                     format=label)]


def _written(frame: gpd.GeoDataFrame, file_name: str, **options: object) -> bytes:
    """The bytes of a single-file dataset written by pyogrio."""
    with tempfile.TemporaryDirectory(prefix="permitmap-export-") as folder:
        path = Path(folder) / file_name
        _write(frame, path, **options)
        return path.read_bytes()


def _write(frame: gpd.GeoDataFrame, path: Path, **options: object) -> None:
    """Write with pyogrio through Arrow; without geometries, name the geometry type."""
    import pyogrio  # here: GDAL only for the formats that need it (see the module's docstring)

    if frame.geometry.isna().all():
        options.setdefault("geometry_type", "Unknown" if len(frame) else "Point")
    pyogrio.write_dataframe(frame, path, use_arrow=True, **options)


_WRITERS: dict[ExportFormat, Writer] = {
    ExportFormat.GEOJSON: _geojson, ExportFormat.GPKG: _gpkg, ExportFormat.CSV: _csv,
    ExportFormat.KML: _kml, ExportFormat.SHP: _shp, ExportFormat.PARQUET: _parquet,
}
