"""Export formats: every format read back (pyogrio, json, pandas, geopandas) gives the same
features, values and types as far as the format allows; RFC 7946 rules; CSV formulas."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

# isort: off
import layers  # noqa: F401  (first: sets GDAL_SKIP before pyogrio is imported)

# isort: on
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from exports.formats import (
    ExportFile,
    ExportFormat,
    export_features,
    neutralise_formulas,
    rfc7946_geojson,
    shapefile_field_names,
)
from layers.errors import UnsupportedFormat
from layers.features import Features
from tests.support.rfc7946 import rfc7946_problems

AKITA = "秋田製錬所"
FORMULA = '=HYPERLINK("http://evil.example/?x=1","click")'
IDS = ["site-akita", "site-formula", "site-ore", "site-nowhere"]
LOCATED = IDS[:3]


def sites() -> gpd.GeoDataFrame:
    """Three located sites (one Japanese, one formula, one "-5 ore") and one without geometry."""
    return gpd.GeoDataFrame({
        "id": IDS,
        "name": [AKITA, FORMULA, "-5 ore", "Nowhere"],
        "commodities": [["Li", "REE"], ["Cu"], [], ["Ni", "Co"]],
        "next_milestone_date": [dt.date(2026, 11, 24), None, dt.date(2025, 1, 2),
                                dt.date(2024, 2, 29)],
        "grade": [1.5, np.nan, -2.25, 3.0],
        "tonnes": [1200, 2, 3, 4],
        "active": [True, False, True, False],
    }, geometry=[shapely.Point(140.1025, 39.7186), shapely.Point(-116.1234567, 36.5),
                 shapely.Point(0.5, -0.25), None], crs="EPSG:4326")


def polygons() -> gpd.GeoDataFrame:
    """A clockwise square, a square with a (counter-clockwise) hole, one crossing 180°."""
    clockwise = shapely.Polygon([(10, 10), (10, 11), (11, 11), (11, 10)])
    holed = shapely.Polygon([(0, 0), (0, 4), (4, 4), (4, 0)],
                            [[(1, 1), (2, 1), (2, 2), (1, 2)]])
    crossing = shapely.Polygon([(170, -10), (-170, -10), (-170, 10), (170, 10)])
    return gpd.GeoDataFrame({"id": ["cw", "holed", "crossing"], "name": ["a", "b", "c"]},
                            geometry=[clockwise, holed, crossing], crs="EPSG:4326")


def exported(frame: gpd.GeoDataFrame, fmt: ExportFormat, tmp_path: Path) -> tuple[str, ExportFile]:
    """Export and save; the path pyogrio opens (inside the zip for a Shapefile)."""
    result = export_features(Features.of(frame), fmt, stem="sites")
    path = tmp_path / result.file_name
    path.write_bytes(result.data)
    return (f"/vsizip/{path}/sites.shp" if fmt is ExportFormat.SHP else str(path)), result


def read_back(frame: gpd.GeoDataFrame, fmt: ExportFormat, tmp_path: Path) -> gpd.GeoDataFrame:
    path, _ = exported(frame, fmt, tmp_path)
    if fmt is ExportFormat.PARQUET:
        return gpd.read_parquet(path)
    return pyogrio.read_dataframe(path)


def by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("id")


# --- GeoJSON ---------------------------------------------------------------------------------


def test_geojson_values_and_types_round_trip_through_json() -> None:
    document = json.loads(rfc7946_geojson(Features.of(sites())))
    features = {feature["id"]: feature for feature in document["features"]}
    assert list(features) == IDS
    assert features["site-akita"]["properties"] == {
        "name": AKITA, "commodities": ["Li", "REE"], "next_milestone_date": "2026-11-24",
        "grade": 1.5, "tonnes": 1200, "active": True}
    assert features["site-formula"]["properties"]["name"] == FORMULA  # JSON is not a spreadsheet
    assert features["site-formula"]["properties"]["grade"] is None
    assert features["site-formula"]["properties"]["next_milestone_date"] is None
    assert features["site-ore"]["properties"]["commodities"] == []
    assert features["site-nowhere"]["geometry"] is None
    assert features["site-formula"]["geometry"]["coordinates"] == [-116.123457, 36.5]


def test_geojson_is_plain_utf8_without_crs_or_bbox() -> None:
    data = rfc7946_geojson(Features.of(sites()))
    assert AKITA.encode("utf-8") in data and b"\\u" not in data and b"NaN" not in data
    document = json.loads(data)
    assert set(document) == {"type", "features"}
    assert all(set(feature) == {"type", "id", "geometry", "properties"}
               for feature in document["features"])
    assert rfc7946_problems(document) == []


def test_geojson_reads_back_with_pyogrio(tmp_path: Path) -> None:
    back = by_id(read_back(sites(), ExportFormat.GEOJSON, tmp_path))
    assert back.loc["site-akita", "name"] == AKITA
    assert list(back.loc["site-akita", "commodities"]) == ["Li", "REE"]
    assert back["next_milestone_date"].dtype.kind == "M"
    assert back.loc["site-akita", "next_milestone_date"] == pd.Timestamp("2026-11-24")
    assert back["tonnes"].dtype.kind == "i" and back["active"].dtype == bool
    assert np.isnan(back.loc["site-formula", "grade"])
    assert back.geometry.isna().tolist() == [False, False, False, True]


def test_geojson_polygons_are_wound_and_split() -> None:
    result = export_features(Features.of(polygons()), ExportFormat.GEOJSON, stem="layer")
    document = json.loads(result.data)
    assert rfc7946_problems(document) == []
    geometries = {feature["id"]: feature["geometry"] for feature in document["features"]}
    assert geometries["crossing"]["type"] == "MultiPolygon"
    assert all(shapely.is_ccw(shapely.LinearRing(ring))
               for ring in (geometries["cw"]["coordinates"][0],
                            geometries["holed"]["coordinates"][0]))
    assert not shapely.is_ccw(shapely.LinearRing(geometries["holed"]["coordinates"][1]))
    assert result.notes == ["1 feature was split at the antimeridian (180° longitude), "
                            "as RFC 7946 asks."]


def test_geojson_timestamps_keep_their_offset_and_ids_become_strings() -> None:
    frame = gpd.GeoDataFrame({
        "id": [1, 2],
        "updated": pd.to_datetime(["2026-01-01T10:00", None]).tz_localize("Asia/Tokyo")},
        geometry=[shapely.Point(0, 0), shapely.Point(1, 1)], crs="EPSG:4326")
    features = json.loads(rfc7946_geojson(Features.of(frame)))["features"]
    assert [feature["id"] for feature in features] == ["1", "2"]
    assert [feature["properties"]["updated"] for feature in features] == [
        "2026-01-01T10:00:00+09:00", None]


def test_geojson_keeps_separators_inside_values() -> None:
    notes = ["one\u2028two\nthree", 'x},{"note":"y', "back\\slash/"]
    frame = gpd.GeoDataFrame({"id": ["a/b", 'q"uote', "c"], "鉱種/note": notes},
                             geometry=[shapely.Point(0, 0)] * 3, crs="EPSG:4326")
    features = json.loads(rfc7946_geojson(Features.of(frame)))["features"]
    assert [feature["id"] for feature in features] == ["a/b", 'q"uote', "c"]
    assert [feature["properties"]["鉱種/note"] for feature in features] == notes


def test_other_crs_is_reprojected_to_longitude_latitude() -> None:
    frame = sites().iloc[:1].to_crs("EPSG:3857")
    document = json.loads(rfc7946_geojson(Features.of(frame)))
    coordinates = document["features"][0]["geometry"]["coordinates"]
    assert coordinates == [140.1025, 39.7186]


@pytest.mark.parametrize("frame", [
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.Point(0, 0)], crs="EPSG:4326"),
    gpd.GeoDataFrame({"id": ["x", "x"]}, geometry=[None, None], crs="EPSG:4326"),
    gpd.GeoDataFrame({"id": ["x"]}, geometry=[shapely.Point(0, 0)]),
], ids=["no id column", "repeated id", "no crs"])
def test_broken_input_contract_is_a_value_error(frame: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match=r"id|CRS"):
        export_features(Features.of(frame), ExportFormat.GEOJSON, stem="x")


# --- RFC 7946 checks -----------------------------------------------------------------------


def feature(geometry: dict | None, fid: object = "a", **extra: object) -> dict:
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": {}, **extra}


def collection(*features: dict, **extra: object) -> dict:
    return {"type": "FeatureCollection", "features": list(features), **extra}


SQUARE_CCW = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
POINT = {"type": "Point", "coordinates": [1.5, 2.5]}


@pytest.mark.parametrize(("document", "expected"), [
    (collection(feature(POINT), crs={"type": "name"}), "'crs' member"),
    (collection(feature(POINT, bbox=[1.5, 2.5, 1.5, 2.5])), "per-feature 'bbox'"),
    (collection(feature({"type": "Point", "coordinates": [181, 0]})), "outside longitude"),
    (collection(feature({"type": "Point", "coordinates": [0, -91]})), "outside longitude"),
    (collection(feature({"type": "Point", "coordinates": [1.1234567, 0]})), "more than 6 dec"),
    (collection(feature({"type": "Polygon", "coordinates": [SQUARE_CCW[::-1]]})),
     "clockwise exterior"),
    (collection(feature({"type": "Polygon", "coordinates": [
        [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]], [[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]]]})),
     "counter-clockwise hole"),
    (collection(feature({"type": "Polygon", "coordinates": [
        [[-170, 0], [170, 0], [170, 1], [-170, 1], [-170, 0]]]})), "spanning more than 180°"),
    (collection(feature({"type": "Polygon", "coordinates": [SQUARE_CCW[:4]]})), "unclosed"),
    (collection(feature({"type": "Point", "coordinates": [[1, 2]]})), "malformed geometry"),
    (collection(feature(POINT, fid=None)), "no 'id'"),
    (collection(feature(POINT), feature(POINT)), "used by 2 features"),
    (collection({"type": "Feature", "id": "a", "geometry": POINT}), "no 'properties'"),
    ({"type": "Feature", "geometry": POINT}, "not a FeatureCollection"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_rfc7946_problems_finds_each_problem(document: dict, expected: str) -> None:
    problems = rfc7946_problems(document)
    assert len(problems) == 1 and expected in problems[0], problems


def test_rfc7946_problems_accepts_a_good_document() -> None:
    document = collection(
        feature({"type": "MultiPolygon", "coordinates": [[SQUARE_CCW], [SQUARE_CCW]]}, "a"),
        feature({"type": "GeometryCollection", "geometries": [POINT]}, "b"),
        feature(None, "c"))
    assert rfc7946_problems(document) == []


@settings(max_examples=60, deadline=None)
@given(points=st.lists(st.tuples(st.floats(-180, 180), st.floats(-90, 90)), max_size=30),
       precision=st.integers(0, 8))
def test_geojson_of_random_points_is_valid_and_round_trips(
        points: list[tuple[float, float]], precision: int) -> None:
    frame = gpd.GeoDataFrame({"id": [f"p{n}" for n in range(len(points))]},
                             geometry=[shapely.Point(xy) for xy in points], crs="EPSG:4326")
    document = json.loads(rfc7946_geojson(Features.of(frame), precision=precision))
    assert rfc7946_problems(document, precision=precision) == []
    written = [feature["geometry"]["coordinates"] for feature in document["features"]]
    assert np.allclose(np.array(written).reshape(-1, 2), np.array(points).reshape(-1, 2),
                       rtol=0, atol=10.0 ** -precision)


# --- CSV -----------------------------------------------------------------------------------


def test_csv_round_trip_with_pandas() -> None:
    result = export_features(Features.of(sites()), ExportFormat.CSV, stem="sites")
    assert result.data.startswith(b"\xef\xbb\xbf") and result.media_type.startswith("text/csv")
    # the first line is the handling marking; the header row follows it
    assert result.data.decode("utf-8-sig").startswith("# Handling marking: Public (public)\n")
    back = by_id(pd.read_csv(io.BytesIO(result.data), encoding="utf-8-sig", skiprows=1))
    assert list(back.columns) == ["lon", "lat", "name", "commodities", "next_milestone_date",
                                  "grade", "tonnes", "active"]
    assert back.loc["site-akita"].tolist() == [140.1025, 39.7186, AKITA, "Li; REE",
                                               "2026-11-24", 1.5, 1200, True]
    assert back.loc["site-formula", "name"] == "'" + FORMULA
    assert back.loc["site-ore", "name"] == "'-5 ore"
    assert back.loc["site-ore", "grade"] == -2.25  # a negative number stays a number
    assert back.loc["site-formula", "lon"] == -116.123457
    assert back.loc["site-nowhere", ["lon", "lat"]].isna().all()
    assert back["tonnes"].dtype.kind == "i" and back["active"].dtype == bool
    assert result.notes == [
        'CSV has no list type: commodities is written as text joined with "; ".',
        "2 CSV cells starting with =, +, -, @, tab or carriage return were prefixed with ' so "
        "spreadsheets show them as text."]


def test_csv_of_polygons_has_wkt_and_a_point_inside() -> None:
    data = export_features(Features.of(polygons()), ExportFormat.CSV, stem="layer").data
    back = by_id(pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", skiprows=1))
    shapes = shapely.from_wkt(back["wkt"].to_numpy())
    inside = shapely.points(back["lon"].to_numpy(), back["lat"].to_numpy())
    assert shapely.covers(shapes, inside).all()
    assert back.loc["cw", "wkt"] == "POLYGON ((10 10, 10 11, 11 11, 11 10, 10 10))"


def test_neutralise_formulas_covers_tab_and_carriage_return_but_not_numbers() -> None:
    cells, count = neutralise_formulas(pd.Series(["\tcmd", "\r=1", "+1", "@SUM(A1)", "a=b", None]))
    assert cells.tolist()[:5] == ["'\tcmd", "'\r=1", "'+1", "'@SUM(A1)", "a=b"] and count == 4
    numbers = pd.Series([-5, 3])
    assert neutralise_formulas(numbers) == (numbers, 0)


# --- GeoPackage, KML, Shapefile, GeoParquet ---------------------------------------------------


def test_gpkg_round_trip_keeps_real_types(tmp_path: Path) -> None:
    path, result = exported(sites(), ExportFormat.GPKG, tmp_path)
    assert pyogrio.list_layers(path)[:, 0].tolist() == ["sites"]
    back = by_id(pyogrio.read_dataframe(path))
    assert back.index.tolist() == IDS
    assert back.loc["site-akita", "name"] == AKITA
    assert back.loc["site-akita", "commodities"] == "Li; REE"
    assert pyogrio.read_info(path)["dtypes"].tolist() == [
        "object", "object", "object", "datetime64[D]", "float64", "int64", "bool"]
    assert back.loc["site-akita", "next_milestone_date"] == pd.Timestamp("2026-11-24")
    assert back.loc["site-akita", "tonnes"] == 1200 and back.loc["site-ore", "grade"] == -2.25
    assert back.loc["site-formula", "name"] == FORMULA
    assert back.geometry.isna().tolist() == [False, False, False, True]
    assert back.loc["site-formula"].geometry.equals(shapely.Point(-116.1234567, 36.5))
    assert result.notes == ['GeoPackage has no list type: commodities is written as text '
                            'joined with "; ".']


def test_gpkg_timestamps_are_utc(tmp_path: Path) -> None:
    frame = sites()
    frame["updated"] = pd.to_datetime(["2026-01-01T10:00"] * 4).tz_localize("Asia/Tokyo")
    back = read_back(frame, ExportFormat.GPKG, tmp_path)
    assert back["updated"].iloc[0] == pd.Timestamp("2026-01-01T01:00", tz="UTC")


def test_kml_round_trip(tmp_path: Path) -> None:
    path, result = exported(sites(), ExportFormat.KML, tmp_path)
    back = by_id(pyogrio.read_dataframe(path))  # LIBKML reads Placemark id and <name>
    assert back.index.tolist() == LOCATED
    assert back["Name"].tolist() == [AKITA, FORMULA, "-5 ore"]
    assert back.loc["site-akita", ["commodities", "next_milestone_date"]].tolist() == [
        "Li; REE", "2026-11-24"]
    assert back["tonnes"].tolist() == [1200, 2, 3] and back["tonnes"].dtype.kind == "i"
    assert back["active"].tolist() == [True, False, True]
    assert back.loc["site-ore", "grade"] == -2.25 and np.isnan(back.loc["site-formula", "grade"])
    assert result.notes[-1] == ("1 feature without a location was left out: KML cannot hold a "
                                "feature with no geometry.")


def test_shapefile_zip_round_trip(tmp_path: Path) -> None:
    path, result = exported(sites(), ExportFormat.SHP, tmp_path)
    names = zipfile.ZipFile(io.BytesIO(result.data)).namelist()
    assert names[0] == "MARKING.txt"  # the handling marking first, then the Shapefile
    assert sorted(names[1:]) == ["sites.cpg", "sites.dbf", "sites.prj", "sites.shp",
                                 "sites.shx"]
    assert zipfile.ZipFile(io.BytesIO(result.data)).read("sites.cpg").strip() == b"UTF-8"
    back = by_id(pyogrio.read_dataframe(path))
    assert list(back.columns) == ["name", "commoditie", "next_miles", "grade", "tonnes",
                                  "active", "geometry"]
    assert back.index.tolist() == LOCATED
    assert back.loc["site-akita", "name"] == AKITA
    assert back.loc["site-akita", "next_miles"] == pd.Timestamp("2026-11-24")
    assert pd.isna(back.loc["site-formula", "next_miles"])
    assert back["tonnes"].dtype.kind == "i" and back["active"].dtype == bool
    assert "Shapefile field names are at most 10 characters: commodities → commoditie, " \
           "next_milestone_date → next_miles" in result.notes


def test_shapefile_refuses_mixed_geometry_types() -> None:
    frame = pd.concat([sites().iloc[:1], polygons().iloc[:1]])
    with pytest.raises(UnsupportedFormat, match="GeoPackage or GeoJSON"):
        export_features(Features.of(frame), ExportFormat.SHP, stem="mixed")


def test_shapefile_of_polygons_and_long_text(tmp_path: Path) -> None:
    frame = polygons()
    frame["note"] = ["鉱" * 100, "x", None]  # 300 UTF-8 bytes
    path, result = exported(frame, ExportFormat.SHP, tmp_path)
    back = by_id(pyogrio.read_dataframe(path))
    assert back.loc["cw", "note"] == "鉱" * 84
    assert back.loc["holed"].geometry.equals(polygons().geometry.iloc[1])
    assert "Shapefile text fields hold at most 254 bytes: 1 values of note were cut." in \
        result.notes


def test_shapefile_field_names_stay_unique_ignoring_case() -> None:
    assert shapefile_field_names(["Permit_Status_A", "permit_status_b", "permit_sta"]) == {
        "Permit_Status_A": "Permit_Sta", "permit_status_b": "permit_s_1",
        "permit_sta": "permit_s_2"}


def test_parquet_round_trip_keeps_lists_dates_and_nulls() -> None:
    result = export_features(Features.of(sites()), ExportFormat.PARQUET, stem="sites")
    back = by_id(gpd.read_parquet(io.BytesIO(result.data)))
    assert back.index.tolist() == IDS and back.crs.equals("EPSG:4326")
    assert [list(value) for value in back["commodities"]] == [
        ["Li", "REE"], ["Cu"], [], ["Ni", "Co"]]
    assert back.loc["site-akita", "next_milestone_date"] == dt.date(2026, 11, 24)
    assert back.loc["site-akita", "name"] == AKITA
    assert back["tonnes"].dtype == "int64" and back["active"].dtype == bool
    assert back.geometry.isna().tolist() == [False, False, False, True]
    assert result.notes == []


def test_polygons_survive_gpkg_and_parquet(tmp_path: Path) -> None:
    for fmt in (ExportFormat.GPKG, ExportFormat.PARQUET):
        back = read_back(polygons(), fmt, tmp_path)
        assert shapely.equals(back.geometry.array, polygons().geometry.array).all()


# --- every format ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_japanese_names_survive_every_format(fmt: ExportFormat, tmp_path: Path) -> None:
    if fmt is ExportFormat.CSV:
        names = pd.read_csv(io.BytesIO(export_features(Features.of(sites()), fmt, stem="s").data),
                            encoding="utf-8-sig", skiprows=1)["name"]
    else:
        back = read_back(sites(), fmt, tmp_path)
        names = back["Name" if fmt is ExportFormat.KML else "name"]
    assert names.iloc[0] == AKITA


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_file_name_and_media_type(fmt: ExportFormat) -> None:
    result = export_features(Features.of(sites()), fmt.value,  # type: ignore[arg-type]
                             stem="selection-2026")
    assert result.file_name == f"selection-2026{fmt.extension}"
    assert result.media_type == fmt.media_type and result.data


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_an_empty_selection_exports(fmt: ExportFormat, tmp_path: Path) -> None:
    empty = sites().iloc[:0]
    if fmt is ExportFormat.CSV:
        data = export_features(Features.of(empty), fmt, stem="s").data
        assert data.decode("utf-8-sig").splitlines()[1].startswith("id,")
    elif fmt is ExportFormat.GEOJSON:
        assert json.loads(rfc7946_geojson(Features.of(empty)))["features"] == []
    else:
        assert len(read_back(empty, fmt, tmp_path)) == 0
