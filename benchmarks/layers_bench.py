"""Benchmark reading survey uploads: read + check + reproject, per format; print a table.

Run from the repository root: ``.venv/bin/python benchmarks/layers_bench.py`` (``make bench``).
For each vector format, 100,000 small polygons (GeoJSON and KML in EPSG:4326, the others in
US Albers EPSG:5070 so the reprojection is real) go through ``identify`` + ``read_vector``
(what the upload page and ``permitmap layers check`` do), against the plain library call that
only reads and reprojects (``geopandas.read_file`` with pyogrio + ``to_crs``). Best of 3.
The raster side is ``benchmarks/raster_bench.py``.
Exits 0 when a goal is missed (the table says so); non-zero only when something crashes.
"""

from __future__ import annotations

import os
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from bench_support import Row, format_table, secs, timed

from layers.identify import identify
from layers.vector_read import read_vector

N = int(os.environ.get("PERMITMAP_BENCH_FEATURES", "100000"))
RUNS = 3
GOALS = {"GeoPackage": 100_000, "FlatGeobuf": 100_000, "GeoParquet": 100_000,
         "zipped Shapefile": 100_000, "GeoJSON": 30_000, "KML": 30_000}


def main() -> int:
    """Write the files once, time both readers on each, print the table."""
    with tempfile.TemporaryDirectory(prefix="permitmap-layers-bench-") as tmp:
        folder = Path(tmp)
        files = _write_files(folder, _polygons(N))
        rows = [_row(label, path, plain) for label, (path, plain) in files.items()]
    print(format_table(f"Vector uploads: read + check + reproject, {N:,} polygons "
                       f"(best of {RUNS}; features per second)", rows))
    return 0


def _row(label: str, path: Path, plain: Callable[[], gpd.GeoDataFrame]) -> Row:
    _progress(f"{label}: {path.stat().st_size / 1e6:.1f} MB")

    def ours() -> None:
        reading = read_vector(identify(path, path.name, _limits()))
        assert reading.report.ok, reading.report.errors
        assert sum(len(layer.frame) for layer in reading.layers) == N

    ours_s = min(timed(ours) for _ in range(RUNS))
    plain_s = min(timed(plain) for _ in range(RUNS))
    rate, goal = N / ours_s, GOALS[label]
    return Row(label, f"{secs(ours_s)} = {rate:,.0f}/s", f"{secs(plain_s)} = {N / plain_s:,.0f}/s",
               f">= {goal:,}/s", "yes" if rate >= goal else "NO")


def _limits():  # type: ignore[no-untyped-def]
    from layers.limits import UploadLimits

    return UploadLimits(max_file_bytes=2**31)


def _polygons(n: int) -> gpd.GeoDataFrame:
    """``n`` small squares over the western US with a few typed attributes, in EPSG:4326."""
    rng = np.random.default_rng(7)
    lon = rng.uniform(-120, -105, n)
    lat = rng.uniform(33, 45, n)
    squares = shapely.box(lon, lat, lon + 0.01, lat + 0.01)
    return gpd.GeoDataFrame({
        "claim_no": np.arange(n), "area_ha": rng.uniform(1, 100, n).round(2),
        "holder": np.array(["Alpha Lithium", "Beta Rare Earths", "Gamma"])[np.arange(n) % 3],
    }, geometry=squares, crs="EPSG:4326")


def _write_files(folder: Path, frame: gpd.GeoDataFrame) -> dict[str, tuple[Path, Callable]]:
    albers = frame.to_crs("EPSG:5070")
    gpkg, fgb, parquet = folder / "claims.gpkg", folder / "claims.fgb", folder / "claims.parquet"
    geojson, kml = folder / "claims.geojson", folder / "claims.kml"
    albers.to_file(gpkg, engine="pyogrio", layer="claims")
    albers.to_file(fgb, engine="pyogrio")
    albers.to_parquet(parquet)
    frame.to_file(geojson, engine="pyogrio")
    frame.to_file(kml, engine="pyogrio", driver="KML")
    shp_dir = folder / "shp"
    shp_dir.mkdir()
    albers.to_file(shp_dir / "claims.shp", engine="pyogrio")
    shp_zip = folder / "claims_shp.zip"
    with zipfile.ZipFile(shp_zip, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(shp_dir.iterdir()):
            archive.write(part, f"claims/{part.name}")

    def read(path: str) -> Callable[[], gpd.GeoDataFrame]:
        return lambda: gpd.read_file(path, engine="pyogrio", use_arrow=True).to_crs(4326)

    return {
        "GeoPackage": (gpkg, read(str(gpkg))),
        "FlatGeobuf": (fgb, read(str(fgb))),
        "GeoParquet": (parquet, lambda: gpd.read_parquet(parquet).to_crs(4326)),
        "zipped Shapefile": (shp_zip, read(f"/vsizip/{shp_zip}/claims/claims.shp")),
        "GeoJSON": (geojson, read(str(geojson))),
        "KML": (kml, read(str(kml))),
    }


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
