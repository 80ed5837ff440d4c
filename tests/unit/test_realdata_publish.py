"""Every file in ../shared/realdata through the pre-flight and publishing: the good ones
publish and draw (features served, a tile with pixels); the broken ones get their own message
and store nothing."""

from __future__ import annotations

import io
import math
import zipfile
from pathlib import Path

import morecantile
import numpy as np
import pytest
from PIL import Image
from starlette.testclient import TestClient

from domain.access import OPEN_ACCESS
from mapping.web.routes import starlette_app
from services.errors import PublishRefused
from services.publishing import LayerDetails, publish_upload
from store.layer_repo import list_layers
from store.startup import ensure_store
from tests.support.sample_store import use_sample_store

pytestmark = pytest.mark.realdata

GOOD = {  # file -> (layers published, features in all of them; 0 for a raster)
    "vectors/countries.gpkg": (1, 176),
    "vectors/coutwildrnp.zip": (1, 67),
    "vectors/rmnp.geojson": (1, 1),
    "vectors/us_regions_epsg4269.geojson": (1, 4),
    "vectors/KML_Samples.kml": (3, 20),  # 21 placemarks, one without geometry
    "vectors/naturalearth_lowres.zip": (1, 177),  # the folder, zipped as a user would
    "vectors/naturalearth_lowres/naturalearth_lowres.shp": (1, 177),  # its parts beside it
    "bad/antimeridian_split.json": (1, 1),
    "bad/geopandas_null_geom.geojson": (1, 1),
    "deposits/usgs_lithium_us_Loc_Pt.csv": (1, 61),
    "deposits/usgs_lithium_us_Site.csv": (1, 21),
    "deposits/minmod_mrds_sites_8079.csv": (1, 8079),
    "rasters/RGB.byte.tif": (1, 0),
    "rasters/shade.tif": (1, 0),
    "rasters/rasterio_cogeo.tif": (1, 0),
    "rasters/float_raster_with_nodata.tif": (1, 0),
    "rasters/world.byte.tif": (1, 0),
    "rasters/usgs_tempest_mag_aligned.tif": (1, 0),
}
BAD = {  # file -> words its refusal must contain
    "SOURCES.md": "not a format we read",
    "deposits/usgs_lithium_us_00Readme.txt": "not a well-formed table",
    "deposits/usgs_lithium_us_Resources.csv": "no coordinate columns",
    "bad/all-nodata.tif": "Every pixel is marked as no data",
    "bad/corrupt.tif": "pixel data is damaged",
    "bad/geojsonhint_bad-json.geojson": "not valid JSON near line 3",
    "bad/geojsonhint_badcoord.geojson": "coordinate that is not a number",
    "bad/latin1.shp": "has no coordinate system",  # read with its .dbf, .shx rebuilt; no .prj
    "bad/latin1.dbf": "one part of a Shapefile",
    "bad/pyshp_empty_zipfile.zip": "holds no .shp file (found: dummyfile.txt)",
    "bad/white-gemini-iv.vrt": "VRT files point at other files",
}


@pytest.fixture()
def setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, realdata_dir: Path) -> dict:
    use_sample_store(tmp_path, monkeypatch, "real.db")
    engine = ensure_store(f"sqlite:///{tmp_path / 'real.db'}", tmp_path / "data")
    return {"engine": engine, "layer_dir": tmp_path / "layer_files", "root": realdata_dir,
            "tmp": tmp_path}


def test_every_real_file_is_listed_here(realdata_dir: Path) -> None:
    on_disk = {str(p.relative_to(realdata_dir)) for p in realdata_dir.rglob("*") if p.is_file()}
    shapefile_parts = {p for p in on_disk if p.startswith("vectors/naturalearth_lowres/")}
    assert on_disk - shapefile_parts == (set(GOOD) | set(BAD)) - {
        "vectors/naturalearth_lowres.zip", "vectors/naturalearth_lowres/naturalearth_lowres.shp"}


def _upload(setting: dict, name: str) -> Path:
    if name == "vectors/naturalearth_lowres.zip":
        target = setting["tmp"] / "naturalearth_lowres.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted((setting["root"] / "vectors" / "naturalearth_lowres").iterdir()):
                archive.write(part, part.name)
        return target
    return setting["root"] / name


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_files_publish_and_draw(setting: dict, name: str) -> None:
    path = _upload(setting, name)
    records = publish_upload(setting["engine"], path, path.name,
                             LayerDetails(name=path.stem, uploaded_by="tester"),
                             layer_dir=setting["layer_dir"], principal=OPEN_ACCESS)
    layers, features = GOOD[name]
    assert len(records) == layers
    assert sum(r.feature_count for r in records) == features
    client = TestClient(starlette_app())
    for record in records:
        assert record.bounds is not None
        west, south, east, north = record.bounds
        assert -180 <= west <= east <= 180 and -90 <= south <= north <= 90
        if record.kind == "vector":
            body = client.get(f"/api/layers/{record.id}/features.geojson").json()
            assert len(body["features"]) == record.feature_count
        else:
            assert _drawn_pixels(client, record.id, record.bounds) > 0


def _drawn_pixels(client: TestClient, layer_id: str, bounds: tuple) -> int:
    """Non-transparent pixels in the tile over the layer's centre at a zoom that shows it."""
    west, south, east, north = bounds
    lon, lat = (west + east) / 2, max(min((south + north) / 2, 85.0), -85.0)
    span = max(east - west, north - south, 1e-6)
    zoom = max(0, min(14, int(math.log2(360 / span))))
    tile = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, zoom)
    response = client.get(f"/tiles/{layer_id}/{tile.z}/{tile.x}/{tile.y}.png")
    assert response.status_code == 200
    alpha = Image.open(io.BytesIO(response.content)).convert("RGBA").getchannel("A")
    return int((np.asarray(alpha) > 0).sum())


@pytest.mark.parametrize("name", sorted(BAD))
def test_broken_files_say_why_and_store_nothing(setting: dict, name: str) -> None:
    path = _upload(setting, name)
    with pytest.raises(PublishRefused) as refused:
        publish_upload(setting["engine"], path, path.name,
                       LayerDetails(name=path.stem, uploaded_by="tester"),
                       layer_dir=setting["layer_dir"], principal=OPEN_ACCESS)
    assert BAD[name] in str(refused.value)
    assert list_layers(setting["engine"]) == []
    folders = [p for p in setting["layer_dir"].iterdir() if p.name != ".staging"] \
        if setting["layer_dir"].exists() else []
    assert folders == []
