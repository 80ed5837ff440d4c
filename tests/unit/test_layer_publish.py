"""Publishing uploads into the catalog (SQLite), and the routes that draw them: all or nothing,
duplicates refused, tiles and features served, removal."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from starlette.testclient import TestClient

from domain.access import OPEN_ACCESS
from mapping.web.routes import starlette_app
from services.errors import PublishRefused
from services.publishing import LayerDetails, publish_upload, remove_layer
from store.errors import DuplicateUpload
from store.layer_repo import layer_features, list_layers
from store.startup import ensure_store
from tests.support.fixtures_data import write_data_dir
from tests.support.layer_files import write_claims_zip, write_magnetics_tif, write_mixed_geojson

DETAILS = LayerDetails(name="Survey", uploaded_by="alice", source="Field team 3",
                       licence="internal")


@pytest.fixture()
def setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> dict:
    """Publishing on each backend (SQLite and PostGIS), with the settings pointing at it."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(write_data_dir(tmp_path / "data")))
    monkeypatch.setenv("PERMITMAP_LAYER_DIR", str(tmp_path / "layer_files"))
    engine = ensure_store(database_url, tmp_path / "data")
    files = tmp_path / "uploads"
    files.mkdir()
    return {"engine": engine, "layer_dir": tmp_path / "layer_files", "files": files}


def _publish(setting: dict, path: Path, **options) -> list:  # type: ignore[no-untyped-def]
    return publish_upload(setting["engine"], path, path.name, DETAILS,
                          layer_dir=setting["layer_dir"], **options, principal=OPEN_ACCESS)


def test_a_mixed_file_publishes_one_layer_per_geometry_type(setting: dict) -> None:
    records = _publish(setting, write_mixed_geojson(setting["files"]))
    assert sorted((r.geometry_type, r.feature_count) for r in records) == [
        ("Point", 2), ("Polygon", 1)]
    assert all(r.name.startswith("Survey (") and r.uploaded_by == "alice" for r in records)
    assert {r.original_crs for r in records} == {"EPSG:4326"}


def test_the_same_file_again_is_refused_and_nothing_changes(setting: dict) -> None:
    path = write_claims_zip(setting["files"])
    [first] = _publish(setting, path)
    assert first.original_crs == "EPSG:32611" and first.feature_count == 3
    west, _south, _east, north = first.bounds
    assert -116.61 < west < -116.59 and 41.14 < north < 41.16  # back in lon/lat
    with pytest.raises(DuplicateUpload, match="published before"):
        _publish(setting, path)
    assert [r.id for r in list_layers(setting["engine"])] == [first.id]


def test_a_file_with_errors_is_refused_and_stores_nothing(setting: dict) -> None:
    broken = setting["files"] / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(PublishRefused, match=r"broken\.geojson cannot be published"):
        _publish(setting, broken)
    assert list_layers(setting["engine"]) == []


def test_a_raster_becomes_a_cog_in_its_folder_and_is_removed_with_its_layer(setting: dict) -> None:
    [record] = _publish(setting, write_magnetics_tif(setting["files"]))
    cog = setting["layer_dir"] / record.raster_file
    assert cog.is_file() and record.kind == "raster" and record.original_crs == "EPSG:5070"
    assert list((setting["layer_dir"] / ".staging").iterdir()) == []
    assert record.style["colormap"] and record.style["stretch"]
    remove_layer(setting["engine"], record.id, setting["layer_dir"], principal=OPEN_ACCESS)
    assert not cog.parent.exists() and list_layers(setting["engine"]) == []


def test_a_refused_raster_leaves_no_file_behind(setting: dict) -> None:
    path = write_magnetics_tif(setting["files"])
    [first] = _publish(setting, path)
    with pytest.raises(DuplicateUpload):
        _publish(setting, path)
    folders = [p.name for p in setting["layer_dir"].iterdir() if p.name != ".staging"]
    assert folders == [first.id]
    assert list((setting["layer_dir"] / ".staging").iterdir()) == []


def test_routes_serve_tiles_and_escaped_features(setting: dict) -> None:
    [raster] = _publish(setting, write_magnetics_tif(setting["files"]))
    [vector] = _publish(setting, write_claims_zip(setting["files"]))
    client = TestClient(starlette_app())
    # the tile over the grid's centre at zoom 9 (about -117.4, 40.8 in Nevada)
    response = client.get(f"/tiles/{raster.id}/9/89/192.png")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content)).convert("RGBA")
    assert image.size == (256, 256)
    assert image.getchannel("A").getextrema()[1] == 255  # drawn pixels
    colours = np.unique(np.asarray(image).reshape(-1, 4), axis=0)
    assert len(colours) > 10  # a colour ramp, not one flat colour
    outside = Image.open(io.BytesIO(client.get(f"/tiles/{raster.id}/9/400/100.png").content))
    assert outside.getchannel("A").getextrema() == (0, 0)  # fully transparent
    assert client.get(f"/tiles/{raster.id}/3/9/1.png").status_code == 400
    assert client.get("/tiles/no-such-layer/1/0/0.png").status_code == 404
    body = client.get(f"/api/layers/{vector.id}/features.geojson").json()
    assert len(body["features"]) == 3
    popups = " ".join(f["properties"]["popup"] for f in body["features"])
    assert "&lt;script&gt;" in popups and "<script>" not in popups and "鉱区 2" in popups
    wrong = client.get(f"/api/layers/{raster.id}/features.geojson")
    assert wrong.status_code == 400 and "tiles" in wrong.json()["error"]
    assert len(layer_features(setting["engine"], vector.id)) == 3
    assert json.loads(layer_features(setting["engine"], vector.id)["properties"][0])["area_ha"]


def _geojson(folder: Path, name: str, features: list[dict]) -> Path:
    path = folder / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


def _feature(geometry: dict | None, **properties: object) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


def test_text_with_line_separators_and_an_unrepaired_polygon_publish_and_serve(
        setting: dict) -> None:
    path = _geojson(setting["files"], "notes.geojson", [
        _feature(BOWTIE, note="first\u2028second\u0085third"),
        _feature({"type": "Point", "coordinates": [1, 2]}, note="plain")])
    from layers.vector_read import VectorOptions

    records = _publish(setting, path, options=VectorOptions(repair_invalid=False))
    assert sorted(r.feature_count for r in records) == [1, 1]
    client = TestClient(starlette_app())
    for record in records:
        response = client.get(f"/api/layers/{record.id}/features.geojson")
        assert response.status_code == 200 and len(response.json()["features"]) == 1
    polygon = next(r for r in records if r.geometry_type == "Polygon")
    stored = json.loads(layer_features(setting["engine"], polygon.id)["properties"][0])
    assert stored["note"] == "first\u2028second\u0085third"


def test_a_file_with_no_geometry_at_all_is_refused(setting: dict) -> None:
    path = _geojson(setting["files"], "empty_shapes.geojson",
                    [_feature(None, name="a"), _feature(None, name="b")])
    with pytest.raises(PublishRefused, match="no features with a geometry"):
        _publish(setting, path)
    assert list_layers(setting["engine"]) == []


def test_a_layer_published_again_gets_a_new_id(setting: dict) -> None:
    path = write_claims_zip(setting["files"])
    [first] = _publish(setting, path)
    remove_layer(setting["engine"], first.id, setting["layer_dir"], principal=OPEN_ACCESS)
    [again] = _publish(setting, path)
    assert again.id != first.id and again.name == first.name


def test_large_layers_are_sent_per_view(setting: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    from mapping.web import layer_api

    [record] = _publish(setting, write_claims_zip(setting["files"]))
    monkeypatch.setattr(layer_api, "CACHED_LAYER_LIMIT", 1)
    monkeypatch.setattr(layer_api, "WHOLE_LAYER_LIMIT", 2)
    client = TestClient(starlette_app())
    base = f"/api/layers/{record.id}/features.geojson"
    everything = client.get(f"{base}?bbox=-180,-90,180,90").json()
    assert len(everything["features"]) == 2 and everything["truncated"] is True
    west_only = client.get(f"{base}?bbox=-116.62,40.9,-116.52,41.2").json()
    assert len(west_only["features"]) == 1 and "truncated" not in west_only
    bad = client.get(f"{base}?bbox=1,2,3")
    assert bad.status_code == 400 and "west,south,east,north" in bad.json()["error"]


def test_a_view_across_the_180th_meridian_gets_the_features_on_both_sides(
        setting: dict) -> None:
    from mapping.web import layer_api

    points = [_feature({"type": "Point", "coordinates": [lon, -18.0]}, name=name)
              for lon, name in ((178.4, "Suva"), (-175.2, "Nukuʻalofa"), (0.0, "far away"))]
    [record] = _publish(setting, _geojson(setting["files"], "pacific.geojson", points))
    client = TestClient(starlette_app())
    base = f"/api/layers/{record.id}/features.geojson"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(layer_api, "CACHED_LAYER_LIMIT", 1)  # served per view
        across = client.get(f"{base}?bbox=170,-25,-170,-10").json()
        west_of_it = client.get(f"{base}?bbox=170,-25,180,-10").json()
    def lons(body: dict) -> list[float]:
        return sorted(f["geometry"]["coordinates"][0] for f in body["features"])

    assert lons(across) == [-175.2, 178.4]
    assert lons(west_of_it) == [178.4]


def test_a_missing_raster_file_is_a_404_with_words(setting: dict) -> None:
    import shutil

    [record] = _publish(setting, write_magnetics_tif(setting["files"]))
    shutil.rmtree(setting["layer_dir"] / record.id)
    response = TestClient(starlette_app()).get(f"/tiles/{record.id}/9/89/192.png")
    assert response.status_code == 404 and "Publish the layer again" in response.json()["error"]


def test_a_commit_failing_after_the_raster_was_placed_leaves_no_folder(
        setting: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    import services.publishing

    def place_then_fail(_engine, _layers, place_files, principal):  # type: ignore[no-untyped-def]
        place_files(["magnetics-0000"])
        raise RuntimeError("database went away")

    monkeypatch.setattr(services.publishing, "add_layers", place_then_fail)
    with pytest.raises(RuntimeError, match="went away"):
        _publish(setting, write_magnetics_tif(setting["files"]))
    assert sorted(p.name for p in setting["layer_dir"].iterdir()) == [".staging"]
    assert list((setting["layer_dir"] / ".staging").iterdir()) == []


def test_leftovers_of_killed_uploads_are_swept(setting: dict) -> None:
    import os
    import time

    from services.publishing import sweep_leftovers

    old = setting["layer_dir"] / ".incoming" / "upload-old"
    new = setting["layer_dir"] / ".staging" / "fresh"
    for folder in (old, new):
        folder.mkdir(parents=True)
    day_ago = time.time() - 86_400
    os.utime(old, (day_ago, day_ago))
    assert sweep_leftovers(setting["layer_dir"]) == 1
    assert not old.exists() and new.exists()


def test_raster_folders_no_layer_names_are_swept_when_old(setting: dict) -> None:
    """A COG moved into place by a process killed before its commit has no catalog row: the
    sweep removes it once it is old, and keeps a young one (another process may be about to
    commit it) and every folder a layer names."""
    import os
    import time

    from services.publishing import sweep_leftovers

    [raster] = _publish(setting, write_magnetics_tif(setting["files"]))
    layer_dir = setting["layer_dir"]
    old, young = layer_dir / "orphan-old", layer_dir / "orphan-young"
    for folder in (old, young):
        folder.mkdir()
        (folder / "layer.tif").write_bytes(b"II*\x00")
    day_ago = time.time() - 86_400
    os.utime(old, (day_ago, day_ago))
    os.utime(layer_dir / Path(raster.raster_file).parent, (day_ago, day_ago))
    assert sweep_leftovers(layer_dir, setting["engine"], older_than_s=3600) == 1
    assert not old.exists() and young.exists()
    assert (layer_dir / raster.raster_file).is_file()

@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv", "kml", "shp", "parquet"])
def test_a_vector_layer_exports_back_in_every_format(setting: dict, tmp_path: Path,
                                                     fmt: str) -> None:
    import pyogrio

    [record] = _publish(setting, write_claims_zip(setting["files"]))
    response = TestClient(starlette_app()).get(
        f"/api/layers/{record.id}/export?format={fmt}")
    assert response.status_code == 200
    name = response.headers["content-disposition"].split('filename="')[1].rstrip('"')
    assert name.startswith("survey.")
    target = tmp_path / name
    target.write_bytes(response.content)
    if fmt == "csv":
        import pandas as pd

        assert target.read_text(encoding="utf-8-sig").startswith("# Handling marking: ")
        back = pd.read_csv(target, encoding="utf-8-sig", skiprows=1)
    elif fmt == "parquet":
        import geopandas as gpd

        back = gpd.read_parquet(target)
    else:
        back = pyogrio.read_dataframe(f"/vsizip/{target}" if fmt == "shp" else target)
    assert len(back) == 3
    names = back["Name"] if fmt == "kml" else back["name"]  # KML's own <name> element
    assert "鉱区 2" in set(names)


def test_a_raster_layer_exports_back_as_its_cog(setting: dict) -> None:
    [record] = _publish(setting, write_magnetics_tif(setting["files"]))
    client = TestClient(starlette_app())
    response = client.get(f"/api/layers/{record.id}/export?format=tif")
    assert response.status_code == 200 and response.content[:4] == b"II*\x00"
    assert response.content == (setting["layer_dir"] / record.raster_file).read_bytes()
    wrong = client.get(f"/api/layers/{record.id}/export?format=csv")
    assert wrong.status_code == 400 and "Cloud-Optimized GeoTIFF" in wrong.json()["error"]


def test_awkward_attributes_export_in_every_format_with_notes(setting: dict) -> None:
    path = _geojson(setting["files"], "awkward.geojson", [
        _feature({"type": "Point", "coordinates": [1, 2]}, id="orig-7", Name="A", name="a",
                 fid="text", ids=[1, 2], mixed=["x"]),
        _feature({"type": "Point", "coordinates": [3, 4]}, id="orig-8", Name="B", name="b",
                 fid="more", ids=[3], mixed="abc")])
    [record] = _publish(setting, path)
    client = TestClient(starlette_app())
    for fmt in ("geojson", "gpkg", "csv", "kml", "shp", "parquet"):
        response = client.get(f"/api/layers/{record.id}/export?format={fmt}")
        assert response.status_code == 200, (fmt, response.text)
    body = client.get(f"/api/layers/{record.id}/export?format=geojson").json()
    first = body["features"][0]["properties"]
    assert first["source_id"] == "orig-7" and first["ids"] == ["1", "2"]
    # GDAL read the field as a list of texts at upload; JSON keeps the lists
    assert first["mixed"] == ["x"] and body["features"][1]["properties"]["mixed"] == ["abc"]
    gpkg = client.get(f"/api/layers/{record.id}/export?format=gpkg")
    assert "must%20differ%20ignoring%20case" in gpkg.headers["x-export-notes"]
