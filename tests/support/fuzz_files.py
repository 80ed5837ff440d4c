"""The fuzzing tier's inputs and its one verdict.

Strategies (hypothesis) that write GeoJSON, CSV and KML with random structure and values,
valid-ish and broken; byte mutations of an existing file (truncated, bytes changed, bytes
changed inside a zip's entries); and :func:`outcome_of_upload` /
:func:`assert_refused_in_words`, which say what every file must come to: a report or a
refusal in the PermitmapError family with a sentence, never another exception, nothing stored
for a refused file, and no failure that only the pre-flight's catch-all caught (that boundary
is the last resort; what fuzzing finds is fixed in the reader where it belongs).
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, currently_in_test_context, event, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, text

from domain.errors import PermitmapError


def fuzz_examples(default: int) -> int:
    """``default`` examples per test (the tier fits in a minute), times
    ``PERMITMAP_FUZZ_SCALE`` for a longer hunt (e.g. 20; unset in CI)."""
    return max(1, int(default * float(os.environ.get("PERMITMAP_FUZZ_SCALE", "1"))))


FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=fuzz_examples(120),
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])
"""The fuzzing tier's settings: the same examples every run (derandomized, no database), no
deadline (a GDAL read may take a while); a test that feeds big files lowers max_examples."""


# --- values ---------------------------------------------------------------------------------

ODD_NUMBERS = st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 1e-320, 0.0, -0.0,
                               180.0000001, -90.5, 9999.0, -9999.0, 2**63, -(2**63) - 1,
                               10**30])
NUMBERS = st.one_of(
    st.floats(min_value=-180, max_value=180, allow_nan=False),  # plausible longitudes/latitudes
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    ODD_NUMBERS,
)
SHORT_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, SHORT_TEXT)
# JSON of bounded depth and width
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(SHORT_TEXT, inner, max_size=4)), max_leaves=12)

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252", "shift_jis", "euc_jp")


def rarely(draw: st.DrawFn, one_in: int) -> bool:
    """True once in about ``one_in`` draws; False is the simpler choice (hypothesis leans
    towards it when generating and shrinking), so the plausible case stays the common one."""
    return draw(st.integers(1, one_in)) == one_in


def encoded(document: str, encoding: str) -> bytes:
    """``document`` in ``encoding``, unencodable characters replaced (as an old editor would)."""
    return document.encode(encoding, errors="replace")


# --- GeoJSON --------------------------------------------------------------------------------
# Most documents are plausible, with a fault here and there, so that examples reach the
# checks and publishing; the rest are chaos (any structure in any place).

GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                  "MultiPolygon", "GeometryCollection")
ODD_TYPES = ("CircularString", "Feature", "", "point", "Polygon ")
DEPTHS = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2,
          "MultiPolygon": 3}

PLAUSIBLE_POSITIONS = st.tuples(st.floats(-180, 180), st.floats(-90, 90)).map(list)
@st.composite
def positions(draw: st.DrawFn) -> Any:
    """A position: mostly a plausible one; at times with a height, too few or too many
    numbers, out of range, NaN, or not numbers at all."""
    if not rarely(draw, 6):
        return draw(PLAUSIBLE_POSITIONS)
    return draw(st.one_of(
        st.tuples(st.floats(-180, 180), st.floats(-90, 90), NUMBERS).map(list),
        st.lists(NUMBERS, min_size=0, max_size=4), JSON_VALUES))


POSITIONS = positions()


@st.composite
def rings(draw: st.DrawFn) -> list[Any]:
    """A ring: mostly closed, sometimes unclosed, too short or degenerate."""
    points = draw(st.lists(POSITIONS, min_size=0 if rarely(draw, 6) else 3,
                           max_size=7))
    if points and not rarely(draw, 5):
        points = [*points, points[0]]  # closed
    return points


def _nested(depth: int) -> st.SearchStrategy[Any]:
    """Coordinates ``depth`` levels of lists above the positions (0: one position)."""
    if depth == 0:
        return POSITIONS
    if depth == 2:
        return st.lists(rings(), min_size=1, max_size=3)
    return st.lists(_nested(depth - 1), min_size=1, max_size=4)


@st.composite
def geometries(draw: st.DrawFn, depth: int = 0) -> Any:
    """A GeoJSON geometry object: mostly of the right shape for its type, at times with a
    type we do not draw, the wrong nesting, a key missing, or not an object at all."""
    fault = rarely(draw, 10)
    kind = draw(st.sampled_from(ODD_TYPES if fault else GEOMETRY_TYPES))
    geometry: dict[str, Any] = {"type": kind}
    if kind == "GeometryCollection":
        geometry["geometries"] = draw(st.lists(geometries(depth + 1), max_size=3)) \
            if depth < 2 else []
    else:
        wrong_depth = rarely(draw, 10)
        geometry["coordinates"] = draw(
            _nested(draw(st.integers(0, 3))) if wrong_depth or kind not in DEPTHS
            else _nested(DEPTHS[kind]))
    if rarely(draw, 15):
        geometry.pop(draw(st.sampled_from(sorted(geometry))))
    if rarely(draw, 20):
        return draw(st.one_of(st.none(), JSON_VALUES))
    return geometry


PROPERTY_KEYS = st.one_of(st.sampled_from(["name", "id", "Name", "", "geometry", "lat", "lon",
                                           "x", "y", "名前", "a" * 300, "fid"]), SHORT_TEXT)


@st.composite
def features(draw: st.DrawFn) -> Any:
    """A Feature (its geometry null at times, its properties any JSON), or rarely not one."""
    feature: dict[str, Any] = {"type": "Feature" if not rarely(draw, 10) else
                               draw(st.sampled_from(["feature", "FeatureCollection", ""]))}
    if not rarely(draw, 15):
        feature["geometry"] = None if rarely(draw, 15) else draw(geometries())
    if not rarely(draw, 6):
        feature["properties"] = draw(st.dictionaries(PROPERTY_KEYS, JSON_VALUES, max_size=5)) \
            if not rarely(draw, 10) else draw(st.one_of(st.none(), JSON_VALUES))
    if rarely(draw, 5):
        feature["id"] = draw(JSON_VALUES)
    if rarely(draw, 30):
        return draw(JSON_VALUES)
    return feature


CRS_MEMBERS = st.sampled_from([
    None, None, None, {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4269"}},
    {"type": "name", "properties": {"name": "EPSG:3857"}},
    {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}},
    {"type": "name"}, "EPSG:4326", {"type": "link", "properties": {"href": "x.prj"}},
])


@st.composite
def geojson_documents(draw: st.DrawFn) -> Any:
    """A FeatureCollection (mostly), a bare feature or geometry, or any JSON."""
    shape = draw(st.sampled_from(["collection"] * 16 + ["json", "geometry", "geometry",
                                                         "feature"]))
    if shape == "json":
        return draw(JSON_VALUES)
    if shape == "geometry":
        return draw(geometries())
    if shape == "feature":
        return draw(features())
    document: dict[str, Any] = {"type": "FeatureCollection" if not rarely(draw, 15) else
                                draw(st.sampled_from(["Topology", "featurecollection", ""]))}
    if not rarely(draw, 20):
        document["features"] = draw(st.lists(features(), min_size=1, max_size=6)) \
            if not rarely(draw, 20) else draw(JSON_VALUES)
    crs = draw(CRS_MEMBERS)
    if crs is not None:
        document["crs"] = crs
    if rarely(draw, 10):
        document["bbox"] = draw(st.lists(NUMBERS, max_size=6))
    return document


@st.composite
def geojson_bytes(draw: st.DrawFn) -> bytes:
    """A GeoJSON file's bytes: the document in an encoding, sometimes cut short or empty."""
    document = draw(geojson_documents())
    textual = json.dumps(document, ensure_ascii=draw(st.booleans()), allow_nan=True,
                         indent=draw(st.sampled_from([None, None, 1])))
    encoding = draw(st.sampled_from(("utf-8",) * 6 + ENCODINGS))
    return draw(cut(encoded(textual, encoding)))


# --- CSV ------------------------------------------------------------------------------------

COORDINATE_PAIRS = st.sampled_from([
    ("lat", "lon"), ("latitude", "longitude"), ("Lat_WGS84", "Long_WGS84"), ("Y", "X"),
    ("y", "x"), ("Lat83", "Long83"), ("Lat27", "Long27"), ("northing", "easting"),
    ("Approx_Lat", "Approx_Lon"), ("LATITUDE", "LONGITUDE"), ("wkt",), ("location",),
    ("geometry",), ("WKT",), ()])
OTHER_HEADERS = st.sampled_from([
    "name", "id", "site_name", "commodity", "dev_stat", "state", "country", "record_id",
    "dep_id", "crs", "Ftr_Type", "commod1", "deposit_type", "", "名前", "lat", "x", "notes"])
WKT_CELLS = st.one_of(
    PLAUSIBLE_POSITIONS.map(lambda p: f"POINT ({p[0]} {p[1]})"),
    st.sampled_from(["POINT (200 100)", "POINT EMPTY", "POLYGON ((0 0, 1 0, 1 1))",
                     "LINESTRING (0 0)", "POINT (nan nan)", "SRID=4326;POINT (1 2)",
                     "SRID=3857;POINT (1e7 1e7)", "POINT Z (1 2 3)", "GEOMETRYCOLLECTION EMPTY",
                     "POINT (1 2", "", "not wkt"]))


def csv_cells(column: str) -> st.SearchStrategy[str]:
    """A cell for ``column``: mostly what it should hold, at times anything."""
    key = column.lower()
    if key in ("wkt", "location", "geometry"):
        right = WKT_CELLS
    elif key.startswith(("lat", "approx_lat", "y", "northing")):
        right = st.floats(-90, 90).map(lambda v: f"{v:.5f}")
    elif key.startswith(("lon", "long", "approx_lon", "x", "easting")):
        right = st.floats(-180, 180).map(lambda v: f"{v:.5f}")
    elif key == "crs":
        right = st.sampled_from(["EPSG:4326", "EPSG:4326", "4326.0", "EPSG:3857", "EPSG:0",
                                 "nonsense"])
    elif "commod" in key:
        right = st.sampled_from(["Lithium; Bromine", "REE", "pper", "Cu, Au", "", "Gold"])
    else:
        right = SHORT_TEXT
    odd = st.one_of(
        NUMBERS.map(str), SHORT_TEXT,
        st.sampled_from(["", "NaN", "inf", "-9999", "NULL", "N/A", "<Null>", "45°30'N", "1,5",
                         "1e400", "\"", "a\nb", "=SUM(A1)", "1e7", "-20037508.34"]))
    return st.booleans().flatmap(lambda odd_one: odd if odd_one else right)


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    """A CSV: coordinate headers (a pair, WKT, or none) among others, rows mostly as wide as
    the header with cells mostly right for their column; any separator and quoting."""
    headers = [*draw(COORDINATE_PAIRS), *draw(st.lists(OTHER_HEADERS, max_size=5))]
    headers = draw(st.permutations(headers))
    separator = draw(st.sampled_from([",", ",", ",", ";", "\t", "|"]))
    rows = []
    for _ in range(draw(st.integers(0 if rarely(draw, 10) else 1, 8))):
        cells = [draw(csv_cells(column)) for column in headers]
        if rarely(draw, 10):  # ragged
            cells = cells[: draw(st.integers(0, len(cells)))] \
                + draw(st.lists(csv_cells(""), max_size=2))
        rows.append(cells)

    def line(cells: list[str]) -> str:
        out = []
        for cell in cells:
            if separator in cell or '"' in cell or "\n" in cell or rarely(draw, 10):
                cell = '"' + cell.replace('"', '""') + '"'
            out.append(cell)
        return separator.join(out)

    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    document = newline.join(line(cells) for cells in [headers, *rows])
    if draw(st.booleans()):
        document += newline
    encoding = draw(st.sampled_from(("utf-8",) * 6 + ENCODINGS))
    return draw(cut(encoded(document, encoding)))


# --- KML ------------------------------------------------------------------------------------

def kml_coordinates(closed: bool = False) -> st.SearchStrategy[str]:
    plausible = st.tuples(st.floats(-180, 180), st.floats(-90, 90)).map(
        lambda p: f"{p[0]},{p[1]}")
    odd = st.one_of(st.tuples(NUMBERS, NUMBERS, NUMBERS).map(lambda p: f"{p[0]},{p[1]},{p[2]}"),
                    st.sampled_from(["", "1", "a,b", "nan,nan", "1,2,3,4", "1e999,0", ",,"]))
    position = st.integers(1, 6).flatmap(lambda n: odd if n == 6 else plausible)
    separators = st.sampled_from([" ", " ", "\n", "  ", "\t", ", "])

    def joined(parts: tuple[list[str], str]) -> str:
        points, separator = parts
        if closed and points:
            points = [*points, points[0]]
        return separator.join(points)

    return st.tuples(st.lists(position, min_size=1, max_size=6), separators).map(joined)


@st.composite
def kml_geometry(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.sampled_from(["Point", "Point", "LineString", "Polygon", "Polygon",
                                 "MultiGeometry", "LinearRing", "Model", "Track", "Nonsense"]))
    if kind == "Polygon":
        closed = not rarely(draw, 5)
        outer = draw(kml_coordinates(closed))
        inner = draw(st.lists(kml_coordinates(closed), max_size=2))
        body = (f"<outerBoundaryIs><LinearRing><coordinates>{outer}</coordinates></LinearRing>"
                "</outerBoundaryIs>" + "".join(
                    f"<innerBoundaryIs><LinearRing><coordinates>{ring}</coordinates>"
                    "</LinearRing></innerBoundaryIs>" for ring in inner))
    elif kind == "MultiGeometry" and depth < 2:
        body = "".join(draw(st.lists(kml_geometry(depth + 1), max_size=3)))
    else:
        body = f"<coordinates>{draw(kml_coordinates())}</coordinates>"
    return f"<{kind}>{body}</{kind}>"


XML_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12)


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def kml_placemark(draw: st.DrawFn) -> str:
    name = _xml_text(draw(SHORT_TEXT if rarely(draw, 20) else XML_TEXT))
    geometry = draw(kml_geometry()) if not rarely(draw, 10) else ""
    extra = draw(st.sampled_from([
        "", "", "<description><![CDATA[<b>bold</b>]]></description>",
        "<ExtendedData><Data name=\"depth\"><value>12</value></Data></ExtendedData>",
        "<ExtendedData><SchemaData schemaUrl=\"#s\"><SimpleData name=\"x\">nan</SimpleData>"
        "</SchemaData></ExtendedData>", "<TimeStamp><when>not a date</when></TimeStamp>"]))
    return f"<Placemark><name>{name}</name>{extra}{geometry}</Placemark>"


@st.composite
def kml_container(draw: st.DrawFn, depth: int = 0) -> str:
    parts = draw(st.lists(kml_placemark(), min_size=0 if depth else 1, max_size=4))
    if depth < 3:
        parts += draw(st.lists(kml_container(depth + 1), max_size=2))
    tag = draw(st.sampled_from(["Folder", "Document"]))
    name = _xml_text(draw(XML_TEXT))
    return f"<{tag}><name>{name}</name>{''.join(parts)}</{tag}>"


@st.composite
def kml_bytes(draw: st.DrawFn) -> bytes:
    """A KML document: nested folders and placemarks with any geometry; sometimes no
    namespace, no declaration, an odd encoding, cut short or empty."""
    body = draw(kml_container())
    namespace = draw(st.sampled_from([' xmlns="http://www.opengis.net/kml/2.2"'] * 3 + [
        ' xmlns="http://earth.google.com/kml/2.1"', ""]))
    encoding = draw(st.sampled_from(("utf-8",) * 6 + ENCODINGS))
    declared = draw(st.sampled_from([encoding, encoding, "utf-8", "", "nonsense"]))
    declaration = (f'<?xml version="1.0" encoding="{declared}"?>\n' if declared
                   else draw(st.sampled_from(["", '<?xml version="1.0"?>\n'])))
    document = f"{declaration}<kml{namespace}>{body}</kml>"
    return draw(cut(encoded(document, encoding)))


# --- byte mutations -------------------------------------------------------------------------

@st.composite
def cut(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` as it is (mostly), truncated, empty, or with a few bytes changed."""
    how = draw(st.sampled_from(["intact"] * 7 + ["truncate", "empty", "bytes"]))
    if how == "truncate" and len(data) > 1:
        return data[: draw(st.integers(1, len(data) - 1))]
    if how == "empty":
        return b""
    if how == "bytes" and data:
        return changed(draw, data, draw(st.integers(1, 4)))
    return data


def changed(draw: st.DrawFn, data: bytes, count: int) -> bytes:
    """``data`` with ``count`` bytes set to random values (at random offsets)."""
    out = bytearray(data)
    for _ in range(count):
        where = draw(st.integers(0, len(out) - 1))
        out[where] = draw(st.integers(0, 255))
    return bytes(out)


@st.composite
def mutated(draw: st.DrawFn, data: bytes, is_zip: bool = False) -> bytes:
    """A real file damaged as uploads get damaged: truncated at a random offset, a few
    random bytes changed (often inside the header, where readers decide), or for a zip
    also bytes changed inside an entry (the archive itself intact, its CRCs right)."""
    how = draw(st.sampled_from(["truncate", "bytes", "header", "entry"] if is_zip
                               else ["truncate", "bytes", "header"]))
    if how == "truncate":
        return data[: draw(st.integers(0, max(len(data) - 1, 0)))]
    if how == "header":
        head = data[:1024]
        return changed(draw, head, draw(st.integers(1, 6))) + data[1024:] if head else data
    if how == "bytes":
        return changed(draw, data, draw(st.integers(1, 16))) if data else data
    return mutated_entries(draw, data)


def mutated_entries(draw: st.DrawFn, data: bytes) -> bytes:
    """The zip rewritten with one entry truncated or with bytes changed."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    if not entries:
        return data
    victim = draw(st.integers(0, len(entries) - 1))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (info, content) in enumerate(entries):
            if index == victim and content:
                content = (content[: draw(st.integers(0, len(content) - 1))]
                           if draw(st.booleans()) else
                           changed(draw, content, draw(st.integers(1, 16))))
            archive.writestr(info.filename, content)
    return out.getvalue()


# --- the verdict ----------------------------------------------------------------------------

class _Unforeseen(logging.Handler):
    """Collects what the catch-all boundary logged as an unforeseen failure."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def no_unforeseen_failure(what: str) -> Iterator[None]:
    """Fails when the catch-all in the pre-flight or publishing logged a reader failure
    that nothing foresaw: a fuzzing find, to fix in the reader."""
    handler = _Unforeseen()
    loggers = [logging.getLogger(name) for name in ("layers.preflight", "services.publishing")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    if handler.records:
        record = handler.records[0]
        detail = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        raise AssertionError(f"the catch-all caught a failure with {what}: "
                             f"{record.getMessage()}\n{detail}")


def note_outcome(outcome: str) -> None:
    """Count ``outcome`` in hypothesis' statistics (``--hypothesis-show-statistics``), to see
    how many examples get past the first refusal; nothing outside a hypothesis test."""
    if currently_in_test_context():
        event(outcome)


def is_sentence(message: str) -> bool:
    """A message someone can read: words, ending as a sentence, no traceback."""
    message = message.strip()
    return (len(message) >= 20 and " " in message and "Traceback" not in message
            and (message[-1] in ".)!?:'\"”" or message.endswith("…")))


def assert_sentences(messages: list[str]) -> None:
    for message in messages:
        assert is_sentence(message), f"not a sentence for a surveyor: {message!r}"


@dataclass
class StoreState:
    """Row counts of every table and the entries of the layer folder."""

    rows: dict[str, int]
    files: set[str]


def store_state(engine: Engine, layer_dir: Path | None = None) -> StoreState:
    tables = inspect(engine).get_table_names()
    with engine.connect() as connection:
        rows = {table: int(connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()
                           or 0) for table in tables}
    files: set[str] = set()
    if layer_dir is not None and layer_dir.exists():
        files = {str(p.relative_to(layer_dir)) for p in layer_dir.rglob("*")
                 if p.is_file() or p.name not in (".staging", ".incoming")}
    return StoreState(rows, files)


def assert_refused_in_words(error: BaseException) -> None:
    """A refusal is in the PermitmapError family and says what is wrong in a sentence."""
    assert isinstance(error, PermitmapError), f"{type(error).__name__}: {error}"
    assert is_sentence(str(error)), f"not a sentence for a surveyor: {error!s}"
