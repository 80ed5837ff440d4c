"""Benchmark sampling a published raster at sites and in polygons; print a table.

Run from the repository root: ``.venv/bin/python benchmarks/sampling_bench.py``.
Generates (in a temporary folder, deleted afterwards) a float32 11,200 × 11,200 grid
(~500 MB of pixels; EPSG:5070, 50 m, smooth field with noise and a nodata border), writes it
as the app publishes rasters (``layers.cog.write_cog``: 512 px ZSTD tiles, overviews), then:

A. values at 10,000 random sites: ``values_at`` (tiles grouped, each decoded once) against
   rasterio's ``sample`` per point (no grouping; on a subset, scaled) and against reading the
   whole raster at full resolution and indexing it;
B. zonal statistics over 1,000 irregular polygons 1 to 50 km across: ``zonal_stats`` (each
   zone at the overview its size needs) against a full-resolution window per polygon masked
   with ``geometry_mask`` (as rasterstats does; on a subset, scaled), with how far the mean
   read from an overview lies from the full-resolution mean;
C. statistics within 25 km of 1,000 sites (``radius_stats``), for scale.
Exits 0 when a goal is missed (the table says so); non-zero only when something crashes.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_support import Row, format_table, goal_row, median, repeat, secs, timed  # noqa: E402

import layers  # noqa: E402,F401  (GDAL's safety settings before rasterio loads)
from layers.upload_formats import FileFormat, IdentifiedUpload  # noqa: E402

SIDE = int(os.environ.get("PERMITMAP_BENCH_RASTER_SIDE", "11200"))
PIXEL = 50.0
LEFT, TOP = -1_900_000.0, 2_300_000.0
NODATA = -99999.0
SITES = 10_000
POLYGONS = 1_000
NAIVE_SITES = 2_000
NAIVE_POLYGONS = 200
RUNS = 3


def main() -> int:
    """Generate the COG, measure, print the table."""
    started = time.perf_counter()
    rng = np.random.default_rng(5)
    with tempfile.TemporaryDirectory(prefix="permitmap-sampling-bench-") as tmp_name:
        tmp = Path(tmp_name)
        _progress(f"generating a {SIDE:,} × {SIDE:,} float32 grid and its COG")
        setup_s = timed(lambda: _write_cog(tmp))
        cog = tmp / "survey.cog.tif"
        rows = [Row("setup: generate the grid, write the COG",
                    f"{cog.stat().st_size / 1e6:.0f} MB COG, {secs(setup_s)}")]
        lons, lats = _random_sites(rng, SITES)
        rows += _value_rows(cog, lons, lats)
        rows += _clustered_rows(cog, rng)
        rows += _zone_rows(cog, _random_polygons(rng, POLYGONS))
        rows += _radius_rows(cog, lons[:1_000], lats[:1_000])
    print(f"permitmap sampling benchmark, {time.strftime('%Y-%m-%d %H:%M')}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}, "
          f"{time.perf_counter() - started:.0f} s in all\n")
    print(format_table(f"Sampling a {SIDE:,} × {SIDE:,} float32 COG "
                       f"({SIDE * SIDE * 4 / 1e6:.0f} MB of pixels)", rows))
    return 0


def _write_cog(tmp: Path) -> None:
    """A smooth survey-like grid with noise and a nodata border, striped, then its COG (the
    striped original is deleted once converted)."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    from layers.cog import write_cog

    striped = tmp / "survey.tif"
    profile = {"driver": "GTiff", "width": SIDE, "height": SIDE, "count": 1,
               "dtype": "float32", "crs": "EPSG:5070", "nodata": NODATA,
               "transform": from_origin(LEFT, TOP, PIXEL, PIXEL)}
    rng = np.random.default_rng(1)
    xs = np.linspace(0, 1, SIDE, dtype=np.float32)[None, :]
    with rasterio.open(striped, "w", **profile) as dst:
        for top in range(0, SIDE, 512):
            count = min(512, SIDE - top)
            ys = ((top + np.arange(count, dtype=np.float32)) / SIDE)[:, None]
            grid = (200 * np.sin(7 * xs + 3 * ys) + 120 * np.cos(13 * ys - 5 * xs)
                    + 500 * np.exp(-((xs - 0.4) ** 2 + (ys - 0.6) ** 2) / 0.01))
            grid = (grid + rng.normal(0, 0.5, grid.shape)).astype(np.float32)
            border = (xs < 0.03) | (xs > 0.97) | (ys < 0.02) | (ys > 0.985)
            grid[np.broadcast_to(border, grid.shape)] = NODATA
            dst.write(grid[None], window=Window(0, top, SIDE, count))
    source = IdentifiedUpload(path=striped, name=striped.name, format=FileFormat.GEOTIFF,
                              gdal_path=str(striped), size_bytes=striped.stat().st_size,
                              checksum="bench")
    write_cog(source, tmp / "survey.cog.tif")
    striped.unlink()


def _random_sites(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude of points spread over the grid and a little beyond it."""
    from pyproj import Transformer

    span = SIDE * PIXEL
    xs = rng.uniform(LEFT - 0.02 * span, LEFT + 1.02 * span, count)
    ys = rng.uniform(TOP - 1.02 * span, TOP + 0.02 * span, count)
    lons, lats = Transformer.from_crs("EPSG:5070", "EPSG:4326", always_xy=True).transform(xs, ys)
    return np.asarray(lons), np.asarray(lats)


def _random_polygons(rng: np.random.Generator, count: int) -> np.ndarray:
    """Irregular 16-sided polygons (lon/lat), 1 to 50 km across, log-uniform in size."""
    import shapely
    from pyproj import Geod

    lons, lats = _random_sites(rng, count)
    radii = np.exp(rng.uniform(math.log(500.0), math.log(25_000.0), count))
    corners = 16
    azimuths = np.tile(np.linspace(0, 360, corners, endpoint=False), count)
    reach = np.repeat(radii, corners) * rng.uniform(0.55, 1.0, count * corners)
    ring_lon, ring_lat, _ = Geod(ellps="WGS84").fwd(np.repeat(lons, corners),
                                                    np.repeat(lats, corners), azimuths, reach)
    coords = np.stack([np.reshape(ring_lon, (count, corners)),
                       np.reshape(ring_lat, (count, corners))], axis=-1)
    return np.asarray(shapely.polygons(np.concatenate([coords, coords[:, :1]], axis=1)))


def _value_rows(cog: Path, lons: np.ndarray, lats: np.ndarray) -> list[Row]:
    import rasterio

    from layers.sampling import values_at

    _progress(f"values at {SITES:,} sites, ours × {RUNS}")
    result = values_at(cog, lons, lats)
    ours_s = median(repeat(lambda: values_at(cog, lons, lats), RUNS))
    xs, ys = _to_grid(lons, lats)
    _progress(f"naive: rasterio sample per point, {NAIVE_SITES:,} sites")
    with rasterio.open(cog) as dataset:
        naive: list[float] = []

        def per_point() -> None:
            naive.extend(v[0] for v in dataset.sample(
                zip(xs[:NAIVE_SITES], ys[:NAIVE_SITES], strict=True)))

        sample_s = timed(per_point) * SITES / NAIVE_SITES
    _progress("naive: whole raster at full resolution")
    whole: dict[str, Any] = {}

    def read_all() -> None:
        with rasterio.open(cog) as dataset:
            whole["data"] = dataset.read(1)
            whole["transform"] = dataset.transform

    whole_s = timed(read_all)
    cols, rows = ~whole["transform"] @ (xs, ys)
    inside = (cols >= 0) & (cols < SIDE) & (rows >= 0) & (rows < SIDE)
    picked = np.full(len(xs), np.nan)
    picked[inside] = whole["data"][rows[inside].astype(int), cols[inside].astype(int)]
    picked[picked == NODATA] = np.nan
    agree = np.array_equal(result.values, picked, equal_nan=True)
    naive_values = np.array(naive, dtype="float64")
    naive_values[naive_values == NODATA] = np.nan
    agree &= np.array_equal(result.values[:NAIVE_SITES], naive_values, equal_nan=True)
    whole.clear()
    reads = result.reads
    return [
        goal_row(f"values at {SITES:,} sites vs rasterio sample per point "
                 f"(timed on {NAIVE_SITES:,}, × {SITES // NAIVE_SITES})", ours_s, secs, 2.0,
                 naive=secs(sample_s)),
        Row("values at the sites vs the whole raster read at full resolution", secs(ours_s),
            secs(whole_s)),
        Row("  reads / pixels read (naive: reads per point / pixels of the whole raster)",
            f"{reads.windows.get(0, 0):,} / {reads.pixels.get(0, 0) / 1e6:.0f} M",
            f"{SITES:,} / {SIDE * SIDE / 1e6:.0f} M"),
        Row("  same values as both naive ways", "yes" if agree else "NO"),
        Row("  sites with a value (inside, not nodata)",
            f"{int(np.isfinite(result.values).sum()):,} of {SITES:,}"),
    ]


def _clustered_rows(cog: Path, rng: np.random.Generator) -> list[Row]:
    """Sites as they come: in mining districts, not spread evenly."""
    from pyproj import Transformer

    from layers.sampling import values_at

    centres_x = rng.uniform(LEFT, LEFT + SIDE * PIXEL, 20)
    centres_y = rng.uniform(TOP - SIDE * PIXEL, TOP, 20)
    pick = rng.integers(0, 20, SITES)
    xs = centres_x[pick] + rng.normal(0, 5_000, SITES)
    ys = centres_y[pick] + rng.normal(0, 5_000, SITES)
    lons, lats = Transformer.from_crs("EPSG:5070", "EPSG:4326", always_xy=True).transform(xs, ys)
    _progress(f"values at {SITES:,} sites in 20 districts, ours × {RUNS}")
    result = values_at(cog, lons, lats)
    seconds = median(repeat(lambda: values_at(cog, lons, lats), RUNS))
    return [Row(f"values at {SITES:,} sites in 20 districts (5 km spread)", secs(seconds)),
            Row("  reads / pixels read",
                f"{result.reads.windows.get(0, 0):,} / "
                f"{result.reads.pixels.get(0, 0) / 1e6:.0f} M")]


def _zone_rows(cog: Path, polygons: np.ndarray) -> list[Row]:
    from layers.sampling import zonal_stats

    _progress(f"zonal statistics over {POLYGONS:,} polygons, ours × {RUNS}")
    result = zonal_stats(cog, polygons)
    ours_s = median(repeat(lambda: zonal_stats(cog, polygons), RUNS))
    _progress(f"naive: full-resolution window per polygon, {NAIVE_POLYGONS:,} polygons")
    naive: list[float] = []
    naive_s = timed(lambda: naive.extend(_naive_means(cog, polygons[:NAIVE_POLYGONS])))
    naive_s *= POLYGONS / NAIVE_POLYGONS
    ours_means = result.table["mean"].to_numpy()[:NAIVE_POLYGONS]
    both = np.isfinite(ours_means) & np.isfinite(naive)
    difference = np.abs(ours_means[both] - np.asarray(naive)[both])
    levels = result.table["level"].value_counts().sort_index()
    return [
        goal_row(f"zonal statistics over {POLYGONS:,} polygons (1-50 km) vs a full-resolution "
                 f"window each (timed on {NAIVE_POLYGONS}, × {POLYGONS // NAIVE_POLYGONS})",
                 ours_s, secs, 5.0, naive=secs(naive_s)),
        Row("  polygons per overview level (0 = full resolution)",
            ", ".join(f"{lvl}: {n}" for lvl, n in levels.items())),
        Row("  pixels read (the zones' windows, all levels)",
            f"{sum(result.reads.pixels.values()) / 1e6:.1f} M"),
        Row("  mean vs full resolution: median / largest difference (values span ~1,400)",
            f"{np.median(difference):.2f} / {difference.max():.2f}"),
    ]


def _radius_rows(cog: Path, lons: np.ndarray, lats: np.ndarray) -> list[Row]:
    from layers.sampling import radius_stats

    _progress("statistics within 25 km of 1,000 sites")
    seconds = median(repeat(lambda: radius_stats(cog, lons, lats, 25.0), RUNS))
    return [Row("statistics within 25 km of 1,000 sites (no goal)", secs(seconds))]


def _naive_means(cog: Path, polygons: np.ndarray) -> list[float]:
    """rasterstats' way: each polygon's window at full resolution, masked, averaged."""
    import rasterio
    import shapely
    from pyproj import Transformer
    from rasterio.errors import WindowError
    from rasterio.features import geometry_mask
    from rasterio.windows import Window, from_bounds

    to_grid = Transformer.from_crs("EPSG:4326", "EPSG:5070", always_xy=True)
    means = []
    with rasterio.open(cog) as dataset:
        for polygon in polygons:
            zone = shapely.transform(polygon, lambda xy: np.column_stack(
                to_grid.transform(xy[:, 0], xy[:, 1])))
            try:
                window = from_bounds(*zone.bounds, transform=dataset.transform) \
                    .round_offsets().round_lengths().intersection(Window(0, 0, SIDE, SIDE))
            except WindowError:  # wholly outside the grid
                means.append(math.nan)
                continue
            data = dataset.read(1, window=window)
            inside = geometry_mask([zone], data.shape, dataset.window_transform(window),
                                   invert=True)
            found = data[inside & (data != NODATA)]
            means.append(float(found.mean(dtype="float64")) if found.size else math.nan)
    return means


def _to_grid(lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    xs, ys = Transformer.from_crs("EPSG:4326", "EPSG:5070", always_xy=True).transform(lons,
                                                                                     lats)
    return np.asarray(xs), np.asarray(ys)


def _progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
