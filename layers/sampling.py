"""A published raster (a Cloud-Optimized GeoTIFF) at points and in zones: its value at each
point, and its statistics (min, max, mean, count of valid pixels) within a radius of each
point or within polygons. Points and zones come in longitude/latitude (EPSG:4326) and are
taken into the raster's own coordinate system with pyproj; nothing is resampled.

No data is never counted: the raster's nodata value, NaN and infinities, and an internal
mask where the raster has one instead of a nodata value. A point outside the raster or on
no data has no value (NaN); a zone without a valid pixel has count 0 and NaN statistics.
Multi-band rasters: band 1 unless ``band`` says otherwise (complex rasters were stored as
their amplitude when published).

What is read, and at which overview level:

* a point value always comes from full resolution (level 0). Points are grouped by the
  COG's tiles and each block row's neighbouring tiles that hold points are read in one
  window, so every tile is decoded once however many points it holds (GDAL decodes the
  tiles of one window on all cores);
* a zone is read as the window of its bounding box at one level (zones in tile order, so
  a tile that neighbours share is seldom decoded twice), the level chosen by
  :func:`overview_level`: the coarsest overview whose pixels are no larger than
  1/:data:`PIXELS_ACROSS` of the zone's narrower side, so every zone spans at least about
  100 pixels across, whatever its size. A 50 km radius (100 km across) on a 50 m grid reads
  the 800 m overview (16 × coarser), a 1 km radius reads full resolution. The COG's
  overviews average their pixels (nearest for class rasters), so the mean barely moves but
  the min and max of a zone read from an overview are those of averaged pixels, and the
  count is of that level's pixels (the ``pixel_size`` column says how large they are):
  ``full_resolution=True`` reads level 0 for every zone.

Each result carries :class:`Reads`: how many windows, pixels and mask reads at each level.
A pixel belongs to a zone when its centre lies inside; a zone smaller than a pixel that
holds no centre takes the pixels it touches.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.enums import MaskFlags
from rasterio.features import geometry_mask
from rasterio.io import DatasetReader
from rasterio.windows import Window

from domain.errors import InputError
from domain.i18n import ntr, tr
from layers.geodesic_zones import geodesic_circles
from layers.raster_grid import RasterGrid, Reads

PIXELS_ACROSS = 100
"""A zone is read at the coarsest level that still gives it about this many pixels across."""
RUN_BLOCKS = 32
"""At most this many neighbouring tiles in one read (a row of 512 px float64 tiles: 64 MB)."""
SAMPLING_ENV = {"GDAL_NUM_THREADS": "ALL_CPUS", "GDAL_CACHEMAX": 512 * 1024 * 1024,
                "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR", "GDAL_PAM_ENABLED": "NO"}
"""While sampling: tiles decoded on every core, and a block cache large enough that a tile
neighbouring zones share stays decoded between them (zones are read in tile order)."""
STATISTICS = ["min", "max", "mean", "count", "pixel_size", "level"]

__all__ = ["PointValues", "Reads", "ZoneStatistics", "overview_level", "radius_stats",
           "values_at", "zonal_stats"]


@dataclass(frozen=True)
class PointValues:
    """The raster's value at each point (NaN: outside the raster or no data)."""

    values: np.ndarray
    reads: Reads


@dataclass(frozen=True)
class ZoneStatistics:
    """One row per zone: :data:`STATISTICS` (``pixel_size`` in the raster's units, metres
    for a projected grid; ``level`` 0 is full resolution)."""

    table: pd.DataFrame
    reads: Reads


def values_at(path: Path, lons: Sequence[float] | np.ndarray, lats: Sequence[float] | np.ndarray,
              *, band: int = 1, opener: Any = None) -> PointValues:
    """The value of ``band`` at each lon/lat point, read at full resolution, each tile that
    holds a point decoded once. ``opener`` is rasterio's (a file-like source)."""
    lons, lats = np.asarray(lons, dtype="float64"), np.asarray(lats, dtype="float64")
    values = np.full(len(lons), np.nan)
    with _opened(path, band, opener) as grid:
        rows, cols = grid.pixels_of(lons, lats)
        base = grid.level(0)
        inside = np.flatnonzero((rows >= 0) & (rows < base.height) & (cols >= 0)
                                & (cols < base.width))
        block_height, block_width = base.block_shapes[band - 1]
        for window, members in block_runs(rows[inside], cols[inside], block_height,
                                          block_width, base.width, base.height):
            data, masked = _read(grid, 0, window)
            picked = inside[members]
            r = rows[picked] - int(window.row_off)
            c = cols[picked] - int(window.col_off)
            found = data[r, c]
            invalid = _no_data(base, band, found)  # only where the points are
            if masked is not None:
                invalid |= masked[r, c]
            values[picked] = np.where(invalid, np.nan, found.astype("float64"))
        return PointValues(values, grid.reads)


def radius_stats(path: Path, lons: Sequence[float] | np.ndarray,
                 lats: Sequence[float] | np.ndarray, radius_km: float, *, band: int = 1,
                 full_resolution: bool = False, opener: Any = None) -> ZoneStatistics:
    """:func:`zonal_stats` within ``radius_km`` (on the ground) of each lon/lat point
    (:func:`layers.geodesic_zones.geodesic_circles`)."""
    if not (math.isfinite(radius_km) and radius_km > 0):
        raise InputError(tr("A radius must be a positive number of kilometres, not "
                            "{radius}.").format(radius=radius_km))
    circles = geodesic_circles(np.asarray(lons, dtype="float64"),
                               np.asarray(lats, dtype="float64"), radius_km)
    return zonal_stats(path, circles, band=band, full_resolution=full_resolution,
                       opener=opener)


def zonal_stats(path: Path, zones: Sequence[Any] | np.ndarray, *, band: int = 1,
                full_resolution: bool = False, opener: Any = None) -> ZoneStatistics:
    """Min, max, mean and count of the valid pixels of ``band`` within each zone (shapely
    polygons in lon/lat; None for a zone with no geometry), each read at the level
    :func:`overview_level` chooses (level 0 for all with ``full_resolution``)."""
    geoms = np.asarray(zones, dtype=object)
    rows: list[tuple[float, float, float, int, float, int]] = [_EMPTY] * len(geoms)
    with _opened(path, band, opener) as grid:
        plans = [_plan(grid, zone, full_resolution) for zone in grid.from_lonlat(geoms)]
        # neighbours one after another: a tile two zones share is decoded once (GDAL's cache)
        for n in sorted(range(len(plans)), key=lambda i: _tile_order(grid, plans[i])):
            rows[n] = _measure(grid, plans[n])
        table = pd.DataFrame(rows, columns=STATISTICS)
        return ZoneStatistics(table, grid.reads)


def overview_level(pixel_sizes: Sequence[float], zone_size: float,
                   pixels_across: int = PIXELS_ACROSS) -> int:
    """The coarsest level whose pixel is at most ``zone_size / pixels_across`` (``pixel_sizes``
    finest first, level 0 the full resolution); 0 when even that is coarser.

    >>> overview_level([50, 100, 200, 400, 800, 1600], 100_000)
    4
    >>> overview_level([50, 100, 200], 2_000), overview_level([50, 100], float("nan"))
    (0, 0)
    """
    if not math.isfinite(zone_size) or zone_size <= 0:
        return 0
    allowed = zone_size / pixels_across
    fitting = [level for level, size in enumerate(pixel_sizes) if size <= allowed]
    return max(fitting, default=0)


def block_runs(rows: np.ndarray, cols: np.ndarray, block_height: int, block_width: int,
               width: int, height: int) -> Iterator[tuple[Window, np.ndarray]]:
    """Windows covering the tiles that hold the given pixels: neighbouring tiles of one block
    row together (at most :data:`RUN_BLOCKS`), each with the positions of its pixels.

    >>> [(tuple(w.flatten()), m.tolist()) for w, m in block_runs(
    ...     np.array([0, 5, 0, 600]), np.array([700, 0, 10, 0]), 512, 512, 1000, 800)]
    [((0, 0, 1000, 512), [1, 2, 0]), ((0, 512, 512, 288), [3])]
    """
    block_row, block_col = rows // block_height, cols // block_width
    order = np.lexsort((block_col, block_row))
    in_row, in_col = block_row[order], block_col[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (in_row[1:] != in_row[:-1]) | (in_col[1:] - in_col[:-1] > 1)
    run = np.cumsum(first) - 1
    chunk = (in_col - in_col[np.flatnonzero(first)][run]) // RUN_BLOCKS  # long runs cut
    first[1:] |= chunk[1:] != chunk[:-1]
    starts = np.flatnonzero(first)
    for start, end in zip(starts, [*starts[1:], len(order)], strict=True):
        yield (_run_window(in_row[start], in_col[start], in_col[end - 1], block_height,
                           block_width, width, height), order[start:end])


def _run_window(block_row: int, first_col: int, last_col: int, block_height: int,
                block_width: int, width: int, height: int) -> Window:
    row0, col0 = int(block_row) * block_height, int(first_col) * block_width
    col1 = min((int(last_col) + 1) * block_width, width)
    return Window(col0, row0, col1 - col0, min(row0 + block_height, height) - row0)


@contextmanager
def _opened(path: Path, band: int, opener: Any) -> Iterator[RasterGrid]:
    with rasterio.Env(**SAMPLING_ENV), RasterGrid(path, opener) as grid:
        if not 1 <= band <= grid.level(0).count:
            count = grid.level(0).count
            raise InputError(ntr("Band {band} does not exist: the raster has {count} band "
                                 "(1 to {count}).",
                                 "Band {band} does not exist: the raster has {count} bands "
                                 "(1 to {count}).", count).format(band=band, count=count))
        grid.band = band
        yield grid


@dataclass(frozen=True)
class _Plan:
    """What to read for one zone (in the raster's coordinates): at which level, which window."""

    zone: Any
    level: int
    window: Window | None


_EMPTY = (math.nan, math.nan, math.nan, 0, math.nan, 0)


def _plan(grid: RasterGrid, zone: Any, full_resolution: bool) -> _Plan:
    if zone is None or shapely.is_empty(zone):
        return _Plan(None, 0, None)
    minx, miny, maxx, maxy = shapely.bounds(zone)
    level = 0 if full_resolution else overview_level(grid.pixel_sizes,
                                                     min(maxx - minx, maxy - miny))
    return _Plan(zone, level, grid.window_of((minx, miny, maxx, maxy), level))


def _tile_order(grid: RasterGrid, plan: _Plan) -> tuple[int, int, int]:
    """Level, then the tile row and column of the window's top-left corner."""
    if plan.window is None:
        return (-1, 0, 0)
    height, width = grid.level(plan.level).block_shapes[grid.band - 1]
    return (plan.level, int(plan.window.row_off) // height, int(plan.window.col_off) // width)


def _measure(grid: RasterGrid, plan: _Plan) -> tuple[float, float, float, int, float, int]:
    """The statistics of one planned zone."""
    if plan.zone is None:
        return _EMPTY
    pixel_size = grid.pixel_sizes[plan.level]
    if plan.window is None:
        return (math.nan, math.nan, math.nan, 0, pixel_size, plan.level)
    data, masked = _read(grid, plan.level, plan.window)
    where = grid.level(plan.level).window_transform(plan.window)
    inside = geometry_mask([plan.zone], out_shape=data.shape, transform=where, invert=True)
    if not inside.any():  # smaller than a pixel: the pixels it touches
        inside = geometry_mask([plan.zone], out_shape=data.shape, transform=where,
                               invert=True, all_touched=True)
    found = data[inside]
    valid = ~_no_data(grid.level(plan.level), grid.band, found)
    if masked is not None:
        valid &= ~masked[inside]
    found = found[valid]
    if not found.size:
        return (math.nan, math.nan, math.nan, 0, pixel_size, plan.level)
    return (float(found.min()), float(found.max()), float(found.mean(dtype="float64")),
            int(found.size), pixel_size, plan.level)


def _read(grid: RasterGrid, level: int,
          window: Window) -> tuple[np.ndarray, np.ndarray | None]:
    """The window's pixels of the grid's band at ``level``, and, when the raster marks no
    data with a mask (or alpha) band rather than a value, where that mask says so."""
    dataset = grid.level(level)
    data = dataset.read(grid.band, window=window)
    grid.reads.add(level, window)
    flags = dataset.mask_flag_enums[grid.band - 1]
    if dataset.nodatavals[grid.band - 1] is not None or not (
            MaskFlags.per_dataset in flags or MaskFlags.alpha in flags):
        return data, None
    grid.reads.mask_reads += 1
    return data, dataset.read_masks(grid.band, window=window) == 0


def _no_data(dataset: DatasetReader, band: int, values: np.ndarray) -> np.ndarray:
    """Where ``values`` (read from ``band``) are NaN, infinite or the nodata value."""
    invalid = (~np.isfinite(values) if values.dtype.kind in "fc"
               else np.zeros(values.shape, dtype=bool))
    nodata = dataset.nodatavals[band - 1]
    value = None if nodata is None else _as_dtype(nodata, values.dtype)
    if value is not None:
        invalid |= values == value
    return invalid


def _as_dtype(nodata: float, dtype: np.dtype) -> Any:
    """``nodata`` as a value of ``dtype`` (as GDAL compares it), or None when NaN or out of
    the type's range (it can then match no pixel).

    >>> bool(_as_dtype(-3.4e38, np.dtype("float32")) == np.float32(-3.4e38))
    True
    >>> _as_dtype(-1, np.dtype("uint8")) is None
    True
    """
    if math.isnan(nodata):
        return None
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return dtype.type(nodata) if info.min <= nodata <= info.max else None
    return dtype.type(nodata)
