"""Site exports in Japan's coordinate systems (``crs=`` on ``/api/sites.*``, ``--crs`` on
``permitmap export sites``): Tokyo Station where pyproj puts it, to the millimetre, in every
format that can hold the system; the system written into the file; GeoJSON and KML refused
in words; an unknown system refused; the Tokyo datum off JGD2011 by its datum shift."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import CRS, Transformer
from pyproj.database import query_crs_info
from starlette.testclient import TestClient

from commands.main import main
from exports.export_file import ExportFormat
from exports.formats import export_features
from exports.output_crs import OFFERED, output_crs
from layers.features import Features
from mapping.web.routes import starlette_app
from tests.support.fixtures_data import SAMPLE_SITES, site_row
from tests.support.sample_store import use_sample_store

TOKYO_STATION = (139.767125, 35.681236)  # lon, lat (WGS 84)
MM = 0.001


def pyproj_xy(code: int, lon: float = TOKYO_STATION[0],
              lat: float = TOKYO_STATION[1]) -> tuple[float, float]:
    """pyproj's own easting and northing (or lon/lat) of a WGS 84 point in EPSG ``code``."""
    x, y = Transformer.from_crs("EPSG:4326", f"EPSG:{code}", always_xy=True).transform(lon, lat)
    return float(x), float(y)


@pytest.fixture()
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    """The export routes over the sample sites plus one at Tokyo Station."""
    station = site_row("jp-tokyo", "Tokyo Station Office", country="Japan", admin_area="Tokyo",
                       stage="mine", lat=TOKYO_STATION[1], lon=TOKYO_STATION[0])
    use_sample_store(tmp_path, monkeypatch, sites=[*SAMPLE_SITES, station])
    return TestClient(starlette_app())


def _read(content: bytes, suffix: str, tmp_path: Path) -> gpd.GeoDataFrame:
    path = tmp_path / f"back{suffix}"
    path.write_bytes(content)
    if suffix == ".parquet":
        return gpd.read_parquet(path)
    if suffix == ".shp.zip":
        return gpd.read_file(f"zip://{path}")
    return gpd.read_file(path)


def _station(frame: gpd.GeoDataFrame) -> tuple[float, float]:
    point = frame.loc[frame["id"] == "jp-tokyo"].geometry.iloc[0]
    return point.x, point.y


# --- the route ---------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", [ExportFormat.GPKG, ExportFormat.SHP, ExportFormat.PARQUET])
def test_tokyo_station_in_zone_ix_is_where_pyproj_puts_it_with_the_crs_in_the_file(
        client: TestClient, tmp_path: Path, fmt: ExportFormat) -> None:
    response = client.get(f"/api/sites.{fmt.url_suffix}?country=japan&crs=EPSG:6677")
    assert response.status_code == 200, response.text
    assert f"_epsg6677{fmt.extension}" in response.headers["content-disposition"]
    frame = _read(response.content, fmt.extension, tmp_path)
    assert frame.crs is not None and frame.crs.to_epsg() == 6677
    x, y = _station(frame)
    want = pyproj_xy(6677)
    assert abs(x - want[0]) < MM and abs(y - want[1]) < MM
    assert -7000 < x < -5000 and -36000 < y < -35000  # east first: ~6 km W, ~35 km S of origin


def test_the_geopackage_says_epsg_6677_to_gdal(client: TestClient, tmp_path: Path) -> None:
    response = client.get("/api/sites.gpkg?country=japan&crs=epsg:6677")
    path = tmp_path / "sites.gpkg"
    path.write_bytes(response.content)
    info = pyogrio.read_info(path)
    assert CRS.from_user_input(info["crs"]).to_epsg() == 6677


def test_the_csv_has_x_and_y_in_the_system_beside_lon_lat(client: TestClient) -> None:
    response = client.get("/api/sites.csv?country=japan&crs=EPSG:6677")
    assert response.status_code == 200
    table = pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig", skiprows=1)
    assert list(table.columns[:5]) == ["id", "lon", "lat", "x_epsg6677", "y_epsg6677"]
    row = table.set_index("id").loc["jp-tokyo"]
    assert (row["lon"], row["lat"]) == TOKYO_STATION
    want = pyproj_xy(6677)
    assert abs(row["x_epsg6677"] - want[0]) <= MM / 2 + 1e-9  # written to the millimetre
    assert abs(row["y_epsg6677"] - want[1]) <= MM / 2 + 1e-9


def test_a_wgs84_export_is_as_before(client: TestClient) -> None:
    response = client.get("/api/sites.csv?country=japan")
    table = pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig", skiprows=1)
    assert not [c for c in table.columns if c.startswith(("x_", "y_"))]
    assert "_epsg" not in response.headers["content-disposition"]


def test_sites_outside_the_zone_are_transformed_with_a_note(tmp_path: Path) -> None:
    fukui = shapely.Point(136.17, 35.9)  # zone VI, not IX
    features = Features(pd.DataFrame({"id": ["tokyo", "fukui"]}),
                        np.array([shapely.Point(*TOKYO_STATION), fukui], dtype=object))
    file = export_features(features, ExportFormat.GPKG, stem="s", crs=output_crs(6677))
    assert file.file_name == "s_epsg6677.gpkg"
    assert any(n.startswith("1 site lies outside the area of use of JGD2011 / Japan Plane "
                            "Rectangular CS IX (EPSG:6677)") for n in file.notes)
    frame = _read(file.data, ".gpkg", tmp_path).set_index("id")
    point = frame.geometry["fukui"]
    want = pyproj_xy(6677, 136.17, 35.9)
    assert abs(point.x - want[0]) < MM and abs(point.y - want[1]) < MM
    inside = export_features(features.__class__(features.columns.iloc[:1],
                                                features.geometry[:1]),
                             ExportFormat.CSV, stem="s", crs=output_crs(6677))
    assert not any("outside the area of use" in n for n in inside.notes)


@pytest.mark.parametrize(("fmt", "name"), [("geojson", "GeoJSON"), ("kml", "KML")])
def test_geojson_and_kml_in_another_system_are_refused_in_words(
        client: TestClient, fmt: str, name: str) -> None:
    response = client.get(f"/api/sites.{fmt}?crs=EPSG:6677")
    assert response.status_code == 400
    message = json.dumps(response.json())
    assert f"{name} is always in WGS 84 longitude/latitude" in message
    assert "choose GeoPackage, Shapefile, GeoParquet or CSV" in message
    assert "Traceback" not in response.text


def test_geojson_in_wgs84_by_its_code_is_fine(client: TestClient) -> None:
    response = client.get("/api/sites.geojson?country=japan&crs=EPSG:4326")
    assert response.status_code == 200
    assert {f["id"] for f in response.json()["features"]} == {"jp-gamma", "jp-tokyo"}


@pytest.mark.parametrize(("crs", "words"), [
    ("EPSG:32654", "crs EPSG:32654 is not offered"),
    ("EPSG:999999", "crs EPSG:999999 is not offered"),
    ("banana", "crs 'banana' is not a coordinate system"),
])
def test_an_unknown_or_not_offered_system_is_refused(client: TestClient, crs: str,
                                                     words: str) -> None:
    response = client.get(f"/api/sites.gpkg?crs={crs}")
    assert response.status_code == 400
    assert words in json.dumps(response.json(), ensure_ascii=False)


def test_crs_twice_and_crs_on_a_briefing_pack_are_refused(client: TestClient) -> None:
    twice = client.get("/api/sites.csv?crs=EPSG:6677&crs=EPSG:6678")
    assert twice.status_code == 400 and "crs given more than once" in twice.text
    pack = client.get("/api/briefing.zip?crs=EPSG:6677")
    assert pack.status_code == 400 and "does not take it" in pack.text


def test_the_tokyo_datum_is_off_jgd2011_by_the_datum_shift(client: TestClient) -> None:
    tokyo = pd.read_csv(io.BytesIO(client.get("/api/sites.csv?country=japan&crs=EPSG:30169")
                                   .content), encoding="utf-8-sig", skiprows=1)
    jgd = pd.read_csv(io.BytesIO(client.get("/api/sites.csv?country=japan&crs=EPSG:6677")
                                 .content), encoding="utf-8-sig", skiprows=1)
    old = tokyo.set_index("id").loc["jp-tokyo", ["x_epsg30169", "y_epsg30169"]].to_numpy(float)
    new = jgd.set_index("id").loc["jp-tokyo", ["x_epsg6677", "y_epsg6677"]].to_numpy(float)
    assert np.abs(old - pyproj_xy(30169)).max() <= MM / 2 + 1e-9
    shift = math.dist(old, new)
    want = math.dist(pyproj_xy(30169), pyproj_xy(6677))
    assert abs(shift - want) < 2 * MM
    assert 300 < shift < 600  # the Tokyo datum is some 460 m off in Tokyo
    assert old[0] > new[0] and old[1] < new[1]  # Tokyo datum: east and south of JGD2011


def test_the_tokyo_geographic_datum_in_degrees(client: TestClient) -> None:
    table = pd.read_csv(io.BytesIO(client.get("/api/sites.csv?country=japan&crs=EPSG:4301")
                                   .content), encoding="utf-8-sig", skiprows=1)
    row = table.set_index("id").loc["jp-tokyo"]
    want = pyproj_xy(4301)
    assert abs(row["x_epsg4301"] - want[0]) < 1e-6 and abs(row["y_epsg4301"] - want[1]) < 1e-6
    assert row["x_epsg4301"] != row["lon"]


# --- the command line ------------------------------------------------------------------------

def test_the_cli_writes_the_chosen_system(client: TestClient, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert main(["export", "sites", "--format", "gpkg", "--out", str(out), "--crs",
                 "EPSG:6677", "--country", "japan"]) == 0
    written = next(out.iterdir())
    assert written.name.endswith("_epsg6677.gpkg")
    frame = gpd.read_file(written)
    assert frame.crs.to_epsg() == 6677
    x, y = _station(frame)
    assert abs(x - pyproj_xy(6677)[0]) < MM and abs(y - pyproj_xy(6677)[1]) < MM
    assert "outside the area of use" in capsys.readouterr().err  # Fukui's Gamma: zone VI


@pytest.mark.parametrize(("args", "words"), [
    (["--format", "geojson", "--crs", "EPSG:6677"], "GeoJSON is always in WGS 84"),
    (["--format", "csv", "--crs", "EPSG:32654"], "crs EPSG:32654 is not offered"),
])
def test_the_cli_refuses_in_words_without_a_traceback(
        client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        args: list[str], words: str) -> None:
    assert main(["export", "sites", "--out", str(tmp_path / "x"), *args]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


# --- what is offered -------------------------------------------------------------------------

def test_every_offered_system_is_named_as_epsg_names_it() -> None:
    assert OFFERED[0].code == 4326
    for crs in OFFERED:
        epsg = CRS.from_epsg(crs.code)
        assert crs.name == epsg.name, crs.code
        assert crs.geographic == epsg.is_geographic, crs.code
    codes = {crs.code for crs in OFFERED}
    assert set(range(6669, 6688)) | set(range(30161, 30180)) | set(range(6688, 6693)) <= codes
    assert {6668, 4301} <= codes


def test_epsg_defines_no_jgd2011_utm_zone_56n() -> None:
    names = {info.name for info in query_crs_info(auth_name="EPSG")}
    assert "JGD2011 / UTM zone 55N" in names and "JGD2011 / UTM zone 56N" not in names


def test_a_csv_in_a_japanese_system_loads_neither_geopandas_nor_gdal() -> None:
    code = """
import sys, numpy as np, pandas as pd, shapely
from exports.export_file import ExportFormat
from exports.formats import export_features
from exports.output_crs import output_crs
from layers.features import Features
f = Features(pd.DataFrame({"id": ["a"]}), np.array([shapely.Point(139.77, 35.68)], dtype=object))
file = export_features(f, ExportFormat.CSV, stem="s", crs=output_crs("EPSG:6677"))
assert b"x_epsg6677" in file.data
print(sorted(m for m in ("geopandas", "pyogrio", "fiona") if m in sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parents[2])
    assert result.stdout.strip() == "[]"


def test_the_zip_of_a_shapefile_holds_its_projection(client: TestClient) -> None:
    response = client.get("/api/sites.shp.zip?country=japan&crs=EPSG:30169")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    prj = archive.read("sites.prj").decode()
    assert "GCS_Tokyo" in prj  # the old datum, not JGD2011's
    assert CRS.from_wkt(prj).to_epsg() == 30169
