"""Benchmark raster uploads on a ~500 MB striped GeoTIFF; print a table.

Run from the repository root: ``.venv/bin/python benchmarks/raster_bench.py``.
Generates (in a temporary folder, deleted afterwards) a float32 11,200 × 11,200 striped,
uncompressed GeoTIFF of a smooth survey-like grid with noise and a nodata border, then:
A. ingest: ``check_raster`` and ``write_cog``, against rio-cogeo's ``cog_translate`` with its
   default (deflate) profile;
B. viewing: ~200 random tiles across zooms with ``render_tile`` from the COG, against
   rio-tiler straight from the striped original (fewer tiles); each in a child process that
   reports its peak memory (VmHWM minus VmRSS before the first tile) and tracemalloc peak.
Exits 0 when a goal is missed (the table says so); non-zero only when something crashes.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_support import Row, format_table, goal_row, millis, secs, size, timed  # noqa: E402

from layers.upload_formats import FileFormat, IdentifiedUpload  # noqa: E402

SIDE = int(os.environ.get("PERMITMAP_BENCH_RASTER_SIDE", "11200"))
NODATA = -99999.0
TILES = 200
NAIVE_TILES = 20
ZOOMS = range(5, 13)


def main() -> int:
    """Generate the file, run both parts, print the table."""
    if len(sys.argv) > 1 and sys.argv[1] == "--view":
        return _view_child(Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="permitmap-raster-bench-") as tmp_name:
        tmp = Path(tmp_name)
        striped = tmp / "survey.tif"
        _progress(f"generating a {SIDE:,} × {SIDE:,} float32 striped GeoTIFF")
        gen_s = timed(lambda: _generate(striped))
        rows = [Row("generate the striped GeoTIFF (setup)",
                    f"{size(striped.stat().st_size)}, {secs(gen_s)}")]
        rows += _ingest_rows(striped, tmp)
        rows += _view_rows(striped, tmp / "survey.cog.tif")
    print(f"permitmap raster benchmark, {time.strftime('%Y-%m-%d %H:%M')}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}, "
          f"{time.perf_counter() - started:.0f} s in all\n")
    print(format_table(f"Raster upload of a {SIDE:,} × {SIDE:,} float32 striped GeoTIFF; "
                       "naive = plain cog_translate / rio-tiler on the original", rows))
    return 0


def _source(path: Path) -> IdentifiedUpload:
    return IdentifiedUpload(path=path, name=path.name, format=FileFormat.GEOTIFF,
                            gdal_path=str(path), size_bytes=path.stat().st_size, checksum="bench")


def _generate(path: Path) -> None:
    """A smooth magnetic-survey-like grid with noise and an irregular nodata border."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    profile = {"driver": "GTiff", "width": SIDE, "height": SIDE, "count": 1,
               "dtype": "float32", "crs": "EPSG:5070", "nodata": NODATA,
               "transform": from_origin(-1_900_000, 2_300_000, 50, 50)}
    rng = np.random.default_rng(1)
    xs = np.linspace(0, 1, SIDE, dtype=np.float32)[None, :]
    with rasterio.open(path, "w", **profile) as dst:
        for top in range(0, SIDE, 256):
            rows = min(256, SIDE - top)
            ys = ((top + np.arange(rows, dtype=np.float32)) / SIDE)[:, None]
            grid = (200 * np.sin(7 * xs + 3 * ys) + 120 * np.cos(13 * ys - 5 * xs)
                    + 80 * np.sin(31 * xs * ys)
                    + 500 * np.exp(-((xs - 0.4) ** 2 + (ys - 0.6) ** 2) / 0.01))
            grid = (grid + rng.normal(0, 0.5, grid.shape)).astype(np.float32)
            border = ((xs < 0.03 + 0.02 * np.sin(9 * ys)) | (xs > 0.97) | (ys < 0.02)
                      | (ys > 0.985))
            grid[np.broadcast_to(border, grid.shape)] = NODATA
            dst.write(grid[None], window=Window(0, top, SIDE, rows))


def _ingest_rows(striped: Path, tmp: Path) -> list[Row]:
    from rio_cogeo.cogeo import cog_translate
    from rio_cogeo.profiles import cog_profiles

    from layers.cog import write_cog
    from layers.identify import identify
    from layers.limits import UploadLimits
    from layers.raster_check import check_raster

    _progress("identify (format sniff, SHA-256 of the whole file)")
    identify_s = timed(lambda: identify(striped, striped.name, UploadLimits()))
    source = _source(striped)
    _progress("check_raster")
    report = None

    def check() -> None:
        nonlocal report
        report = check_raster(source)

    check_s = timed(check)
    assert report is not None and report.ok, report
    cog = tmp / "survey.cog.tif"
    _progress("write_cog")
    cog_s = timed(lambda: write_cog(source, cog))
    plain = tmp / "plain.cog.tif"
    _progress("plain cog_translate (default deflate profile)")
    plain_s = timed(lambda: cog_translate(str(striped), str(plain), cog_profiles.get("deflate"),
                                          quiet=True))
    plain_size = plain.stat().st_size
    plain.unlink()
    return [
        Row("identify (format sniff, SHA-256 of the whole file)", secs(identify_s)),
        Row("check_raster (header, block probe, stats from a 1024 px read)", secs(check_s)),
        Row("write_cog (GDAL COG driver, ZSTD 1 + predictor, all CPUs)", secs(cog_s),
            secs(plain_s)),
        goal_row("ingest: check + COG", check_s + cog_s, secs, 30.0,
                 naive=secs(plain_s)),
        Row("ingest with identify (what publishing does)", secs(identify_s + check_s + cog_s)),
        Row("COG size", size(cog.stat().st_size), size(plain_size)),
    ]


def _view_rows(striped: Path, cog: Path) -> list[Row]:
    _progress(f"{TILES} tiles from the COG (child process)")
    ours = _run_child(cog, "ours", TILES)
    _progress(f"{NAIVE_TILES} tiles with rio-tiler from the striped original (child process)")
    naive = _run_child(striped, "naive", NAIVE_TILES)
    ours_ms = np.array(ours["times"]) * 1000
    naive_ms = np.array(naive["times"]) * 1000
    p50, p95 = float(np.percentile(ours_ms, 50)), float(np.percentile(ours_ms, 95))
    n50, n95 = float(np.percentile(naive_ms, 50)), float(np.percentile(naive_ms, 95))
    mib = 1024 * 1024
    return [
        Row(f"tile render, p50 ({len(ours_ms)} tiles z{ZOOMS.start}-{ZOOMS.stop - 1}; "
            f"naive {len(naive_ms)})", millis(p50), millis(n50)),
        goal_row("tile render, p95", p95, millis, 150.0, naive=millis(n95)),
        Row("tile render, max", millis(float(ours_ms.max())), millis(float(naive_ms.max()))),
        Row("tiles drawn / outside (None)", f"{ours['drawn']} / {ours['none']}",
            f"{naive['drawn']} / {naive['none']}"),
        goal_row("peak memory while viewing (RSS growth, VmHWM)", ours["rss_growth"] / mib,
                 lambda v: f"{v:.0f} MB", 150.0, naive=f"{naive['rss_growth'] / mib:.0f} MB"),
        Row("  Python allocations (tracemalloc peak)", size(ours["tracemalloc_peak"]),
            size(naive["tracemalloc_peak"])),
    ]


def _run_child(path: Path, mode: str, count: int) -> dict[str, Any]:
    output = subprocess.run([sys.executable, __file__, "--view", str(path), mode, str(count)],
                            check=False, capture_output=True, text=True, cwd=ROOT)
    if output.returncode:
        raise RuntimeError(f"tile child failed:\n{output.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _view_child(path: Path, mode: str, count: int) -> int:
    """Render ``count`` random tiles; print their times and the memory used, as JSON."""
    import warnings

    import rasterio
    from rasterio.warp import transform_bounds
    from rio_tiler.constants import WEB_MERCATOR_TMS
    from rio_tiler.errors import TileOutsideBounds
    from rio_tiler.io import Reader

    from layers.tiles import RasterStyle, render_tile

    warnings.simplefilter("ignore")
    with rasterio.open(path) as dataset:
        west, south, east, north = transform_bounds(dataset.crs, "EPSG:4326", *dataset.bounds)
    rng = random.Random(7)
    tiles = []
    for _ in range(count):
        z = rng.choice(list(ZOOMS))
        tile = WEB_MERCATOR_TMS.tile(rng.uniform(west, east), rng.uniform(south, north), z)
        tiles.append((tile.z, tile.x, tile.y))
    style = RasterStyle(colormap="viridis", stretch=(-300.0, 600.0))
    from rio_tiler.colormap import cmap

    viridis = cmap.get("viridis")
    tracemalloc.start()
    rss_before = _status_kib("VmRSS")
    times, drawn, none = [], 0, 0
    for z, x, y in tiles:
        started = time.perf_counter()
        if mode == "ours":
            png = render_tile(path, z, x, y, style)
        else:
            try:
                with Reader(str(path)) as reader:
                    image = reader.tile(x, y, z)
                image.rescale(in_range=((-300.0, 600.0),))
                png = image.render(img_format="PNG", colormap=viridis)
            except TileOutsideBounds:
                png = None
        times.append(time.perf_counter() - started)
        drawn += png is not None
        none += png is None
    _current, peak = tracemalloc.get_traced_memory()
    growth = (_status_kib("VmHWM") - rss_before) * 1024
    print(json.dumps({"times": times, "drawn": drawn, "none": none, "rss_growth": growth,
                      "tracemalloc_peak": peak}))
    return 0


def _progress(text: str) -> None:
    print(f"… {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
