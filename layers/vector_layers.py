"""Read the layers of a vector upload as GeoDataFrames (native CRS), reporting each one.

GDAL formats go through pyogrio with Arrow; GeoParquet through geopandas; CSV and Excel
through :mod:`layers.table_layers`. Read failures become report errors in plain words.
"""

from __future__ import annotations

import codecs
import re
import struct
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError, FeatureError, FieldError
from pyogrio.errors import GeometryError as OgrGeometryError
from pyproj import CRS
from pyproj.exceptions import CRSError

from domain.i18n import N_, ntr, tr
from layers.errors import DamagedEntry
from layers.kml_models import kml_without_models
from layers.limits import UploadLimits
from layers.preflight_report import PreflightReport, VectorLayerReport
from layers.table_layers import TableLayer, read_csv_table, read_excel_tables
from layers.upload_formats import FileFormat, IdentifiedUpload, Progress
from layers.upload_safety import ZIP_READ_ERRORS, damaged_entry
from layers.xml_encoding import xml_in_utf8, zip_entry

OGR_ERRORS = (DataSourceError, DataLayerError, FieldError, FeatureError, OgrGeometryError)
DECODE_ERRORS = (pa.ArrowException, UnicodeDecodeError)
GPX_DEFAULT = ("waypoints", "routes", "tracks")
FALLBACK_ENCODING = "cp1252"
WHOLE_FILE_PARSERS = (FileFormat.KML, FileFormat.KMZ, FileFormat.GPX)
ARC_STEP_DEGREES = 4  # GDAL's OGR_ARC_STEPSIZE: an arc becomes one straight segment per 4°
CURVED_WKB_TYPES = range(8, 18)  # ISO WKB CircularString … Triangle (Z/M add 1000s)
WKB_COLLECTION = 7
GEOS_WORDS = {
    "point array must contain 0 or >1": N_("a line with only one position"),
    "closed linestring": N_("a ring whose last position is not its first"),
    "LinearRing": N_("a ring with fewer than four positions"),
}  # GEOS's refusals in words; the first key found in its message wins


@dataclass
class RawLayer:
    """One layer as read: its name, a label for messages, the frame and its report."""

    name: str
    label: str
    frame: gpd.GeoDataFrame
    report: VectorLayerReport
    broken: dict[int, str] = field(default_factory=dict)  # row → why its geometry is missing


@dataclass
class OgrFrame:
    """A layer read by GDAL, with what had to be done to its geometries."""

    frame: gpd.GeoDataFrame
    linearised: int = 0  # features with curved edges, now straight segments
    rings_closed: int = 0  # features whose unclosed rings were closed
    broken: dict[int, str] = field(default_factory=dict)  # row → why it cannot be built
    text_mended: int = 0  # text values not UTF-8, read as Windows Latin-1 (cp1252)


def read_layers(
    source: IdentifiedUpload,
    wanted: tuple[str, ...] | None,
    limits: UploadLimits,
    report: PreflightReport,
    progress: Progress,
    columns: tuple[str, str] | None = None,
) -> list[RawLayer]:
    """The chosen layers of the upload; every layer found is added to ``report.layers``.
    ``columns``: a table's (x, y) coordinate columns, when the user chose them."""
    if source.format is FileFormat.GEOPARQUET:
        return _parquet(source, limits, report)
    if source.format in (FileFormat.CSV, FileFormat.EXCEL):
        return _tables(source, wanted, limits, report, columns)
    try:
        with xml_in_utf8(source) as (utf8, decoded):
            if decoded:
                report.notes.append(decoded)
            with kml_without_models(utf8) as (readable, models):
                if models:
                    report.notes.append(ntr(
                        "{name}: {n} 3D model (<Model>) left out; the map draws points, lines "
                        "and areas, not 3D models.",
                        "{name}: {n} 3D models (<Model>) left out; the map draws points, "
                        "lines and areas, not 3D models.",
                        models).format(name=source.name, n=f"{models:,}"))
                return _ogr(readable, wanted, limits, report, progress)
    except DamagedEntry as exc:
        report.errors.append(str(damaged_entry(source.name, exc.entry, exc.cause)))
        return []


# --- GDAL formats -----------------------------------------------------------------------


def _ogr(
    source: IdentifiedUpload,
    wanted: tuple[str, ...] | None,
    limits: UploadLimits,
    report: PreflightReport,
    progress: Progress,
) -> list[RawLayer]:
    """Layers of a GDAL-readable upload, listed with their figures, the chosen ones read."""
    try:
        single = not wanted and _single_layer(source)
    except DamagedEntry as exc:
        report.errors.append(str(damaged_entry(source.name, exc.entry, exc.cause)))
        return []
    if single and (only := _only_layer(source, limits, report, progress)) is not None:
        return only
    try:
        kinds = {str(name): kind for name, kind in pyogrio.list_layers(source.gdal_path)}
        listed = list(kinds)
        infos = {name: _layer_info(source, name) for name in listed}
    except OGR_ERRORS as exc:
        report.errors.append(read_error_message(source, exc))
        return []
    report.layers = [_info_report(name, info) for name, info in infos.items()]
    tables = [name for name in listed if kinds[name] is None and _is_plain_table(source)]
    if tables:
        report.notes.append(ntr(
            "{name}: layer {layers} has no geometry column (plain attribute tables); they are "
            "listed without a geometry type and not read as map layers.",
            "{name}: layers {layers} have no geometry column (plain attribute tables); they "
            "are listed without a geometry type and not read as map layers.",
            len(tables)).format(name=source.name, layers=", ".join(map(repr, tables))))
    chosen = _choose(source, listed, infos, wanted, report, tables)
    if not _within_limit(source, sum(max(int(infos[n]["features"]), 0) for n in chosen),
                         limits, report):
        return []
    by_name = {layer.name: layer for layer in report.layers}
    layers = []
    for step, name in enumerate(chosen):
        progress(0.1 + 0.5 * step / max(len(chosen), 1),
                 tr("Reading features of {name}…").format(name=name))
        read = _read_ogr(source, name, by_name[name], report)
        if read is None:
            return []
        frame = read.frame
        if not isinstance(frame, gpd.GeoDataFrame):
            report.errors.append(_plain_table_error(source, name))
            return []
        if len(frame):
            label = _label(source, name, len(listed))
            by_name[name].feature_count = len(frame)
            by_name[name].fields = [str(c) for c in frame.columns if c != frame.geometry.name]
            _note_repairs(read, by_name[name], label, report)
            layers.append(RawLayer(name, label, frame, by_name[name], read.broken))
    if not _within_limit(source, sum(len(layer.frame) for layer in layers), limits, report):
        return []
    return layers


def _is_plain_table(source: IdentifiedUpload) -> bool:
    """Whether a layer listed without a geometry type is a plain table (GeoPackage, Shapefile
    .dbf alone); KML and GPX layers list no type until they are read."""
    return source.format not in WHOLE_FILE_PARSERS


def _plain_table_error(source: IdentifiedUpload, name: str) -> str:
    """The error for a chosen layer that has no geometry column."""
    return tr("{name}: layer {layer} has no geometry column (it is a plain table); choose "
              "another layer, or add coordinates to it in your GIS and export it again.").format(
        name=source.name, layer=repr(name))


def _single_layer(source: IdentifiedUpload) -> bool:
    """Formats that hold one layer: read it straight away. Listing the layers first would
    make GDAL parse a GeoJSON or KML file two more times (list, then count)."""
    if source.format in (FileFormat.GEOJSON, FileFormat.FLATGEOBUF):
        return True
    return source.format in (FileFormat.KML, FileFormat.KMZ) and not _has_folders(source)


def _has_folders(source: IdentifiedUpload) -> bool:
    """Whether a KML (or a KMZ's KML) holds more than one layer for GDAL: several folders or
    documents, or placemarks outside its one folder. Scanned in chunks (the file was already
    checked as safe XML); one folder holding every placemark is what GIS tools export."""
    if source.format is FileFormat.KMZ:
        entry = zip_entry(source)
        try:
            with zipfile.ZipFile(source.path) as archive, archive.open(entry) as handle:
                return _several_layers(handle)
        except ZIP_READ_ERRORS as exc:
            raise DamagedEntry(entry, exc) from exc
    with source.path.open("rb") as handle:
        return _several_layers(handle)


def _several_layers(handle: Any) -> bool:
    """Whether the KML stream has more than one folder or document, or placemarks outside
    the folder; first and last offsets of each tag are all it keeps."""
    names = {"folder": (b"Folder", False), "end": (b"Folder", True),
             "document": (b"Document", False), "placemark": (b"Placemark", False)}
    counts = dict.fromkeys(names, 0)
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    offset, tail = 0, b""
    while chunk := handle.read(1 << 22):
        text = tail + chunk
        base = offset - len(tail)
        for name, (tag, closing) in names.items():
            # placemarks (thousands): only the first and the last of each chunk matter
            for start in _tag_starts(text, tag, closing, ends_only=name == "placemark"):
                if start + len(tag) <= len(tail):
                    continue  # seen in the previous chunk
                counts[name] += 1
                first.setdefault(name, base + start)
                last[name] = base + start
        if counts["folder"] > 1 or counts["document"] > 1:
            return True
        offset += len(chunk)
        tail = text[-32:]
    if counts["folder"] == 0 or counts["placemark"] == 0:
        return False
    return not (first["folder"] < first["placemark"] and last["placemark"] < last.get("end", -1))


def _tag_starts(text: bytes, tag: bytes, closing: bool = False, *,
                ends_only: bool = False) -> list[int]:
    """Offsets of ``<tag`` or ``<kml:tag`` (``</tag``, ``</kml:tag`` when ``closing``; then
    a space, ``>`` or ``/``) in ``text``; with ``ends_only`` only the first and the last.
    The name is searched with bytes.find, which is fast; what surrounds it is checked by
    hand."""
    opening = b"</" if closing else b"<"

    def start_of(at: int) -> int | None:
        if text[at + len(tag):at + len(tag) + 1] not in (b" ", b">", b"/", b"\t", b"\n", b"\r"):
            return None
        for prefix in (opening, opening + b"kml:"):
            if at >= len(prefix) and text[at - len(prefix):at] == prefix:
                return at - len(prefix)
        return None

    found: list[int] = []
    position = text.find(tag)
    while position != -1:
        start = start_of(position)
        if start is not None:
            found.append(start)
            if ends_only:
                break
        position = text.find(tag, position + len(tag))
    position = len(text)
    while ends_only and found and (position := text.rfind(tag, 0, position)) > found[0]:
        start = start_of(position)
        if start is not None:
            found.append(start)
            break
    return found


def _only_layer(source: IdentifiedUpload, limits: UploadLimits, report: PreflightReport,
                progress: Progress) -> list[RawLayer] | None:
    """The one layer of a single-layer file, its figures taken from what was read; None
    when GDAL found several after all (read only the first, it says so)."""
    progress(0.1, tr("Reading features of {name}…").format(name=source.name))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            read = read_ogr_frame(source.gdal_path, None, None)
    except (*OGR_ERRORS, *DECODE_ERRORS) as exc:
        report.errors.append(read_error_message(source, exc))
        return []
    except IndexError:  # pyogrio's default layer of a file that has none
        if len(pyogrio.list_layers(source.gdal_path)):
            raise
        report.errors.append(tr("{name} holds no layers (e.g. only empty folders); nothing "
                                "would draw. Check you exported the data with its features.")
                             .format(name=source.name))
        return []
    if any("More than one layer found" in str(w.message) for w in caught):
        return None  # a KML the folder scan took for one layer: list them after all
    frame, name = read.frame, Path(source.name).stem
    if not isinstance(frame, gpd.GeoDataFrame):
        report.errors.append(tr("{name} has no geometry column (it is a plain table); export "
                                "the layer with its geometry and upload it again.").format(
            name=source.name))
        return []
    code, crs_name = crs_words(frame.crs.to_wkt() if frame.crs is not None else None)
    layer = VectorLayerReport(name=name, feature_count=len(frame), crs=code, crs_name=crs_name,
                              fields=[str(c) for c in frame.columns if c != frame.geometry.name],
                              encoding="UTF-8")
    report.layers = [layer]
    if not len(frame):
        report.errors.append(tr("{name} holds no features; check you exported the data.")
                             .format(name=source.name))
        return []
    if not _within_limit(source, len(frame), limits, report):
        return []
    _note_repairs(read, layer, source.name, report)
    return [RawLayer(name, source.name, frame, layer, read.broken)]


def _layer_info(source: IdentifiedUpload, name: str) -> dict[str, Any]:
    """pyogrio's ``read_info``, except for KML/GPX, whose every open parses the whole file:
    those are counted when read (their coordinates are WGS 84 by definition)."""
    if source.format in WHOLE_FILE_PARSERS:
        return {"features": -1, "crs": "EPSG:4326", "encoding": "UTF-8", "fields": []}
    return pyogrio.read_info(source.gdal_path, layer=name)


def _info_report(name: str, info: dict[str, Any]) -> VectorLayerReport:
    """A layer report from pyogrio's ``read_info``: count, fields, CRS and encoding."""
    code, crs_name = crs_words(info.get("crs"))
    geometry_type = str(info.get("geometry_type") or "")
    count = max(int(info.get("features") or 0), 0)
    return VectorLayerReport(
        name=name,
        feature_count=count,
        geometry_types={geometry_type: count} if geometry_type and count else {},
        fields=[str(f) for f in info.get("fields", [])],
        crs=code,
        crs_name=crs_name,
        encoding=info.get("encoding"),
    )


def crs_words(text: str | None) -> tuple[str | None, str | None]:
    """An EPSG code (``EPSG:4269``) when PROJ is confident, else the CRS's name; and the name."""
    if not text:
        return None, None
    try:
        crs = CRS.from_user_input(text)
    except CRSError:
        return text, None
    epsg = crs.to_epsg(min_confidence=70)
    return (f"EPSG:{epsg}" if epsg else crs.name), crs.name


def _choose(
    source: IdentifiedUpload,
    listed: list[str],
    infos: dict[str, dict[str, Any]],
    wanted: tuple[str, ...] | None,
    report: PreflightReport,
    tables: list[str] | None = None,
) -> list[str]:
    """Which layers to read: those asked for, else all non-empty (KML/GPX) or the first;
    never a plain table (``tables``: layers without a geometry column)."""
    tables = tables or []
    if wanted:
        unknown = [name for name in wanted if name not in infos]
        if unknown:
            report.errors.append(tr("{name} has no layer {unknown}; its layers are: "
                                    "{layers}.").format(name=source.name,
                                                        unknown=", ".join(map(repr, unknown)),
                                                        layers=", ".join(listed)))
        report.errors += [_plain_table_error(source, name) for name in wanted if name in tables]
        return [name for name in wanted if name in infos and name not in tables]
    non_empty = [name for name in listed
                 if int(infos[name]["features"] or 0) != 0 and name not in tables]
    if source.format is FileFormat.GPX:
        return [name for name in non_empty if name in GPX_DEFAULT]
    if source.format in (FileFormat.KML, FileFormat.KMZ):
        return non_empty
    if not non_empty:
        report.errors.append(tr("{name} holds no features (layers: {layers}); check you "
                                "exported the data.").format(
            name=source.name, layers=", ".join(listed) or tr("none")))
        return []
    if len(listed) > 1:
        report.notes.append(tr("{name} has {n} layers ({layers}); {first} is read unless "
                               "you choose others.").format(
            name=source.name, n=len(listed), layers=", ".join(listed),
            first=repr(non_empty[0])))
    return non_empty[:1]


def _read_ogr(
    source: IdentifiedUpload, name: str, layer: VectorLayerReport, report: PreflightReport
) -> OgrFrame | None:
    """One layer through pyogrio (Arrow); a Shapefile that is not UTF-8 is read as cp1252."""
    try:
        encoding = _shapefile_fallback(source, name) \
            if source.format is FileFormat.SHAPEFILE_ZIP else None
    except DamagedEntry as exc:
        report.errors.append(str(damaged_entry(source.name, exc.entry, exc.cause)))
        return None
    try:
        read = read_ogr_frame(source.gdal_path, name, encoding)
    except (*OGR_ERRORS, *DECODE_ERRORS) as exc:
        report.errors.append(read_error_message(source, exc))
        return None
    if encoding:
        layer.encoding = encoding
        report.warnings.append(tr(
            "{name}: the attribute table of {layer} is not UTF-8 and has no .cpg file saying "
            "its encoding; it was read as Windows Latin-1 (cp1252). Check accented names look "
            "right, or add a .cpg file naming the encoding.").format(
            name=source.name, layer=repr(name)))
    return read


def read_ogr_frame(path: str, layer: str | None, encoding: str | None) -> OgrFrame:
    """A layer through pyogrio with Arrow; curves and geometries GEOS refuses take a slower
    path only when the fast one fails (shapely holds no curves, and refuses an unclosed ring).
    GDAL's and shapely's warnings about such geometries are dropped: the report says it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            frame = pyogrio.read_dataframe(path, layer=layer, use_arrow=True,
                                           encoding=encoding)
        except pa.ArrowException:  # text that is not UTF-8: GDAL hands the file's bytes on
            return _geometry_by_geometry(path, layer, encoding)
        except NotImplementedError:  # "Nonlinear geometry types are not currently supported"
            linearised = _curved_count(path, layer, encoding)
            # without Arrow, pyogrio has GDAL linearise each curve at this step
            pyogrio.set_gdal_config_options({"OGR_ARC_STEPSIZE": ARC_STEP_DEGREES})
            frame = pyogrio.read_dataframe(path, layer=layer, use_arrow=False,
                                           encoding=encoding)
            return OgrFrame(frame, linearised=linearised)
        except shapely.errors.GEOSException:
            return _geometry_by_geometry(path, layer, encoding)
    if _has_broken_text(frame):  # not UTF-8, yet it got past the conversion to pandas
        return _geometry_by_geometry(path, layer, encoding)
    return OgrFrame(frame)


def _has_broken_text(frame: gpd.GeoDataFrame) -> bool:
    """Whether an Arrow-backed text column holds bytes that are not UTF-8 (which fail
    only later, when the values are first looked at)."""
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    for name in frame.columns:
        values = frame[name].array
        if name == geometry or not hasattr(values, "__arrow_array__"):
            continue
        arrow = values.__arrow_array__()
        if pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type):
            try:
                arrow.validate(full=True)
            except pa.ArrowInvalid:
                return True
    return False


def _mend_text(table: pa.Table) -> tuple[pa.Table, int]:
    """The table with text values that are not UTF-8 read as Windows Latin-1 (cp1252), what
    such files mostly hold (GDAL hands a file's bytes on as they are); how many were."""
    mended = 0
    for index, column_field in enumerate(table.schema):
        kind = getattr(column_field.type, "storage_type", column_field.type)  # e.g. arrow.json
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            continue
        raw = pa.chunked_array([getattr(chunk, "storage", chunk)
                                for chunk in table.column(index).chunks], kind)
        try:
            raw.validate(full=True)
            continue
        except pa.ArrowInvalid:
            pass
        text: list[str | None] = []
        for value in raw.cast(pa.binary()).to_pylist():  # the bytes as they are
            try:
                text.append(None if value is None else value.decode("utf-8"))
            except UnicodeDecodeError:  # cp1252's five unused bytes become U+FFFD
                text.append(value.decode("cp1252", errors="replace"))
                mended += 1
        table = table.set_column(index, column_field.name, pa.array(text, pa.string()))
    return table, mended


def _curved_count(path: str, layer: str | None, encoding: str | None) -> int:
    """How many features hold a curve, from the type in each geometry's WKB header."""
    _meta, table = pyogrio.read_arrow(path, layer=layer, columns=[], encoding=encoding)
    count = 0
    for wkb in table.column(table.num_columns - 1).to_pylist():
        kind = _wkb_type(wkb)
        if kind in CURVED_WKB_TYPES or (kind == WKB_COLLECTION and _holds_curve(wkb)):
            count += 1
    return count


def _wkb_type(wkb: bytes | None) -> int:
    """The geometry type of a WKB header (ISO or EWKB flags, Z and M removed); -1 if none."""
    if not wkb or len(wkb) < 5:
        return -1
    (code,) = struct.unpack_from("<I" if wkb[0] == 1 else ">I", wkb, 1)
    return int(code & 0x0FFFFFFF) % 1000


def _holds_curve(wkb: bytes) -> bool:
    """Whether a geometry collection holds a curve somewhere (shapely refuses to build it)."""
    try:
        shapely.from_wkb(wkb)
    except NotImplementedError:
        return True
    except shapely.errors.GEOSException:
        return False
    return False


def _geometry_by_geometry(path: str, layer: str | None, encoding: str | None) -> OgrFrame:
    """The layer with each geometry built on its own: an unclosed ring is closed (the one
    repair without a choice to make), a geometry GEOS still refuses is left empty and said."""
    meta, table = pyogrio.read_arrow(path, layer=layer, encoding=encoding)
    table, mended = _mend_text(table)
    column = meta.get("geometry_name") or "wkb_geometry"
    if column not in table.column_names:  # a plain table: said as such by the caller
        return OgrFrame(table.to_pandas(), text_mended=mended)
    wkb = np.asarray(table.column(column).to_pylist(), dtype=object)
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    given = np.fromiter((value is not None for value in wkb), bool, len(wkb))
    failed = np.flatnonzero(shapely.is_missing(geoms) & given)
    fixed = shapely.from_wkb(wkb[failed], on_invalid="fix")
    closed = ~shapely.is_missing(fixed)
    geoms[failed[closed]] = fixed[closed]
    broken = {int(row): _why_refused(wkb[row]) for row in failed[~closed]}
    frame = gpd.GeoDataFrame(table.drop_columns([column]).to_pandas(), geometry=geoms,
                             crs=meta.get("crs"))
    return OgrFrame(frame, rings_closed=int(closed.sum()), broken=broken, text_mended=mended)


def _why_refused(wkb: bytes) -> str:
    """Why GEOS cannot build a geometry, in words."""
    try:
        shapely.from_wkb(wkb)
    except (shapely.errors.GEOSException, NotImplementedError) as exc:
        text = str(exc).split(": ", 1)[-1].strip()
        return next((tr(words) for key, words in GEOS_WORDS.items() if key in text), text)
    return tr("a geometry that cannot be built")


def _note_repairs(read: OgrFrame, layer: VectorLayerReport, label: str,
                  report: PreflightReport) -> None:
    """Say what reading did: curves made straight, rings closed, text read as cp1252."""
    layer.linearised, layer.rings_closed = read.linearised, read.rings_closed
    if read.linearised:
        report.notes.append(ntr(
            "{label}: {n} feature has curved edges (arcs or circles); they are drawn as "
            "straight segments, one every {step}° of arc.",
            "{label}: {n} features have curved edges (arcs or circles); they are drawn as "
            "straight segments, one every {step}° of arc.",
            read.linearised).format(label=label, n=f"{read.linearised:,}",
                                    step=ARC_STEP_DEGREES))
    if read.rings_closed:
        report.warnings.append(ntr(
            "{label}: {n} feature has a ring whose last position is not its first; it was "
            "closed by repeating the first position at the end. Check the shape draws as you "
            "meant it.",
            "{label}: {n} features have a ring whose last position is not its first; it was "
            "closed by repeating the first position at the end. Check the shape draws as you "
            "meant it.",
            read.rings_closed).format(label=label, n=f"{read.rings_closed:,}"))
    if read.text_mended:
        report.warnings.append(ntr(
            "{label}: {n} text value is not UTF-8; read as Windows Latin-1 (cp1252). Check "
            "accented names look right, or export the file again as UTF-8.",
            "{label}: {n} text values are not UTF-8; read as Windows Latin-1 (cp1252). Check "
            "accented names look right, or export the file again as UTF-8.",
            read.text_mended).format(label=label, n=f"{read.text_mended:,}"))


def _shapefile_fallback(source: IdentifiedUpload, layer: str) -> str | None:
    """``cp1252`` for a zipped .dbf with no .cpg, no code page byte and bytes not UTF-8."""
    with zipfile.ZipFile(source.path) as archive:
        names = {PurePosixPath(n).name.lower(): n for n in archive.namelist()}
        dbf = names.get(f"{layer.lower()}.dbf")
        if dbf is None or f"{layer.lower()}.cpg" in names:
            return None
        try:
            return _dbf_fallback(archive, dbf)
        except ZIP_READ_ERRORS as exc:
            raise DamagedEntry(dbf, exc) from exc


def _dbf_fallback(archive: zipfile.ZipFile, dbf: str) -> str | None:
    """``cp1252`` when the zipped .dbf has no code page byte and bytes that are not UTF-8."""
    with archive.open(dbf) as handle:
        header = handle.read(32)
        if len(header) < 32 or header[29] != 0:  # byte 29: the dBASE code page (LDID)
            return None
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
        except UnicodeDecodeError:
            return FALLBACK_ENCODING
    return None


def _label(source: IdentifiedUpload, layer: str, layer_count: int) -> str:
    """How messages name a layer: the file, plus the layer when the file has several."""
    if layer_count > 1:
        return tr("{name}, layer {layer}").format(name=source.name, layer=repr(layer))
    return source.name


def _within_limit(
    source: IdentifiedUpload, total: int, limits: UploadLimits, report: PreflightReport
) -> bool:
    """Whether the feature count is within the limit (an error says so when it is not)."""
    if total <= limits.max_features:
        return True
    report.errors.append(tr("{name} has {n} features; the limit is {limit}. Split it or clip "
                            "it to your area.").format(name=source.name, n=f"{total:,}",
                                                       limit=f"{limits.max_features:,}"))
    return False


def read_error_message(source: IdentifiedUpload, exc: BaseException) -> str:
    """A GDAL, Arrow or parser error as a sentence for the person who uploaded the file."""
    text = str(exc).strip().rstrip(".")
    found = re.search(r"JSON parsing error: (.*?)\s*\(at offset (\d+)\)", text)
    if found:
        line = _line_at(source.path, int(found.group(2)))
        return tr("{name} is not valid JSON near line {line}: {detail}; check the file was "
                  "saved completely.").format(name=source.name, line=line,
                                              detail=found.group(1))
    if "Unexpected type string" in text or ("invalid" in text and "coordinate" in text):
        return tr("{name} has a coordinate that is not a number ({detail}); coordinates must "
                  "be numbers, not text. Fix them and export again.").format(
            name=source.name, detail=text)
    text = text.replace(str(source.path), source.name).replace(source.gdal_path, source.name)
    return tr("{name} could not be read as {format}: {detail}. Check the file is complete, or "
              "export it again from your GIS.").format(name=source.name,
                                                       format=source.format.value, detail=text)


def _line_at(path: Path, offset: int) -> int:
    """The 1-based line number of a byte offset in a text file."""
    with path.open("rb") as handle:
        return handle.read(offset).count(b"\n") + 1


# --- GeoParquet and tables --------------------------------------------------------------


def _parquet(source: IdentifiedUpload, limits: UploadLimits,
             report: PreflightReport) -> list[RawLayer]:
    """A GeoParquet file through geopandas (pyogrio has no Parquet driver); the row count
    in the Parquet footer is checked against the limit before anything is read."""
    try:
        with pq.ParquetFile(source.path) as parquet:
            rows = parquet.metadata.num_rows
    except (pa.ArrowException, ValueError, OSError) as exc:
        report.errors.append(tr(
            "{name} is not a readable Parquet file ({error}); export it again as GeoParquet "
            "(e.g. with geopandas to_parquet or GDAL).").format(name=source.name, error=exc))
        return []
    if not _within_limit(source, rows, limits, report):
        report.layers.append(VectorLayerReport(name=PurePosixPath(source.name).stem,
                                               feature_count=rows))
        return []
    try:
        frame = gpd.read_parquet(source.path)
    except (pa.ArrowException, ValueError, OSError) as exc:
        report.errors.append(tr(
            "{name} could not be read as GeoParquet ({error}); it must be a Parquet file with "
            "GeoParquet metadata (e.g. written by geopandas to_parquet or GDAL).").format(
            name=source.name, error=exc))
        return []
    return [_frame_layer(source, "", frame, report, limits)]


def _frame_layer(
    source: IdentifiedUpload, name: str, frame: gpd.GeoDataFrame, report: PreflightReport,
    limits: UploadLimits,
) -> RawLayer:
    """A layer read whole by geopandas, with its report added."""
    code, crs_name = crs_words(frame.crs.to_wkt() if frame.crs is not None else None)
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    layer = VectorLayerReport(name=name or PurePosixPath(source.name).stem,
                              feature_count=len(frame), fields=columns, crs=code,
                              crs_name=crs_name)
    report.layers.append(layer)
    _within_limit(source, len(frame), limits, report)
    label = f"{source.name}, {name}" if name else source.name
    return RawLayer(name, label, frame, layer)


def _tables(
    source: IdentifiedUpload, wanted: tuple[str, ...] | None, limits: UploadLimits,
    report: PreflightReport, columns: tuple[str, str] | None,
) -> list[RawLayer]:
    """A CSV file, or the first Excel sheet with coordinates (or the sheets asked for)."""
    if source.format is FileFormat.CSV:
        tables = [read_csv_table(source.path, source.name, columns)]
    else:
        tables = read_excel_tables(source.path, source.name, columns)
    for table in tables:
        report.layers.append(VectorLayerReport(
            name=table.name or PurePosixPath(source.name).stem, feature_count=_rows(table),
            fields=table.columns, encoding=table.encoding,
            coordinate_columns=table.coordinate_columns,
            other_coordinate_columns=table.other_coordinate_columns))
    chosen = _chosen_tables(source, tables, wanted, report)
    layers = []
    for table in chosen:
        assert table.frame is not None
        report.warnings += table.warnings
        report.notes += table.notes
        layers.append(_frame_layer_for_table(source, table, report, limits))
    return layers


def _rows(table: TableLayer) -> int:
    """Rows of a table layer (0 when it could not be read)."""
    return 0 if table.frame is None else len(table.frame)


def _chosen_tables(
    source: IdentifiedUpload, tables: list[TableLayer], wanted: tuple[str, ...] | None,
    report: PreflightReport,
) -> list[TableLayer]:
    """Tables to read: the sheets asked for, else the first table with coordinates."""
    if wanted:
        picked = [t for t in tables if t.name in wanted]
        missing = [t for t in picked if t.frame is None]
        report.errors += [t.error or "" for t in missing]
        return [t for t in picked if t.frame is not None]
    usable = [t for t in tables if t.frame is not None or t.has_coordinates]
    if not usable:
        report.errors += [t.error or tr("{name} holds no data.").format(name=source.name)
                          for t in tables[:3]]
        return []
    if usable[0].frame is None:  # coordinates, but e.g. an unknown coordinate system
        report.errors.append(usable[0].error
                             or tr("{name} holds no data.").format(name=source.name))
        return []
    if len(tables) > 1:
        report.notes.append(tr("{name}: sheet {sheet} is read (the first with coordinate "
                               "columns); choose another sheet to read it instead.").format(
            name=source.name, sheet=repr(usable[0].name)))
    return usable[:1]


def _frame_layer_for_table(
    source: IdentifiedUpload, table: TableLayer, report: PreflightReport, limits: UploadLimits
) -> RawLayer:
    """A table layer, reusing the report entry added for it."""
    assert table.frame is not None
    names = (table.name, PurePosixPath(source.name).stem)
    layer = next(r for r in report.layers if r.name in names)
    code, crs_name = crs_words(table.frame.crs.to_wkt() if table.frame.crs is not None else None)
    layer.crs, layer.crs_name = code, crs_name
    _within_limit(source, len(table.frame), limits, report)
    label = tr("{name}, sheet {sheet}").format(name=source.name, sheet=repr(table.name)) \
        if table.name else source.name
    return RawLayer(table.name, label, table.frame, layer)
