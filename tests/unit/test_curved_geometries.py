"""Curved geometries (CircularString, CompoundCurve, CurvePolygon, MultiCurve, MultiSurface)
are read, drawn as straight segments, and the report says how many and how finely.

GeoPackage and FlatGeobuf here; GML, DXF and zipped File Geodatabases in
test_gml_dxf_filegdb.py."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyogrio.raw import write

from layers.preflight import inspect_upload
from layers.vector_layers import ARC_STEP_DEGREES
from tests.support.sqlite_publishing import drawn_features, publish, sqlite_setting


def _points(points: list[tuple[float, float]]) -> bytes:
    return struct.pack("<I", len(points)) + b"".join(struct.pack("<dd", *p) for p in points)


def _curve(kind: int, points: list[tuple[float, float]]) -> bytes:
    return b"\x01" + struct.pack("<I", kind) + _points(points)  # 2 line, 8 circular string


def _parts(kind: int, *parts: bytes) -> bytes:
    return b"\x01" + struct.pack("<II", kind, len(parts)) + b"".join(parts)


def write_curves(path: Path, driver: str) -> Path:
    """One feature of each curved type, as ISO WKB (shapely cannot make curves), near Reno."""
    x, y = -119.8, 39.5
    arc = _curve(8, [(x, y), (x + 0.01, y + 0.01), (x + 0.02, y)])
    circle = _curve(8, [(x, y), (x + 0.01, y + 0.01), (x + 0.02, y), (x + 0.01, y - 0.01),
                        (x, y)])
    straight = _curve(2, [(x + 0.02, y), (x + 0.03, y)])
    geometries = [
        arc,  # CircularString
        _parts(9, arc, straight),  # CompoundCurve
        _parts(10, circle),  # CurvePolygon
        _parts(11, arc, _curve(2, [(x, y + 0.1), (x + 0.01, y + 0.1)])),  # MultiCurve
        _parts(12, _parts(10, circle)),  # MultiSurface
    ]
    names = np.array(["arc", "compound", "disc", "multicurve", "multisurface"], dtype=object)
    write(str(path), np.array(geometries, dtype=object), field_data=[names], fields=["name"],
          geometry_type="Unknown", crs="EPSG:4326", driver=driver)
    return path


@pytest.mark.parametrize(("driver", "suffix"), [("GPKG", "gpkg"), ("FlatGeobuf", "fgb")])
def test_curves_are_linearised_reported_published_and_drawn(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, driver: str, suffix: str) -> None:
    setting = sqlite_setting(tmp_path, monkeypatch)
    path = write_curves(setting["files"] / f"claims.{suffix}", driver)
    inspection = inspect_upload(path, path.name)
    report = inspection.report
    assert report.ok, report.errors
    assert report.layers[0].linearised == 5
    assert (f"5 features have curved edges (arcs or circles); they are drawn as straight "
            f"segments, one every {ARC_STEP_DEGREES}° of arc.") in " ".join(report.notes)
    by_name = {name: geom for layer in inspection.vector_layers
               for name, geom in zip(layer.frame["name"], layer.frame.geometry, strict=True)}
    assert by_name["disc"].geom_type == "Polygon" and by_name["disc"].is_valid
    assert len(shapely.get_coordinates(by_name["disc"])) == 360 // ARC_STEP_DEGREES + 1
    assert by_name["multisurface"].geom_type == "MultiPolygon"
    assert by_name["compound"].geom_type == "LineString"

    records = publish(setting, path)
    assert sorted((r.geometry_type, r.feature_count) for r in records) == [
        ("LineString", 3), ("Polygon", 2)]
    drawn = [f for record in records for f in drawn_features(record)]
    assert len(drawn) == 5
    assert {f["geometry"]["type"] for f in drawn} <= {"LineString", "Polygon",
                                                     "MultiLineString", "MultiPolygon"}
