"""Vector uploads: identify + read_vector on files built in code, then on real third-party data."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

# isort: off
import layers  # noqa: F401  (first: sets GDAL_SKIP before pyogrio is imported)

# isort: on
import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely

from layers.errors import UnreadableLayer, UnsafeFile, UnsupportedFormat
from layers.identify import identify
from layers.limits import UploadLimits
from layers.upload_formats import FileFormat
from layers.vector_read import VectorOptions, VectorReading, read_vector
from tests.support.layer_files import damage_zip_entry

LIMITS = UploadLimits()


def read(path: Path, name: str | None = None, **options: object) -> VectorReading:
    """identify + read_vector with the given options."""
    source = identify(path, name or path.name, LIMITS)
    return read_vector(source, VectorOptions(**options))  # type: ignore[arg-type]


def sites(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    """Three named points in Nevada (in ``crs``), with typed properties."""
    frame = gpd.GeoDataFrame(
        {"name": ["Alpha", "Beta", "Gamma"], "depth_m": [1.5, 2.0, 3.25], "holes": [1, 2, 3]},
        geometry=shapely.points([-117.2, -117.1, -117.0], [39.5, 39.6, 39.7]),
        crs="EPSG:4326",
    )
    return frame.to_crs(crs)


def zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    """Zip every file of ``folder`` under ``prefix``."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, prefix + file.name)
    return target


# --- formats built in code --------------------------------------------------------------


@pytest.mark.parametrize(("suffix", "fmt"), [("gpkg", FileFormat.GEOPACKAGE),
                                             ("fgb", FileFormat.FLATGEOBUF),
                                             ("geojson", FileFormat.GEOJSON)])
def test_gdal_formats_read_as_points_with_types(tmp_path: Path, suffix: str,
                                                fmt: FileFormat) -> None:
    path = tmp_path / f"sites.{suffix}"
    pyogrio.write_dataframe(sites(), path)
    reading = read(path)
    assert reading.report.ok, reading.report.errors
    assert reading.report.format == fmt.value
    (layer,) = reading.layers
    assert (layer.name, layer.geometry_type, len(layer.frame)) == ("sites", "Point", 3)
    assert sorted(layer.frame["holes"].tolist()) == [1, 2, 3]  # FlatGeobuf reorders
    assert layer.frame["depth_m"].dtype == float
    assert layer.frame.crs.to_epsg() == 4326


def test_geoparquet_in_utm_is_reprojected(tmp_path: Path) -> None:
    path = tmp_path / "sites.parquet"
    sites("EPSG:32611").to_parquet(path)
    reading = read(path)
    assert reading.report.layers[0].crs == "EPSG:32611"
    (layer,) = reading.layers
    assert layer.original_crs == "EPSG:32611"
    assert layer.frame.geometry.x.round(6).tolist() == [-117.2, -117.1, -117.0]


def test_parquet_without_geo_metadata_is_a_report_error(tmp_path: Path) -> None:
    path = tmp_path / "plain.parquet"
    sites().drop(columns="geometry").to_parquet(path)
    reading = read(path)
    assert not reading.report.ok and reading.layers == []
    assert "GeoParquet metadata" in reading.report.errors[0]


def test_zipped_shapefile_in_subfolder_with_missing_prj_offers_utm(tmp_path: Path) -> None:
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(sites("EPSG:32611"), folder / "holes.shp")
    (folder / "holes.prj").unlink()
    upload = zip_folder(folder, tmp_path / "holes.zip", prefix="export/survey/")
    reading = read(upload)
    assert reading.layers == []
    assert "has no coordinate system; choose one" in reading.report.errors[0]
    codes = [c.code for c in reading.report.layers[0].crs_candidates]
    assert "EPSG:32611" in codes and "EPSG:26911" in codes and len(codes) <= 40
    assert "EPSG:6691" in codes  # JGD2011 / UTM zone 54N: Japanese surveys too
    assert "EPSG:4326" not in codes
    assumed = read(upload, assume_crs="EPSG:32611")
    assert assumed.report.ok
    assert any("EPSG:32611" in w and "assumed" in w for w in assumed.report.warnings)
    assert assumed.layers[0].frame.geometry.y.round(6).tolist() == [39.5, 39.6, 39.7]


def test_latin1_shapefile_without_cpg_is_read_as_cp1252(tmp_path: Path) -> None:
    folder = tmp_path / "shp"
    folder.mkdir()
    frame = sites().assign(name=["Ñandú", "Peñasco", "plain"])
    pyogrio.write_dataframe(frame, folder / "latin.shp", encoding="latin1")
    (folder / "latin.cpg").unlink()
    reading = read(zip_folder(folder, tmp_path / "latin.zip"))
    assert reading.report.ok, reading.report.errors
    assert reading.layers[0].frame["name"].tolist() == ["Ñandú", "Peñasco", "plain"]
    assert reading.report.layers[0].encoding == "cp1252"
    assert any("not UTF-8" in w for w in reading.report.warnings)


def test_zip_missing_shx_names_it_and_says_how_to_have_it_rebuilt(tmp_path: Path) -> None:
    upload = tmp_path / "parts.zip"
    with zipfile.ZipFile(upload, "w") as archive:
        archive.writestr("roads.shp", b"x")
        archive.writestr("roads.prj", b"x")
    with pytest.raises(UnreadableLayer, match=r"roads\.shp without its \.shx part.*unzipped"):
        identify(upload, "parts.zip", LIMITS)


def test_zip_with_two_shapefiles_lists_both_layers(tmp_path: Path) -> None:
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(sites(), folder / "a_holes.shp")
    pyogrio.write_dataframe(sites().iloc[:2], folder / "b_pits.shp")
    upload = zip_folder(folder, tmp_path / "two.zip")
    reading = read(upload)
    assert sorted(layer.name for layer in reading.report.layers) == ["a_holes", "b_pits"]
    assert len(reading.layers) == 1
    chosen = read(upload, layers=("b_pits",))
    assert (chosen.layers[0].name, len(chosen.layers[0].frame)) == ("b_pits", 2)


def test_gpkg_reports_all_layers_and_reads_the_named_one(tmp_path: Path) -> None:
    path = tmp_path / "survey.gpkg"
    pyogrio.write_dataframe(sites(), path, layer="holes")
    lines = gpd.GeoDataFrame({"id": [7]}, geometry=[shapely.LineString([(0, 0), (1, 1)])],
                             crs="EPSG:4326")
    pyogrio.write_dataframe(lines, path, layer="tracks")
    reading = read(path)
    assert [layer.name for layer in reading.report.layers] == ["holes", "tracks"]
    assert [layer.name for layer in reading.layers] == ["holes"]
    assert "'holes' is read unless you choose others" in reading.report.notes[0]
    named = read(path, layers=("tracks",))
    assert (named.layers[0].name, named.layers[0].geometry_type) == ("tracks", "LineString")
    missing = read(path, layers=("nope",))
    assert "has no layer 'nope'" in missing.report.errors[0]


def test_mixed_geojson_is_split_into_families(tmp_path: Path) -> None:
    path = tmp_path / "mixed.geojson"
    frame = gpd.GeoDataFrame(
        {"name": ["pt", "line", "poly", "multi"]},
        geometry=[shapely.Point(1, 1), shapely.LineString([(0, 0), (1, 1)]),
                  shapely.box(0, 0, 1, 1), shapely.MultiPoint([(2, 2), (3, 3)])],
        crs="EPSG:4326",
    )
    frame.to_file(path)
    reading = read(path)
    assert [(p.name, p.geometry_type, len(p.frame)) for p in reading.layers] == [
        ("mixed (points)", "Point", 2), ("mixed (lines)", "LineString", 1),
        ("mixed (polygons)", "Polygon", 1)]
    assert any("split into 3 layers" in note for note in reading.report.notes)


def test_invalid_null_and_out_of_range_features(tmp_path: Path) -> None:
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    features = [
        {"type": "Feature", "properties": {"name": "bow"}, "geometry": bowtie.__geo_interface__},
        {"type": "Feature", "properties": {"name": "none"}, "geometry": None},
        {"type": "Feature", "properties": {"name": "north"},
         "geometry": {"type": "Point", "coordinates": [10, 96]}},
        {"type": "Feature", "properties": {"name": "ok"},
         "geometry": {"type": "Point", "coordinates": [10, 45]}},
    ]
    path = tmp_path / "survey.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    reading = read(path)
    layer = reading.report.layers[0]
    assert (layer.invalid_count, layer.empty_count) == (1, 1)
    assert "Self-intersection" in layer.invalid_examples[0]
    assert layer.out_of_range == ['feature 3 (name "north")']
    assert not reading.report.ok and reading.layers == []
    assert "feature 3" in reading.report.errors[0]
    dropped = read(path, drop_out_of_range=True)
    assert dropped.report.ok
    by_family = {p.geometry_type: p.frame for p in dropped.layers}
    assert by_family["Point"]["name"].tolist() == ["ok"]
    assert by_family["Polygon"].geometry.is_valid.all()
    kept_invalid = read(path, drop_out_of_range=True, repair_invalid=False)
    assert not kept_invalid.layers[1].frame.geometry.is_valid.all()


def test_polygon_across_antimeridian_is_split(tmp_path: Path) -> None:
    path = tmp_path / "strait.geojson"
    ring = [[170, 60], [-170, 60], [-170, 65], [170, 65], [170, 60]]
    path.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    reading = read(path)
    assert reading.report.layers[0].crossing_antimeridian == 1
    geometry = reading.layers[0].frame.geometry.iloc[0]
    assert geometry.geom_type == "MultiPolygon"
    assert round(geometry.area, 6) == 100.0


def test_kml_folders_merge_with_folder_column(tmp_path: Path) -> None:
    kml = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Folder><name>Drill holes</name>
  <Placemark><name>DH-1</name><Point><coordinates>-117.2,39.5,1500</coordinates></Point></Placemark>
  <Folder><name>Nested</name>
    <Placemark><name>DH-2</name><Point><coordinates>-117.1,39.6</coordinates></Point></Placemark>
  </Folder>
</Folder>
<Folder><name>Roads</name><Placemark><name>R1</name>
  <LineString><coordinates>-117.2,39.5 -117.1,39.6</coordinates></LineString></Placemark>
</Folder></Document></kml>"""
    path = tmp_path / "claims.kml"
    path.write_text(kml)
    reading = read(path)
    assert reading.report.ok, reading.report.errors
    points = next(p for p in reading.layers if p.geometry_type == "Point")
    assert sorted(points.frame["Name"]) == ["DH-1", "DH-2"]
    assert set(points.frame["folder"]) <= {"Drill holes", "Nested"}
    assert {p.name for p in reading.layers} == {"claims (points)", "claims (lines)"}
    kmz = tmp_path / "claims.kmz"
    with zipfile.ZipFile(kmz, "w") as archive:
        archive.writestr("doc.kml", kml)
    assert identify(kmz, "claims.kmz", LIMITS).gdal_path.endswith("claims.kmz/doc.kml")
    assert sum(len(p.frame) for p in read(kmz).layers) == 3


def test_gpx_reads_waypoints_and_tracks_not_track_points(tmp_path: Path) -> None:
    gpx = """<?xml version="1.0"?><gpx version="1.1" creator="test"
 xmlns="http://www.topografix.com/GPX/1/1">
<wpt lat="39.5" lon="-117.2"><name>Camp</name></wpt>
<trk><name>Walk</name><trkseg><trkpt lat="39.5" lon="-117.2"/><trkpt lat="39.6" lon="-117.1"/>
</trkseg></trk></gpx>"""
    path = tmp_path / "walk.gpx"
    path.write_text(gpx)
    reading = read(path)
    assert "track_points" in [layer.name for layer in reading.report.layers]
    assert sorted((p.geometry_type, len(p.frame)) for p in reading.layers) == [
        ("LineString", 1), ("Point", 1)]
    assert set(next(p for p in reading.layers if p.geometry_type == "Point").frame["layer"]) == {
        "waypoints"}


def test_topojson_is_identified_and_read(tmp_path: Path) -> None:
    topo = {"type": "Topology", "objects": {"sites": {"type": "GeometryCollection", "geometries": [
        {"type": "Point", "coordinates": [-117.2, 39.5], "properties": {"name": "A"}}]}},
        "arcs": []}
    path = tmp_path / "sites.json"
    path.write_text(json.dumps(topo))
    source = identify(path, "sites.json", LIMITS)
    assert source.format is FileFormat.TOPOJSON
    reading = read_vector(source)
    assert [len(p.frame) for p in reading.layers] == [1]


def test_csv_with_sentinels_and_latin1(tmp_path: Path) -> None:
    text = "site,Long_WGS84,Lat_WGS84,grade\nPeñasco,-117.2,39.5,1.5\nB,-9999.99,-9999.99,2\n" \
           "C,,,3\nD,-117.0,39.7,4\n"
    path = tmp_path / "holes.csv"
    path.write_bytes(text.encode("latin-1"))
    reading = read(path)
    assert reading.report.ok, reading.report.errors
    (layer,) = reading.layers
    assert layer.frame["site"].tolist() == ["Peñasco", "D"]
    assert layer.frame["grade"].tolist() == [1.5, 4.0]
    warnings = " ".join(reading.report.warnings)
    assert "2 of 4 rows have no usable coordinates" in warnings and "-9999" in warnings
    assert "cp1252" in warnings


def test_csv_with_wkt_polygons_and_projected_points(tmp_path: Path) -> None:
    path = tmp_path / "areas.csv"
    path.write_text('name,wkt\nA,"POLYGON ((0 0, 1 0, 1 1, 0 0))"\nB,"LINESTRING (0 0, 2 2)"\n')
    reading = read(path)
    assert sorted(p.geometry_type for p in reading.layers) == ["LineString", "Polygon"]
    utm = tmp_path / "utm.csv"
    utm.write_text("id,x,y\n1,500000,4300000\n2,501000,4301000\n")
    guessed = read(utm)
    assert "no coordinate system; choose one" in guessed.report.errors[0]
    assert "EPSG:32611" in [c.code for c in guessed.report.layers[0].crs_candidates]


def test_csv_without_coordinates_names_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("site,comment\nA,dry\n")
    reading = read(path)
    assert "no coordinate columns (columns found: site, comment)" in reading.report.errors[0]


def test_excel_reads_first_sheet_with_coordinates(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["remark"])
    book.active.append(["no coordinates here"])
    sheet = book.create_sheet("Holes")
    sheet.append(["hole", "lat", "lon", "depth"])
    sheet.append(["DH-1", 39.5, -117.2, 120])
    sheet.append(["DH-2", -999, -999, 80])
    path = tmp_path / "holes.xlsx"
    book.save(path)
    source = identify(path, "holes.xlsx", LIMITS)
    assert source.format is FileFormat.EXCEL
    reading = read_vector(source)
    assert [layer.name for layer in reading.report.layers] == ["Notes", "Holes"]
    (layer,) = reading.layers
    assert layer.frame["hole"].tolist() == ["DH-1"]
    assert layer.frame["depth"].tolist() == [120]


def test_feature_limit_is_a_report_error(tmp_path: Path) -> None:
    path = tmp_path / "sites.fgb"
    pyogrio.write_dataframe(sites(), path)
    source = identify(path, "sites.fgb", LIMITS)
    reading = read_vector(source, limits=UploadLimits(max_features=2))
    assert "has 3 features; the limit is 2" in reading.report.errors[0]


def test_progress_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "sites.fgb"
    pyogrio.write_dataframe(sites(), path)
    seen: list[float] = []
    read_vector(identify(path, "sites.fgb", LIMITS), progress=lambda f, _t: seen.append(f))
    assert seen[0] < seen[-1] == 1.0


def test_extension_mismatch_is_noted(tmp_path: Path) -> None:
    path = tmp_path / "sites.dat"
    pyogrio.write_dataframe(sites(), path, driver="GPKG")
    source = identify(path, "sites.dat", LIMITS)
    assert source.format is FileFormat.GEOPACKAGE
    assert "read as GeoPackage" in source.notes[0]


# --- real third-party data --------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("name", "count", "crs", "types"),
    [
        ("countries.gpkg", 176, "EPSG:4326", {"MultiPolygon": 176}),
        ("coutwildrnp.zip", 67, "EPSG:4326", {"Polygon": 67}),
        ("rmnp.geojson", 1, "EPSG:4326", {"MultiPolygon": 1}),
        ("us_regions_epsg4269.geojson", 4, "EPSG:4269", {"MultiPolygon": 4}),
    ],
)
def test_real_vectors(realdata_dir: Path, name: str, count: int, crs: str,
                      types: dict[str, int]) -> None:
    reading = read(realdata_dir / "vectors" / name)
    assert reading.report.ok, reading.report.errors
    layer = reading.report.layers[0]
    assert (layer.feature_count, layer.crs, layer.geometry_types) == (count, crs, types)
    assert sum(len(p.frame) for p in reading.layers) == count


@pytest.mark.realdata
def test_real_countries_has_one_invalid_and_spans_antimeridian(realdata_dir: Path) -> None:
    reading = read(realdata_dir / "vectors" / "countries.gpkg")
    layer = reading.report.layers[0]
    assert layer.invalid_count == 1 and "India" in layer.invalid_examples[0]
    assert layer.crossing_antimeridian == 2  # Fiji and Russia
    assert reading.layers[0].frame.geometry.is_valid.all()


@pytest.mark.realdata
def test_real_us_regions_keep_nad83_and_span_antimeridian(realdata_dir: Path) -> None:
    reading = read(realdata_dir / "vectors" / "us_regions_epsg4269.geojson")
    assert reading.layers[0].original_crs == "EPSG:4269"
    assert reading.report.layers[0].crossing_antimeridian == 1
    assert any("antimeridian" in w for w in reading.report.warnings)


@pytest.mark.realdata
def test_real_kml_samples(realdata_dir: Path) -> None:
    reading = read(realdata_dir / "vectors" / "KML_Samples.kml")
    assert reading.report.ok
    assert len(reading.report.layers) == 10
    assert sum(layer.empty_count for layer in reading.report.layers) == 1
    counts = {p.geometry_type: len(p.frame) for p in reading.layers}
    assert counts == {"Point": 4, "LineString": 6, "Polygon": 10}


@pytest.mark.realdata
def test_real_naturalearth_shapefile_zipped(realdata_dir: Path, tmp_path: Path) -> None:
    upload = zip_folder(realdata_dir / "vectors" / "naturalearth_lowres", tmp_path / "ne.zip")
    reading = read(upload)
    assert reading.report.ok
    layer = reading.report.layers[0]
    assert layer.feature_count == 177
    assert layer.geometry_types == {"Polygon": 148, "MultiPolygon": 29}
    assert layer.crossing_antimeridian == 3  # Fiji, Russia, Antarctica


@pytest.mark.realdata
def test_real_bad_vectors(realdata_dir: Path) -> None:
    bad = realdata_dir / "bad"
    null = read(bad / "geopandas_null_geom.geojson")
    assert null.report.layers[0].empty_count == 1 and len(null.layers[0].frame) == 1
    split = read(bad / "antimeridian_split.json")
    assert split.report.layers[0].crossing_antimeridian == 1
    assert split.layers[0].frame.geometry.iloc[0].geom_type == "MultiPolygon"
    broken = read(bad / "geojsonhint_bad-json.geojson")
    assert "is not valid JSON near line 3" in broken.report.errors[0]
    badcoord = read(bad / "geojsonhint_badcoord.geojson")
    assert "coordinate that is not a number" in badcoord.report.errors[0]
    for part in ("latin1.shp", "latin1.dbf"):
        with pytest.raises(UnsupportedFormat, match="one part of a Shapefile"):
            identify(bad / part, part, LIMITS)
    with pytest.raises(UnsupportedFormat, match=r"holds no \.shp file \(found: dummyfile\.txt\)"):
        identify(bad / "pyshp_empty_zipfile.zip", "pyshp_empty_zipfile.zip", LIMITS)
    with pytest.raises(UnsafeFile, match="VRT files point at other files"):
        identify(bad / "white-gemini-iv.vrt", "white-gemini-iv.vrt", LIMITS)


@pytest.mark.realdata
def test_real_latin1_dbf_zipped_with_generated_shx(realdata_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "latin1"
    folder.mkdir()
    for part in ("shp", "dbf"):
        original = realdata_dir / "bad" / f"latin1.{part}"
        (folder / f"latin1.{part}").write_bytes(original.read_bytes())
    pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": True})
    try:
        pyogrio.read_info(folder / "latin1.shp")  # GDAL writes latin1.shx
    finally:
        pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": None})
    assert (folder / "latin1.shx").exists()
    upload = zip_folder(folder, tmp_path / "latin1.zip")
    reading = read(upload)
    assert "no coordinate system" in reading.report.errors[0]
    assumed = read(upload, assume_crs="EPSG:4326")
    names = " ".join(str(v) for v in assumed.layers[0].frame.iloc[0].to_list())
    assert "Ñandú" in names


@pytest.mark.realdata
@pytest.mark.parametrize(("name", "rows"), [("usgs_lithium_us_Loc_Pt.csv", 61),
                                            ("usgs_lithium_us_Site.csv", 21),
                                            ("minmod_mrds_sites_8079.csv", 8079)])
def test_real_deposit_tables_as_point_layers(realdata_dir: Path, name: str, rows: int) -> None:
    reading = read(realdata_dir / "deposits" / name)
    assert reading.report.ok, reading.report.errors
    (layer,) = reading.layers
    assert (layer.geometry_type, len(layer.frame)) == ("Point", rows)


@pytest.mark.realdata
def test_real_table_without_coordinates(realdata_dir: Path) -> None:
    reading = read(realdata_dir / "deposits" / "usgs_lithium_us_Resources.csv")
    assert "no coordinate columns" in reading.report.errors[0]
    assert "Site_ID" in reading.report.errors[0]


def test_an_empty_feature_collection_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    reading = read(empty)
    assert not reading.report.ok and reading.layers == []
    assert "holds no features" in reading.report.errors[0]


def test_kml_with_one_folder_and_a_loose_placemark_reads_both(tmp_path: Path) -> None:
    kml = tmp_path / "mixed.kml"
    point = "<Placemark><name>{}</name><Point><coordinates>{},40</coordinates></Point></Placemark>"
    kml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document>{point.format('loose', -116)}<Folder><name>claims</name>"
        f"{point.format('in folder', -115)}</Folder></Document></kml>", encoding="utf-8")
    reading = read(kml)
    assert reading.report.ok, reading.report.errors
    names = sorted(n for layer in reading.layers for n in layer.frame["Name"])
    assert names == ["in folder", "loose"]


def test_kml_exported_as_one_folder_is_one_layer(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"claim": ["A", "B"]},
                             geometry=[shapely.Point(-116, 40), shapely.Point(-115, 41)],
                             crs="EPSG:4326")
    frame.to_file(tmp_path / "claims.kml", driver="KML", engine="pyogrio")
    reading = read(tmp_path / "claims.kml")
    assert [layer.name for layer in reading.report.layers] == ["claims"]
    assert list(reading.layers[0].frame["claim"]) == ["A", "B"]


# --- review fixes: CRS columns, plain tables, damaged zips, paths, limits, messages --------------


def excel(path: Path, rows: list[list[object]]) -> Path:
    """A one-sheet workbook with ``rows`` (the first is the header)."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_excel_epsg_column_with_a_blank_cell_is_read_as_epsg(tmp_path: Path) -> None:
    """A blank cell makes the column numbers (4326.0): still EPSG:4326, not a CRS error."""
    path = excel(tmp_path / "holes.xlsx", [["hole", "x", "y", "epsg"],
                                           ["DH-1", 500000, 4370000, 26911],
                                           ["DH-2", 500100, 4370100, None]])
    reading = read(path)
    assert reading.report.ok, reading.report.errors
    assert reading.report.layers[0].crs == "EPSG:26911"
    (layer,) = reading.layers
    assert layer.original_crs == "EPSG:26911"
    assert layer.frame.geometry.x.round(3).between(-117.1, -116.9).all()


def test_unknown_crs_in_a_crs_column_names_the_rows_and_value(tmp_path: Path) -> None:
    path = excel(tmp_path / "holes.xlsx", [["hole", "lon", "lat", "crs"],
                                           ["DH-1", -117.2, 39.5, "WGS84-ish"],
                                           ["DH-2", -117.1, 39.6, "WGS84-ish"],
                                           ["DH-3", -117.0, 39.7, "EPSG:4326"]])
    reading = read(path)
    assert not reading.report.ok and reading.layers == []
    (error,) = reading.report.errors
    assert "'crs' column names a coordinate system we do not know: 'WGS84-ish' in rows 2, 3" \
        in error
    assert "Give an EPSG code such as 4326" in error


def test_unknown_crs_in_a_csv_counts_rows_as_the_file_does(tmp_path: Path) -> None:
    path = tmp_path / "holes.csv"
    path.write_text("hole,lon,lat,srid\nDH-1,-117.2,39.5,4326\n\nDH-2,-117.1,39.6,99999999\n")
    reading = read(path)
    assert "'99999999' in row 4." in reading.report.errors[0]


@pytest.mark.parametrize("broken", ["workbook", "styles"])
def test_malformed_workbook_is_a_report_error(tmp_path: Path, broken: str) -> None:
    good = excel(tmp_path / "good.xlsx", [["lon", "lat"], [-117.2, 39.5]])
    bad = {"workbook": ("xl/workbook.xml", b"garbage"),  # openpyxl: ParseError
           "styles": ("xl/styles.xml",  # openpyxl: TypeError
                      b"<styleSheet xmlns='http://schemas.openxmlformats.org/spreadsheetml/"
                      b"2006/main'><cellXfs count='1'><xf numFmtId='abc'/></cellXfs>"
                      b"</styleSheet>")}[broken]
    path = tmp_path / "holes.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            target.writestr(name, bad[1] if name == bad[0] else source.read(name))
    reading = read(path)
    assert not reading.report.ok
    assert "holes.xlsx is not a readable Excel workbook" in reading.report.errors[0]
    assert "open it in Excel and save it again as .xlsx" in reading.report.errors[0]


def gpkg_with_plain_table(tmp_path: Path) -> Path:
    """A GeoPackage whose first table has no geometry column, then a point layer."""
    path = tmp_path / "survey.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"code": ["A", "B"], "meaning": ["andesite", "b"]}),
                            path, layer="lookup")
    pyogrio.write_dataframe(sites(), path, layer="holes")
    return path


def test_gpkg_plain_table_is_marked_and_skipped_by_default(tmp_path: Path) -> None:
    reading = read(gpkg_with_plain_table(tmp_path))
    assert reading.report.ok, reading.report.errors
    assert [layer.name for layer in reading.layers] == ["holes"]
    lookup = next(layer for layer in reading.report.layers if layer.name == "lookup")
    assert lookup.geometry_types == {}
    assert any("layer 'lookup' has no geometry column" in n for n in reading.report.notes)


def test_choosing_a_gpkg_plain_table_is_a_report_error(tmp_path: Path) -> None:
    reading = read(gpkg_with_plain_table(tmp_path), layers=("lookup",))
    assert not reading.report.ok and reading.layers == []
    assert ("layer 'lookup' has no geometry column (it is a plain table); choose another "
            "layer") in reading.report.errors[0]


def kmz(path: Path) -> Path:
    kml = ('<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
           "<Placemark><name>DH-1</name><Point><coordinates>-117.2,39.5</coordinates></Point>"
           "</Placemark></Document></kml>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("doc.kml", kml)
    return path


def test_kmz_given_by_a_relative_path_is_read(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """``permitmap layers publish ../claims.kmz``: the entry is not found by the raw path."""
    kmz(tmp_path / "claims.kmz")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    source = identify(Path("../claims.kmz"), "claims.kmz", LIMITS)
    reading = read_vector(source)
    assert reading.report.ok, reading.report.errors
    assert len(reading.layers[0].frame) == 1
    assert source.entry == "doc.kml"


def test_kmz_given_by_a_symlink_is_read(tmp_path: Path) -> None:
    link = tmp_path / "link.kmz"
    link.symlink_to(kmz(tmp_path / "claims.kmz"))
    reading = read(link)
    assert reading.report.ok, reading.report.errors


def test_kmz_damaged_after_identify_is_a_report_error(tmp_path: Path) -> None:
    marks = "".join(f"<Placemark><name>site {i}</name><Point><coordinates>{-117 + i / 1e4},"
                    "39.5</coordinates></Point></Placemark>" for i in range(2000))
    path = tmp_path / "claims.kmz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("doc.kml", '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/'
                                    f'kml/2.2"><Document>{marks}</Document></kml>')
    source = identify(path, "claims.kmz", LIMITS)
    damage_zip_entry(path, "doc.kml")
    reading = read_vector(source)
    assert not reading.report.ok
    assert "claims.kmz is damaged (entry 'doc.kml' cannot be unpacked" in \
        reading.report.errors[0]


def test_shapefile_dbf_damaged_after_identify_is_a_report_error(tmp_path: Path) -> None:
    folder = tmp_path / "shp"
    folder.mkdir()
    frame = gpd.GeoDataFrame({"name": [f"Señal {i}" for i in range(3000)]},
                             geometry=shapely.points(range(3000), range(3000)), crs="EPSG:4326")
    pyogrio.write_dataframe(frame, folder / "holes.shp", encoding="latin1")
    (folder / "holes.cpg").unlink(missing_ok=True)
    path = zip_folder(folder, tmp_path / "holes.zip")
    source = identify(path, "holes.zip", LIMITS)
    damage_zip_entry(path, "holes.dbf")
    reading = read_vector(source)
    assert not reading.report.ok
    assert any("holes.zip is damaged (entry 'holes.dbf' cannot be unpacked" in e
               for e in reading.report.errors), reading.report.errors


def test_geoparquet_row_limit_is_checked_before_reading(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sites.parquet"
    sites().to_parquet(path)
    source = identify(path, "sites.parquet", LIMITS)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the whole file was read before the row count was checked")

    monkeypatch.setattr(gpd, "read_parquet", refuse)
    reading = read_vector(source, limits=UploadLimits(max_features=2))
    assert "has 3 features; the limit is 2" in reading.report.errors[0]


def test_kmz_without_a_kml_says_so(tmp_path: Path) -> None:
    path = tmp_path / "claims.kmz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("files/icon.png", b"\x89PNG\r\n\x1a\n")
    with pytest.raises(UnsupportedFormat, match=r"holds no \.kml file \(found: files/icon.png\); "
                                                "a KMZ is a zipped KML"):
        identify(path, "claims.kmz", LIMITS)


def test_utf16_csv_is_read(tmp_path: Path) -> None:
    """Excel's "Unicode Text" and some loggers write UTF-16 with a byte-order mark."""
    path = tmp_path / "holes.csv"
    path.write_text("hole\tlon\tlat\nDH-ñ\t-117.2\t39.5\nDH-2\t-117.1\t39.6\n",
                    encoding="utf-16")
    reading = read(path)
    assert reading.report.ok, reading.report.errors
    assert reading.layers[0].frame["hole"].tolist() == ["DH-ñ", "DH-2"]


def test_utf16_json_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "sites.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-16")
    with pytest.raises(UnsupportedFormat, match=r"UTF-16 text.*save it again as UTF-8"):
        identify(path, "sites.geojson", LIMITS)
