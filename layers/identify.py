"""Identify an upload's format from its content and name, after the size and safety checks.

Content wins over the extension (a ``.json`` holding GeoJSON is GeoJSON); a mismatch is noted
on the :class:`~layers.upload_formats.IdentifiedUpload`. Formats GDAL could be tricked by
(VRTs, zips, XML) pass :mod:`layers.upload_safety` before anything else looks at them.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from domain.i18n import N_, tr
from layers import upload_safety
from layers.errors import FileTooLarge, UnreadableLayer, UnsafeFile, UnsupportedFormat
from layers.limits import MIB, UploadLimits
from layers.upload_formats import FileFormat, IdentifiedUpload
from layers.xml_encoding import as_utf8, foreign_codec

HEAD_BYTES = 64 * 1024
ACCEPTED = N_(
    "GeoJSON or TopoJSON (.geojson, .json), a Shapefile (.shp, .shx, .dbf, .prj selected "
    "together, or zipped), GeoPackage (.gpkg), KML or KMZ, GPX, CSV (.csv) or Excel (.xlsx) "
    "with coordinate columns, FlatGeobuf (.fgb), GeoParquet (.parquet), GML (.gml), DXF "
    "(.dxf, saved as text), an Esri File Geodatabase (the .gdb folder zipped), GeoTIFF or COG "
    "(.tif), SRTM .hgt; a zip of one GeoTIFF, .hgt or CSV"
)
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".sbn", ".sbx", ".qix", ".qmd")
TEXT_TABLES = (".csv", ".txt", ".tsv", ".tab")
HGT_SIZES = (1201 * 1201 * 2, 3601 * 3601 * 2)
_MAGIC = (
    (b"SQLite format 3\x00", FileFormat.GEOPACKAGE),
    (b"PAR1", FileFormat.GEOPARQUET),
    (b"II*\x00", FileFormat.GEOTIFF),
    (b"MM\x00*", FileFormat.GEOTIFF),
    (b"II+\x00", FileFormat.GEOTIFF),
    (b"MM\x00+", FileFormat.GEOTIFF),
)
_XML_ROOTS = {"kml": FileFormat.KML, "gpx": FileFormat.GPX}
GML_NAMESPACE = re.compile(r"^https?://www\.opengis\.net/gml(/|$)")
DXF_START = re.compile(rb"^(?:\s*999\s*\r?\n[^\n]*\n)*\s*0\s*\r?\n\s*SECTION\s*\r?\n")
"""A text DXF begins with group code 0 and ``SECTION`` (after any ``999`` comments)."""
BINARY_DXF = b"AutoCAD Binary DXF"
GDB_TABLE = ".gdbtable"
_EXPECTED_EXTENSIONS = {
    FileFormat.GEOJSON: (".geojson", ".json", ".geojsonl"),
    FileFormat.TOPOJSON: (".topojson", ".json", ".topo.json"),
    FileFormat.GEOPACKAGE: (".gpkg",),
    FileFormat.GEOPARQUET: (".parquet", ".geoparquet", ".pq"),
    FileFormat.GEOTIFF: (".tif", ".tiff", ".cog", ".zip"),
    FileFormat.FLATGEOBUF: (".fgb",),
    FileFormat.GML: (".gml", ".xml"),
    FileFormat.DXF: (".dxf",),
    FileFormat.FILEGDB: (".zip",),
    FileFormat.KML: (".kml",),
    FileFormat.GPX: (".gpx",),
    FileFormat.KMZ: (".kmz",),
    FileFormat.SRTM_HGT: (".zip", ".hgt"),
    FileFormat.SHAPEFILE_ZIP: (".zip", ".shp"),
    FileFormat.EXCEL: (".xlsx", ".xlsm"),
    FileFormat.CSV: (*TEXT_TABLES, ".zip"),
}


def identify(path: Path, name: str, limits: UploadLimits) -> IdentifiedUpload:
    """The format of the upload at ``path`` (originally called ``name``), checked for safety.

    Raises FileTooLarge, UnsafeFile, UnsupportedFormat or UnreadableLayer with a message
    for the person who uploaded it.
    """
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise FileTooLarge(
            tr("{name} is {size} MB; uploads may be up to {limit} MB. Split the layer or clip "
               "it to your area.").format(name=name, size=f"{size / MIB:,.1f}",
                                          limit=f"{limits.max_file_bytes // MIB:,}")
        )
    if size == 0:
        raise UnreadableLayer(tr("{name} is empty (0 bytes); check the file was saved "
                                 "completely.").format(name=name))
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    checksum = _sha256(path)
    upload_safety.check_head(head, name)
    extension = _extension(name)
    found = _by_content(path, name, extension, head, limits)
    notes = _mismatch_note(name, extension, found.format) + found.notes
    return IdentifiedUpload(path, name, found.format, found.gdal_path, size, checksum, notes,
                            _entry(path, found.gdal_path), found.warnings)


@dataclass
class _Found:
    """What the content says: the format, the path for GDAL, and notes and warnings."""

    format: FileFormat
    gdal_path: str
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _sha256(path: Path) -> str:
    """The file's SHA-256, read in chunks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _extension(name: str) -> str:
    """The lower-case extension, e.g. ``.geojson``."""
    return PurePosixPath(name.replace("\\", "/")).suffix.lower()


def _mismatch_note(name: str, extension: str, fmt: FileFormat) -> list[str]:
    """A note when the content is not what the extension says."""
    if extension in _EXPECTED_EXTENSIONS.get(fmt, ()):
        return []
    shown = extension or tr("no extension")
    return [tr("{name} ({extension}) holds {format} data; it was read as {format}.").format(
        name=name, extension=shown, format=fmt.value)]


def _by_content(
    path: Path, name: str, extension: str, head: bytes, limits: UploadLimits
) -> _Found:
    """Format, GDAL path and notes, from the first bytes (then the extension)."""
    for magic, fmt in _MAGIC:
        if head.startswith(magic):
            return _Found(fmt, str(path))
    if head[:3] == b"fgb" and head[4:7] == b"fgb":
        return _Found(FileFormat.FLATGEOBUF, str(path))
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_format(path, name, extension, limits)
    if extension == ".vrt":
        raise UnsafeFile(tr("{name} is a VRT file: VRT files point at other files, so they "
                            "are not accepted. Upload the data file itself.").format(name=name))
    if extension in SHAPEFILE_PARTS:
        raise UnsupportedFormat(_shapefile_part_message(name))
    if extension == ".hgt" and path.stat().st_size in HGT_SIZES:
        return _Found(FileFormat.SRTM_HGT, str(path))
    if head.startswith(BINARY_DXF):
        raise UnsupportedFormat(tr("{name} is a binary DXF, which is not read; save the "
                                   "drawing again as an ASCII (text) DXF and upload that.")
                                .format(name=name))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedFormat(tr("{name} is an old Excel (.xls) or Office file; save the "
                                   "sheet as .xlsx or CSV and upload that.").format(name=name))
    return _text_format(path, name, extension, head)


def _shapefile_part_message(name: str) -> str:
    """What to do when one file of a Shapefile comes alone."""
    stem = PurePosixPath(name).stem
    return tr(
        "{name} is one part of a Shapefile, which is several files; upload {stem}.shp, "
        "{stem}.shx, {stem}.dbf and {stem}.prj (and {stem}.cpg if there is one) together: "
        "select them all at once, or zip them and upload the zip."
    ).format(name=name, stem=stem)


# --- text -------------------------------------------------------------------------------


def _text_format(path: Path, name: str, extension: str, head: bytes) -> _Found:
    """GeoJSON, TopoJSON, KML, GPX, GML, DXF or CSV from text content; refuses binary
    unknowns.

    UTF-16 text (with a byte-order mark, as Excel's "Unicode Text" writes) is recognised:
    a UTF-16 CSV is read as such; UTF-16 JSON is refused (GDAL reads JSON as UTF-8 only).
    """
    utf16 = _is_utf16(head)
    text = _strip_bom(upload_safety.as_utf8(head)).lstrip()
    if text.startswith((b"{", b"[")):
        if utf16:
            raise UnsupportedFormat(
                tr("{name} is JSON saved as UTF-16 text, which is not read; save it again as "
                   "UTF-8 (e.g. in a text editor choose 'Save with encoding: UTF-8') and "
                   "upload that.").format(name=name)
            )
        upload_safety.check_text_content(path, name, xml=False)
        topo = re.search(rb'"type"\s*:\s*"Topology"', text[:4096])
        return _Found(FileFormat.TOPOJSON if topo else FileFormat.GEOJSON, str(path))
    if text.startswith(b"<") or extension in (".kml", ".gpx", ".xml", ".gml"):
        upload_safety.check_text_content(path, name, xml=True)
        return _Found(_xml_format(path, name), str(path))
    if DXF_START.match(text) or (extension == ".dxf" and b"\x00" not in text):
        upload_safety.check_text_content(path, name, xml=False)
        if not DXF_START.match(text):
            raise UnreadableLayer(tr("{name} does not start as a DXF drawing does (group code "
                                     "0, SECTION); export the drawing again as DXF.")
                                  .format(name=name))
        return _Found(FileFormat.DXF, str(path))
    if b"\x00" not in text and extension in TEXT_TABLES:
        return _Found(FileFormat.CSV, str(path))
    raise UnsupportedFormat(
        tr("{name} is not a format we read (it is {what}). We accept: {accepted}.").format(
            name=name, what=_describe(head, extension), accepted=tr(ACCEPTED))
    )


def _xml_format(path: Path, name: str) -> FileFormat:
    """KML, GPX or GML from the XML root element (GML: the root declares or is in a GML
    namespace, ``http://www.opengis.net/gml...``), parsed with DTDs and entities forbidden.
    XML in an encoding the parser cannot read (Shift_JIS) is parsed from a UTF-8 copy of its
    first megabyte, where the root element is."""
    namespaces: list[str] = []
    readable: str | BytesIO = str(path)
    with path.open("rb") as handle:
        if codec := foreign_codec(handle.read(HEAD_BYTES), name):
            handle.seek(0)
            readable = BytesIO(as_utf8(handle.read(MIB), codec)[0])
    try:
        for event, item in iterparse(readable, events=("start-ns", "start"), forbid_dtd=True):
            if event == "start-ns":
                namespaces.append(str(item[1]))
                continue
            root = item.tag.rsplit("}", 1)[-1].lower()
            if root in _XML_ROOTS:
                return _XML_ROOTS[root]
            if any(GML_NAMESPACE.match(uri) for uri in namespaces):
                return FileFormat.GML
            raise UnsupportedFormat(
                tr("{name} is XML with a <{root}> root, not KML, GPX or GML (GML declares the "
                   "namespace http://www.opengis.net/gml on its root). We accept: {accepted}.")
                .format(name=name, root=root, accepted=tr(ACCEPTED))
            )
    except DefusedXmlException as exc:
        raise UnsafeFile(
            tr("{name} declares a DOCTYPE or XML entities ({error}), which can expand "
               "without limit; export the file again without them.").format(
                name=name, error=type(exc).__name__)
        ) from exc
    except ParseError as exc:
        raise UnreadableLayer(
            tr("{name} is not well-formed XML ({error}); check the file was saved "
               "completely.").format(name=name, error=exc)
        ) from exc
    raise UnreadableLayer(tr("{name} holds no XML elements; check the file was saved "
                             "completely.").format(name=name))


def _strip_bom(head: bytes) -> bytes:
    """The bytes without a UTF-8 byte-order mark."""
    return head.removeprefix(b"\xef\xbb\xbf")


def _is_utf16(head: bytes) -> bool:
    """Whether the bytes start with a UTF-16 byte-order mark."""
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def _describe(head: bytes, extension: str) -> str:
    """A few words on an unrecognised file."""
    kind = tr("binary data") if b"\x00" in head[:4096] else tr("text")
    kind = tr("UTF-16 text") if _is_utf16(head) else kind
    if extension:
        return tr("{kind} with the extension {extension}").format(kind=kind, extension=extension)
    return tr("{kind} with no extension").format(kind=kind)


# --- zips -------------------------------------------------------------------------------


def _zip_format(path: Path, name: str, extension: str, limits: UploadLimits) -> _Found:
    """Format of a zip upload: Excel, zipped Shapefile, KMZ, or a zip of one SRTM ``.hgt``,
    GeoTIFF or CSV table."""
    entries = upload_safety.zip_entries(path, name, limits)
    upload_safety.check_zip_contents(path, name, entries, limits)
    files = [e.filename for e in entries if not e.is_dir() and not _is_clutter(e.filename)]
    lower = {f.lower(): f for f in files}
    if "xl/workbook.xml" in lower:
        return _Found(FileFormat.EXCEL, str(path))
    shapefiles = [f for f in files if f.lower().endswith(".shp")]
    if shapefiles:
        return _shapefile_zip(path, name, shapefiles, lower)
    tables = [f for f in files if f.lower().endswith(GDB_TABLE)]
    if tables:
        return _geodatabase_zip(path, name, tables)
    kml = sorted((f for f in files if f.lower().endswith(".kml")), key=_kml_rank)
    if kml:
        notes = [] if extension == ".kmz" else [
            tr("{name} holds {entry}; it was read as {format}.").format(
                name=name, entry=kml[0], format=FileFormat.KMZ.value)]
        return _Found(FileFormat.KMZ, _vsizip(path, kml[0]), notes)
    for fmt, suffixes in _ZIPPED_SINGLES:
        inside = [f for f in files if f.lower().endswith(suffixes)]
        if inside:
            if len(inside) > 1:
                note = tr("{name} holds {n} {extension} files; {entry}; it was read as "
                          "{format}.").format(name=name, n=len(inside), extension=suffixes[0],
                                              entry=inside[0], format=fmt.value)
            else:
                note = tr("{name} holds {entry}; it was read as {format}.").format(
                    name=name, entry=inside[0], format=fmt.value)
            return _Found(fmt, _vsizip(path, inside[0]), [note])
    found = ", ".join(files[:10]) + (" …" if len(files) > 10 else "") if files else tr("nothing")
    if extension == ".kmz":
        raise UnsupportedFormat(
            tr("{name} holds no .kml file (found: {found}); a KMZ is a zipped KML. Save the "
               "layer again as KMZ (or KML) from Google Earth or your GIS and re-upload.")
            .format(name=name, found=found)
        )
    raise UnsupportedFormat(
        tr("{name} holds no .shp file (found: {found}); zip the .shp, .shx, .dbf and .prj "
           "together, or upload other formats without zipping them.").format(
            name=name, found=found)
    )


_ZIPPED_SINGLES = (
    (FileFormat.SRTM_HGT, (".hgt",)),
    (FileFormat.GEOTIFF, (".tif", ".tiff")),
    (FileFormat.CSV, (".csv", ".tsv")),  # not .txt: zips carry readme.txt files
)
"""Formats read from inside a zip when it holds no Shapefile or KML: the first such entry."""


def _shapefile_zip(
    path: Path, name: str, shapefiles: list[str], lower: dict[str, str]
) -> _Found:
    """The GDAL path of a zipped Shapefile: the ``.shp``, or its folder when there are several.

    A missing ``.shx`` is refused (the zip cannot be mended in place; the parts uploaded
    unzipped get it rebuilt); a missing ``.dbf`` is a warning: the shapes are read without
    attributes, which is what a surveyor who sent only outlines wants.
    """
    warnings = []
    for shp in shapefiles:
        stem = shp[:-4]
        if (stem + ".shx").lower() not in lower:
            raise UnreadableLayer(
                tr("{name} holds {shp} without its .shx part (the index of the shapes); zip "
                   "the .shp, .shx, .dbf and .prj of the layer together. If the .shx is lost, "
                   "upload the .shp, .dbf and .prj unzipped (select them together): the index "
                   "is rebuilt from the .shp.").format(name=name, shp=shp)
            )
        if (stem + ".dbf").lower() not in lower:
            warnings.append(missing_dbf_warning(name, shp))
    folders = sorted({str(PurePosixPath(shp).parent) for shp in shapefiles})
    if len(shapefiles) == 1:
        return _Found(FileFormat.SHAPEFILE_ZIP, _vsizip(path, shapefiles[0]), [], warnings)
    if len(folders) > 1:
        raise UnsupportedFormat(
            tr("{name} holds Shapefiles in {n} folders ({shapefiles}); zip one folder's "
               "layers at a time.").format(name=name, n=len(folders),
                                           shapefiles=", ".join(shapefiles[:6]))
        )
    folder = "" if folders[0] == "." else folders[0]
    note = tr(
        "{name} holds {n} Shapefiles ({shapefiles}); each is listed as a layer and the first "
        "is read unless you choose others."
    ).format(name=name, n=len(shapefiles), shapefiles=", ".join(shapefiles))
    return _Found(FileFormat.SHAPEFILE_ZIP, _vsizip(path, folder), [note], warnings)


def _geodatabase_zip(path: Path, name: str, tables: list[str]) -> _Found:
    """The GDAL path of a zipped File Geodatabase: its ``.gdb`` folder inside the zip (or the
    zip's top, when the folder's contents were zipped), read by the OpenFileGDB driver."""
    folders = sorted({str(PurePosixPath(table).parent) for table in tables})
    if len(folders) > 1:
        raise UnsupportedFormat(
            tr("{name} holds {n} File Geodatabases ({folders}); zip one .gdb folder at a "
               "time.").format(name=name, n=len(folders), folders=", ".join(folders[:6]))
        )
    folder = "" if folders[0] == "." else folders[0]
    if folder and not folder.lower().endswith(".gdb"):
        raise UnsupportedFormat(
            tr("{name} holds File Geodatabase tables in {folder}, a folder not named .gdb; "
               "zip the .gdb folder itself as your GIS saved it.").format(
                name=name, folder=repr(folder))
        )
    return _Found(FileFormat.FILEGDB, _vsizip(path, folder))


def missing_dbf_warning(name: str, shp: str) -> str:
    """The warning for a Shapefile without its attribute table."""
    stem = PurePosixPath(shp).stem
    return tr("{name}: {stem}.dbf (the attribute table) is missing, so the features have no "
              "attributes; they would be published as shapes only. If they should have "
              "attributes, upload {stem}.dbf with the other parts.").format(name=name, stem=stem)


def _kml_rank(entry: str) -> tuple[int, int, str]:
    """``doc.kml`` first, then KML files nearest the zip's top folder."""
    return (PurePosixPath(entry).name.lower() != "doc.kml", entry.count("/"), entry)


def _is_clutter(entry: str) -> bool:
    """macOS resource forks and hidden files that zip tools add."""
    parts = PurePosixPath(entry).parts
    return parts[:1] == ("__MACOSX",) or PurePosixPath(entry).name.startswith(".")


def _entry(path: Path, gdal_path: str) -> str:
    """The zip entry (or folder) a ``/vsizip/`` path built by :func:`_vsizip` points at."""
    base = _vsizip(path, "")
    return gdal_path.removeprefix(base).lstrip("/") if gdal_path.startswith(base) else ""


def _vsizip(path: Path, entry: str) -> str:
    """A GDAL ``/vsizip/`` path to one entry (or folder) of a zip."""
    base = f"/vsizip/{path.resolve()}"
    return f"{base}/{entry}" if entry else base
