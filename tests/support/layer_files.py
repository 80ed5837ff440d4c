"""Small survey files written in code, for the publishing, route, page and browser tests."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio.transform import from_origin

CLAIMS = [("Claim 1 <script>alert(1)</script>", -116.60, 41.00),
          ("鉱区 2", -116.50, 41.05), ("Claim 3", -116.40, 41.10)]


def write_claims_zip(folder: Path) -> Path:
    """A zipped Shapefile (in a subfolder of the zip) of three claim squares, UTM 11N."""
    frame = gpd.GeoDataFrame(
        {"name": [c[0] for c in CLAIMS], "area_ha": [12.5, 40.0, 7.25]},
        geometry=[shapely.box(lon, lat, lon + 0.05, lat + 0.05) for _, lon, lat in CLAIMS],
        crs="EPSG:4326").to_crs("EPSG:32611")
    parts = folder / "claims_parts"
    parts.mkdir(parents=True, exist_ok=True)
    frame.to_file(parts / "claims.shp", engine="pyogrio")
    target = folder / "claims.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(parts.iterdir()):
            archive.write(part, f"survey/{part.name}")
    return target


def write_mixed_geojson(folder: Path) -> Path:
    """A GeoJSON with two points and a polygon: it publishes as two layers."""
    features = [
        {"type": "Feature", "properties": {"name": "Sample A"},
         "geometry": {"type": "Point", "coordinates": [140.1, 39.7]}},
        {"type": "Feature", "properties": {"name": "Sample B"},
         "geometry": {"type": "Point", "coordinates": [140.2, 39.8]}},
        {"type": "Feature", "properties": {"name": "Area"},
         "geometry": {"type": "Polygon", "coordinates": [[[140, 39.5], [140.5, 39.5],
                                                          [140.5, 40], [140, 39.5]]]}},
    ]
    target = folder / "akita_samples.geojson"
    target.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                      encoding="utf-8")
    return target


def write_magnetics_tif(folder: Path, name: str = "magnetics.tif") -> Path:
    """A 200 x 150 float32 grid in EPSG:5070 over Nevada with a NaN border, striped."""
    rows, cols = np.mgrid[0:150, 0:200]
    values = (50000 + 300 * np.sin(cols / 15) * np.cos(rows / 20)).astype("float32")
    values[:5, :] = np.nan
    target = folder / name
    profile = {"driver": "GTiff", "width": 200, "height": 150, "count": 1, "dtype": "float32",
               "crs": "EPSG:5070", "transform": from_origin(-1_800_000, 2_200_000, 250, 250),
               "nodata": float("nan")}
    with rasterio.open(target, "w", **profile) as dataset:
        dataset.write(values, 1)
    return target


def damage_zip_entry(path: Path, entry: str) -> Path:
    """Overwrite bytes in the middle of ``entry``'s compressed data (the zip stays listable)."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(entry)
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    data[middle:middle + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    return path
