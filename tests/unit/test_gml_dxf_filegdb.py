"""GML, DXF and zipped File Geodatabases are accepted survey uploads: their curves are drawn
as straight segments and reported, they publish and draw; and what could make GDAL fetch or
open other things (DTDs, remote or /vsi xlinks, XInclude, remote schemas, zips escaping
their folder) is refused or never followed.

Fixtures are built here: GML and FileGDB written by pyogrio/GDAL (curves as ISO WKB), GML
with ``gml:Circle`` and DXF with ARC, CIRCLE and bulged LWPOLYLINE entities written by hand.
"""

from __future__ import annotations

import http.server
import shutil
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from pyogrio.raw import write

from layers.errors import UnsafeFile, UnsupportedFormat
from layers.gdal_safety import configure_environment, unsafe_drivers
from layers.identify import identify
from layers.limits import UploadLimits
from layers.preflight import inspect_upload
from layers.upload_formats import FileFormat
from layers.vector_layers import ARC_STEP_DEGREES
from layers.vector_read import VectorOptions
from tests.support.sqlite_publishing import drawn_features, publish, sqlite_setting
from tests.unit.test_curved_geometries import _curve, _parts, write_curves

LIMITS = UploadLimits()
X, Y = -119.8, 39.5  # near Reno
CURVE_NOTE = ("have curved edges ({what}); they are drawn as straight segments, one every "
              f"{ARC_STEP_DEGREES}° of arc.")


# --- fixtures ------------------------------------------------------------------------------


GML_BY_HAND = """<?xml version="1.0" encoding="UTF-8"?>
<gml:FeatureCollection xmlns:gml="http://www.opengis.net/gml"
    xmlns:sv="http://example.com/survey" xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"{extra_root}>
  <gml:featureMember>
    <sv:claim gml:id="c1"><sv:name>disc</sv:name>{extra_feature}
      <sv:geometry><gml:Polygon srsName="EPSG:4326"><gml:exterior><gml:Ring><gml:curveMember>
        <gml:Curve><gml:segments><gml:Circle><gml:posList>
          {x0} {y} {x1} {y1} {x2} {y}
        </gml:posList></gml:Circle></gml:segments></gml:Curve>
      </gml:curveMember></gml:Ring></gml:exterior></gml:Polygon></sv:geometry>
    </sv:claim>
  </gml:featureMember>
  <gml:featureMember>
    <sv:claim gml:id="c2"><sv:name>arc</sv:name>
      <sv:geometry><gml:Curve srsName="EPSG:4326"><gml:segments><gml:ArcString><gml:posList>
        {x0} {y} {x1} {y1} {x2} {y}
      </gml:posList></gml:ArcString></gml:segments></gml:Curve></sv:geometry>
    </sv:claim>
  </gml:featureMember>
  <gml:featureMember>
    <sv:claim gml:id="c3"><sv:name>fence</sv:name>
      <sv:geometry><gml:LineString srsName="EPSG:4326"><gml:posList>
        {x0} {y1} {x2} {y1}
      </gml:posList></gml:LineString></sv:geometry>
    </sv:claim>
  </gml:featureMember>
</gml:FeatureCollection>
"""


def gml_by_hand(path: Path, extra_root: str = "", extra_feature: str = "") -> Path:
    """A GML 3 file with a gml:Circle ring, an ArcString and a straight line."""
    path.write_text(GML_BY_HAND.format(x0=X, x1=X + 0.01, x2=X + 0.02, y=Y, y1=Y + 0.01,
                                       extra_root=extra_root, extra_feature=extra_feature))
    return path


def _dxf_pairs(entity: str, codes: list[tuple[int, object]]) -> list[str]:
    return ["0", entity] + [text for code, value in codes for text in (str(code), str(value))]


def write_dxf(path: Path) -> Path:
    """A text DXF: an ARC, a CIRCLE, a closed LWPOLYLINE with one bulged (arc) segment, a
    straight LINE and a POLYLINE whose vertices carry a bulge."""
    lines = ["999", "written by the permitmap tests", "0", "SECTION", "2", "HEADER",
             "9", "$ACADVER", "1", "AC1015", "0", "ENDSEC", "0", "SECTION", "2", "ENTITIES"]
    lines += _dxf_pairs("ARC", [(8, "claims"), (10, X), (20, Y), (30, 0), (40, 0.01),
                                (50, 0), (51, 90)])
    lines += _dxf_pairs("CIRCLE", [(8, "claims"), (10, X + 0.1), (20, Y), (30, 0),
                                   (40, 0.01)])
    lines += _dxf_pairs("LWPOLYLINE", [(8, "claims"), (90, 3), (70, 1),
                                       (10, X), (20, Y + 0.1), (42, 0.5),
                                       (10, X + 0.02), (20, Y + 0.1),
                                       (10, X + 0.01), (20, Y + 0.12)])
    lines += _dxf_pairs("LINE", [(8, "roads"), (10, X), (20, Y - 0.1), (30, 0),
                                 (11, X + 0.05), (21, Y - 0.1), (31, 0)])
    lines += _dxf_pairs("POLYLINE", [(8, "claims"), (66, 1), (70, 0)])
    lines += _dxf_pairs("VERTEX", [(8, "claims"), (10, X), (20, Y + 0.2), (42, 1)])
    lines += _dxf_pairs("VERTEX", [(8, "claims"), (10, X + 0.02), (20, Y + 0.2), (42, 0)])
    lines += _dxf_pairs("VERTEX", [(8, "claims"), (10, X + 0.03), (20, Y + 0.2)])
    lines += ["0", "SEQEND", "0", "ENDSEC", "0", "EOF"]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_dxf_with_blocks(path: Path) -> Path:
    """A DXF whose drill-hole symbol is a block (a CIRCLE and a LINE), inserted once
    directly and once through a block of two holes, beside a straight LINE; a block that
    inserts itself is there too (never followed round), inserted nowhere."""
    lines = ["0", "SECTION", "2", "HEADER", "9", "$ACADVER", "1", "AC1015", "0", "ENDSEC",
             "0", "SECTION", "2", "BLOCKS"]
    origin = [(10, 0), (20, 0), (30, 0)]
    lines += _dxf_pairs("BLOCK", [(8, "0"), (2, "HOLE"), (70, 0), *origin, (3, "HOLE")])
    lines += _dxf_pairs("CIRCLE", [(8, "0"), *origin, (40, 0.001)])
    lines += _dxf_pairs("LINE", [(8, "0"), *origin, (11, 0.001), (21, 0), (31, 0)])
    lines += ["0", "ENDBLK"]
    lines += _dxf_pairs("BLOCK", [(8, "0"), (2, "TWO"), (70, 0), *origin, (3, "TWO")])
    lines += _dxf_pairs("INSERT", [(8, "0"), (2, "HOLE"), *origin])
    lines += _dxf_pairs("INSERT", [(8, "0"), (2, "HOLE"), (10, 0.01), (20, 0), (30, 0)])
    lines += ["0", "ENDBLK"]
    lines += _dxf_pairs("BLOCK", [(8, "0"), (2, "LOOP"), (70, 0), *origin, (3, "LOOP")])
    lines += _dxf_pairs("INSERT", [(8, "0"), (2, "LOOP"), *origin])
    lines += ["0", "ENDBLK", "0", "ENDSEC", "0", "SECTION", "2", "ENTITIES"]
    lines += _dxf_pairs("INSERT", [(8, "holes"), (2, "HOLE"), (10, X), (20, Y), (30, 0)])
    lines += _dxf_pairs("INSERT", [(8, "holes"), (2, "TWO"), (10, X + 0.1), (20, Y), (30, 0)])
    lines += _dxf_pairs("LINE", [(8, "roads"), (10, X), (20, Y - 0.1), (30, 0),
                                 (11, X + 0.05), (21, Y - 0.1), (31, 0)])
    lines += ["0", "ENDSEC", "0", "EOF"]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_geodatabase(folder: Path) -> Path:
    """A File Geodatabase (OpenFileGDB) with curved areas and curved lines."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    arc = _curve(8, [(X, Y), (X + 0.01, Y + 0.01), (X + 0.02, Y)])
    circle = _curve(8, [(X, Y), (X + 0.01, Y + 0.01), (X + 0.02, Y), (X + 0.01, Y - 0.01),
                        (X, Y)])
    straight = _curve(2, [(X + 0.02, Y), (X + 0.03, Y)])
    layers = [("areas", [_parts(10, circle), _parts(12, _parts(10, circle))], "MultiPolygon"),
              ("lines", [arc, _parts(9, arc, straight), straight], "MultiLineString")]
    for index, (name, geometries, kind) in enumerate(layers):
        names = np.array([f"{name} {n}" for n in range(len(geometries))], dtype=object)
        write(str(folder), np.array(geometries, dtype=object), field_data=[names],
              fields=["name"], geometry_type=kind, crs="EPSG:4326", driver="OpenFileGDB",
              layer=name, append=index > 0)
    return folder


def zip_folder(folder: Path, target: Path, inside: str) -> Path:
    """``folder``'s files zipped under ``inside/`` (``""``: at the zip's top)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, f"{inside}/{file.name}" if inside else file.name)
    return target


def zipped_geodatabase(tmp_path: Path, target: Path, inside: str = "claims.gdb") -> Path:
    built = write_geodatabase(tmp_path / "build" / "claims.gdb")
    zip_folder(built, target, inside)
    shutil.rmtree(tmp_path / "build")
    return target


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:  # the name http.server calls
        self.requests.append(self.path)
        body = b"<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'/>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that answers anything and records every request it receives."""
    requests: list[str] = []
    handler = type("Handler", (_Recorder,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _by_name(inspection: object) -> dict[str, shapely.Geometry]:
    return {str(name): geometry for layer in inspection.vector_layers  # type: ignore[attr-defined]
            for name, geometry in zip(layer.frame["name"], layer.frame.geometry, strict=True)}


# --- accepted: read, linearised, reported, published, drawn ---------------------------------


def test_drivers_are_registered_and_reviewed() -> None:
    registered = pyogrio.list_drivers()
    assert {"GML", "DXF", "OpenFileGDB"} <= set(registered)
    assert unsafe_drivers(registered) == ([], [])


def test_gml_written_by_gdal_with_every_curve_type(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setting = sqlite_setting(tmp_path, monkeypatch)
    path = write_curves(setting["files"] / "claims.gml", "GML")
    assert identify(path, path.name, LIMITS).format is FileFormat.GML
    inspection = inspect_upload(path, path.name)
    report = inspection.report
    assert report.ok, report.errors
    assert report.format == "GML"
    assert report.layers[0].linearised == 5
    assert f"claims.gml: 5 features {CURVE_NOTE.format(what='arcs or circles')}" in report.notes
    disc = _by_name(inspection)["disc"]
    assert disc.geom_type == "Polygon" and disc.is_valid
    assert len(shapely.get_coordinates(disc)) == 360 // ARC_STEP_DEGREES + 1
    records = publish(setting, path)
    assert sorted((r.geometry_type, r.feature_count) for r in records) == [
        ("LineString", 3), ("Polygon", 2)]
    drawn = [f for record in records for f in drawn_features(record)]
    assert len(drawn) == 5
    x, y = drawn[0]["geometry"]["coordinates"][0][:2]
    assert -120 < x < -119 and 39 < y < 40  # lon/lat, whatever the GML's axis order


def test_hand_written_gml_circle_in_an_xml_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setting = sqlite_setting(tmp_path, monkeypatch)
    path = gml_by_hand(setting["files"] / "survey.xml")
    source = identify(path, path.name, LIMITS)
    assert source.format is FileFormat.GML and not source.notes  # .xml is fine for GML
    inspection = inspect_upload(path, path.name)
    assert inspection.report.ok, inspection.report.errors
    assert inspection.report.layers[0].linearised == 2
    geometries = _by_name(inspection)
    assert geometries["disc"].geom_type == "Polygon"
    assert geometries["disc"].area == pytest.approx(np.pi * 0.01**2, rel=0.01)
    assert geometries["fence"].geom_type == "LineString"
    records = publish(setting, path)
    assert sum(len(drawn_features(record)) for record in records) == 3


def test_xml_that_is_not_gml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.xml"
    path.write_text('<?xml version="1.0"?><notes xmlns="http://example.com/n"><a/></notes>')
    with pytest.raises(UnsupportedFormat, match=r"<notes> root, not KML, GPX or GML"):
        identify(path, path.name, LIMITS)


def test_dxf_arcs_circles_and_bulges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setting = sqlite_setting(tmp_path, monkeypatch)
    path = write_dxf(setting["files"] / "site plan.dxf")
    assert identify(path, path.name, LIMITS).format is FileFormat.DXF
    stated = inspect_upload(path, path.name)  # a DXF states no coordinate system
    assert not stated.report.ok
    assert "has no coordinate system; choose one" in " ".join(stated.report.errors)
    options = VectorOptions(assume_crs="EPSG:4326")
    inspection = inspect_upload(path, path.name, options)
    report = inspection.report
    assert report.ok, report.errors
    assert report.format == "DXF (CAD drawing)"
    assert report.layers[0].linearised == 4  # ARC, CIRCLE, bulged LWPOLYLINE and POLYLINE
    words = "arcs, circles, ellipses, splines or bulged polylines"
    assert f"site plan.dxf: 4 entities {CURVE_NOTE.format(what=words)}" in report.notes
    lines = [g for layer in inspection.vector_layers for g in layer.frame.geometry]
    assert len(lines) == 5
    circle = max(lines, key=lambda g: len(shapely.get_coordinates(g)))
    assert len(shapely.get_coordinates(circle)) == 360 // ARC_STEP_DEGREES + 1
    records = publish(setting, path, options)
    assert sum(len(drawn_features(record)) for record in records) == 5


def test_dxf_symbols_with_circles_in_blocks_are_counted(tmp_path: Path) -> None:
    path = write_dxf_with_blocks(tmp_path / "holes.dxf")
    inspection = inspect_upload(path, path.name, VectorOptions(assume_crs="EPSG:4326"))
    report = inspection.report
    assert report.ok, report.errors
    assert (report.layers[0].feature_count, report.layers[0].linearised) == (3, 2)
    holes = [g for layer in inspection.vector_layers for g in layer.frame.geometry
             if len(shapely.get_coordinates(g)) > 2]
    # three holes (the insert of two comes as a collection, read as its two parts), each
    # circle drawn as straight segments
    assert len(holes) == 3
    assert all(len(shapely.get_coordinates(g)) > 360 // ARC_STEP_DEGREES for g in holes)


@pytest.mark.parametrize("inside", ["claims.gdb", "survey/claims.gdb", ""])
def test_zipped_file_geodatabase_with_curves(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inside: str) -> None:
    setting = sqlite_setting(tmp_path, monkeypatch)
    path = zipped_geodatabase(tmp_path, setting["files"] / "claims.gdb.zip", inside)
    source = identify(path, path.name, LIMITS)
    assert source.format is FileFormat.FILEGDB
    assert source.gdal_path == f"/vsizip/{path.resolve()}" + (f"/{inside}" if inside else "")
    options = VectorOptions(layers=("areas", "lines"))
    inspection = inspect_upload(path, path.name, options)
    report = inspection.report
    assert report.ok, report.errors
    assert {(layer.name, layer.feature_count, layer.linearised) for layer in report.layers} == {
        ("areas", 2, 2), ("lines", 3, 2)}
    assert (f"claims.gdb.zip, layer 'areas': 2 features "
            f"{CURVE_NOTE.format(what='arcs or circles')}") in report.notes
    records = publish(setting, path, options)
    assert sorted((r.geometry_type, r.feature_count) for r in records) == [
        ("LineString", 3), ("Polygon", 2)]
    assert sum(len(drawn_features(record)) for record in records) == 5


def test_zip_of_two_geodatabases_is_refused(tmp_path: Path) -> None:
    built = write_geodatabase(tmp_path / "claims.gdb")
    target = tmp_path / "two.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for folder in ("a.gdb", "b.gdb"):
            for file in built.iterdir():
                archive.write(file, f"{folder}/{file.name}")
    with pytest.raises(UnsupportedFormat, match="holds 2 File Geodatabases"):
        identify(target, target.name, LIMITS)


# --- hostile files --------------------------------------------------------------------------


def test_gml_with_a_doctype_and_entities_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "laughs.gml"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE gml:FeatureCollection [\n'
                    '<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n'
                    + GML_BY_HAND.split("\n", 1)[1].format(
                        x0=X, x1=X, x2=X, y=Y, y1=Y, extra_root="",
                        extra_feature="<sv:note>&lol2;</sv:note>"))
    report = inspect_upload(path, path.name).report
    assert not report.ok
    assert "declares a DOCTYPE or XML entities" in report.errors[0]


@pytest.mark.parametrize(("href", "words"), [
    ("ftp://example.com/parcels.gml#p1", "links to data on the network or in other files"),
    ("/vsicurl/http://example.com/parcels.gml", "refers to a GDAL virtual path"),
    ("file:///etc/passwd", "links to data on the network or in other files"),
    ("FILE:/etc/passwd", "links to data on the network or in other files"),
])
def test_gml_with_a_file_or_vsi_xlink_is_refused(tmp_path: Path, href: str, words: str) -> None:
    path = gml_by_hand(tmp_path / "linked.gml",
                       extra_feature=f'<sv:parcel xlink:href="{href}"/>')
    with pytest.raises(UnsafeFile, match=words):
        identify(path, path.name, LIMITS)
    assert not inspect_upload(path, path.name).report.ok


def test_gml_with_local_xlinks_is_accepted(tmp_path: Path) -> None:
    path = gml_by_hand(tmp_path / "local.gml",
                       extra_feature='<sv:parcel xlink:href="#c2"/>'
                                     '<sv:kind xlink:href="urn:x-survey:kind:claim"/>')
    assert inspect_upload(path, path.name).report.ok


def test_gml_with_web_xlinks_is_read_and_nothing_is_fetched(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        web_server: tuple[str, list[str]]) -> None:
    """INSPIRE GML links every code list value to a web address: the file is accepted and
    the links stay text; the server hears nothing while checking and publishing."""
    url, requests = web_server
    setting = sqlite_setting(tmp_path, monkeypatch)
    path = gml_by_hand(setting["files"] / "inspire.gml", extra_feature=(
        f'<sv:parcel xlink:href="{url}/parcels.gml#p1"/>'
        f'<sv:kind xlink:href="{url.replace("http://", "HTTP://")}/codelist/claim"/>'))
    report = inspect_upload(path, path.name).report
    assert report.ok, report.errors
    assert report.layers[0].feature_count == 3
    assert sum(len(drawn_features(record)) for record in publish(setting, path)) == 3
    assert requests == []


def test_gml_with_xinclude_is_refused(tmp_path: Path) -> None:
    path = gml_by_hand(tmp_path / "include.gml",
                       extra_root=' xmlns:xi="http://www.w3.org/2001/XInclude"',
                       extra_feature='<xi:include href="/etc/hostname" parse="text"/>')
    with pytest.raises(UnsafeFile, match=r"includes other files \(XInclude\)"):
        identify(path, path.name, LIMITS)


def test_gml_naming_remote_schemas_opens_without_the_network(
        tmp_path: Path, web_server: tuple[str, list[str]]) -> None:
    """A WFS DescribeFeatureType schemaLocation (which GDAL downloads unless told not to),
    a plain remote .xsd and an srsName URL: the file is read, the server hears nothing."""
    url, requests = web_server
    location = (f"http://example.com/survey {url}/wfs?SERVICE=WFS&amp;VERSION=1.1.0&amp;"
                f"REQUEST=DescribeFeatureType&amp;TYPENAME=sv:claim "
                f"http://www.opengis.net/gml {url}/gml.xsd")
    path = gml_by_hand(tmp_path / "wfs.gml", extra_root=f' xsi:schemaLocation="{location}"')
    path.write_text(path.read_text().replace('<gml:LineString srsName="EPSG:4326">',
                                             f'<gml:LineString srsName="{url}/crs.wkt">'))
    stated = inspect_upload(path, path.name).report  # a CRS GDAL could not look up: asked
    assert "has no coordinate system; choose one" in " ".join(stated.errors)
    inspection = inspect_upload(path, path.name, VectorOptions(assume_crs="EPSG:4326"))
    assert inspection.report.ok, inspection.report.errors
    assert len(_by_name(inspection)) == 3
    assert requests == []


def test_gml_safety_options_are_forced_over_an_operators_settings() -> None:
    env = {"GML_SKIP_RESOLVE_ELEMS": "NONE", "GML_DOWNLOAD_SCHEMA": "YES"}
    configure_environment(env)
    assert env["GML_SKIP_RESOLVE_ELEMS"] == "ALL"
    assert env["GML_DOWNLOAD_SCHEMA"] == "NO"
    assert env["GML_USE_SCHEMA_IMPORT"] == "NO"


def test_gml_resolver_fetches_nothing_even_when_handed_straight_to_gdal(
        tmp_path: Path, web_server: tuple[str, list[str]]) -> None:
    """Skipping identify's refusal, GDAL itself still does not follow a remote xlink."""
    url, requests = web_server
    path = gml_by_hand(tmp_path / "linked.gml",
                       extra_feature=f'<sv:parcel xlink:href="{url}/parcels.gml#p1"/>')
    assert len(pyogrio.read_dataframe(path, use_arrow=False)) == 3
    assert requests == []


@pytest.mark.parametrize("entry", ["claims.gdb/../../evil.gdbtable", "/claims.gdb/a.gdbtable"])
def test_geodatabase_zip_escaping_its_folder_is_refused(tmp_path: Path, entry: str) -> None:
    target = zipped_geodatabase(tmp_path, tmp_path / "claims.gdb.zip")
    with zipfile.ZipFile(target, "a") as archive:
        archive.writestr(entry, b"x")
    with pytest.raises(UnsafeFile, match=r"path traversal|absolute path"):
        identify(target, target.name, LIMITS)
    assert not inspect_upload(target, target.name).report.ok


def test_dxf_naming_a_vsi_path_is_refused(tmp_path: Path) -> None:
    path = write_dxf(tmp_path / "plan.dxf")
    path.write_text(path.read_text().replace("written by the permitmap tests",
                                             "/vsicurl/http://example.com/x.dxf"))
    with pytest.raises(UnsafeFile, match="refers to a GDAL virtual path"):
        identify(path, path.name, LIMITS)


def test_binary_dxf_is_refused_in_words(tmp_path: Path) -> None:
    path = tmp_path / "plan.dxf"
    path.write_bytes(b"AutoCAD Binary DXF\r\n\x1a\x00" + bytes(64))
    with pytest.raises(UnsupportedFormat, match=r"binary DXF.*ASCII"):
        identify(path, path.name, LIMITS)


def test_text_that_is_not_a_dxf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.dxf"
    path.write_text("hello\nworld\n")
    report = inspect_upload(path, path.name).report
    assert not report.ok
    assert "does not start as a DXF drawing does" in report.errors[0]
