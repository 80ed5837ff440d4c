"""A survey grid and vector layers published into a test's store: a 0.01° float32 raster
whose pixel at row r, column c holds ``r * 1000 + c`` (one no-data pixel, at site us-xss),
and GeoJSON layers of given features. Shared by the sampling and export tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import rasterio
import shapely
from rasterio.transform import from_origin
from sqlalchemy import Engine

from domain.access import OPEN_ACCESS
from services.publishing import LayerDetails, publish_upload
from store.layer_repo import LayerRecord

# 0.01° pixels centred on whole hundredths: the sample sites sit on pixel centres.
WEST, NORTH, RES, WIDTH, HEIGHT = -120.005, 42.005, 0.01, 601, 801
NODATA = -9999.0


def grid_values() -> np.ndarray:
    """The grid's pixels as written."""
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    values = (rows * 1000 + cols).astype("float32")
    values[600, 500] = NODATA  # the pixel of site us-xss (36.0 N, 115.0 W)
    return values


def value_at(lon: float, lat: float) -> float:
    """Hand formula: the pixel whose centre is (lon, lat) holds row * 1000 + column."""
    return round((42.0 - lat) / RES) * 1000.0 + round((lon + 120.0) / RES)


def publish(engine: Engine, path: Path, name: str) -> LayerRecord:
    """``path`` published as layer ``name``; its files go to ``layer_files`` beside the
    uploads folder (where :func:`tests.support.sample_store.use_sample_store` points)."""
    [record] = publish_upload(engine, path, path.name, LayerDetails(name, "alice"),
                              layer_dir=path.parent.parent / "layer_files",
                              principal=OPEN_ACCESS)
    return record


def publish_grid(engine: Engine, tmp_path: Path, name: str = "Magnetics grid",
                 factor: int = 1) -> LayerRecord:
    """The grid of :func:`grid_values` (times ``factor``: another file) written as a
    GeoTIFF and published."""
    path = _uploads(tmp_path) / f"grid_{factor}.tif"
    profile = {"driver": "GTiff", "width": WIDTH, "height": HEIGHT, "count": 1,
               "dtype": "float32", "crs": "EPSG:4326", "nodata": NODATA,
               "transform": from_origin(WEST, NORTH, RES, RES)}
    with rasterio.open(path, "w", **profile) as dataset:
        values = grid_values()
        dataset.write(values if factor == 1 else
                      (values * factor).astype("float32").clip(NODATA), 1)
    return publish(engine, path, name)


def publish_geojson(engine: Engine, tmp_path: Path, name: str,
                    features: list[tuple[str, shapely.Geometry]]) -> LayerRecord:
    """Features named ``(label, geometry)`` in lon/lat published as a GeoJSON layer."""
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": label},
         "geometry": shapely.geometry.mapping(geom)} for label, geom in features]}
    path = _uploads(tmp_path) / f"{name.lower().replace(' ', '_')}.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    return publish(engine, path, name)


def _uploads(tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir(exist_ok=True)
    return folder
