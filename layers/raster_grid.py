"""One published raster opened for sampling: its levels (full resolution and each overview,
opened when first asked for), the way from longitude/latitude to its pixels, and a tally of
what was read (:class:`Reads`)."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import rasterio
import shapely
from pyproj import CRS, Transformer
from rasterio.io import DatasetReader
from rasterio.windows import Window

LONLAT = CRS.from_epsg(4326)
SEGMENT_DEGREES = 0.05
"""Zones are given extra vertices at this spacing (about 5 km) before they are projected,
so a long straight edge in degrees follows its true course in the raster's projection."""


@dataclass
class Reads:
    """What a sampling read from the file, per overview level (0 = full resolution)."""

    windows: dict[int, int] = field(default_factory=dict)
    pixels: dict[int, int] = field(default_factory=dict)
    mask_reads: int = 0

    def add(self, level: int, window: Window) -> None:
        self.windows[level] = self.windows.get(level, 0) + 1
        self.pixels[level] = self.pixels.get(level, 0) + int(window.width * window.height)

    @property
    def levels(self) -> list[int]:
        """The levels read from, finest first."""
        return sorted(self.windows)


class RasterGrid:
    """A Cloud-Optimized GeoTIFF's levels, opened as GeoTIFF only (no other driver)."""

    def __init__(self, path: Path, opener: Any = None) -> None:
        self.path, self.opener = path, opener
        self.reads: Reads = Reads()
        self.band = 1
        self._levels: dict[int, DatasetReader] = {}
        base = self.level(0)
        self._lonlat = base.crs is None or CRS.from_user_input(base.crs.to_wkt()) == LONLAT
        self._geographic = base.crs is not None and base.crs.is_geographic
        res = max(abs(base.transform.a), abs(base.transform.e))
        factors = base.overviews(1)
        #: pixel size of each level, finest first (overview factors as GDAL states them)
        self.pixel_sizes: list[float] = [res, *(res * f for f in factors)]

    def __enter__(self) -> RasterGrid:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for dataset in self._levels.values():
            dataset.close()
        self._levels.clear()

    def level(self, level: int) -> DatasetReader:
        """The dataset of ``level`` (0: full resolution; n: the n-th overview)."""
        dataset = self._levels.get(level)
        if dataset is None:
            options: dict[str, Any] = {"driver": "GTiff"}
            if level:
                options["overview_level"] = level - 1
            if self.opener is not None:
                options["opener"] = self.opener
            dataset = self._levels[level] = rasterio.open(self.path, **options)
        return dataset

    def pixels_of(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Full-resolution row and column of each lon/lat point; -1 where it has none (not
        a number, or not placeable in the raster's projection). A geographic raster that
        runs 0..360 finds points given at -180..0 too."""
        base = self.level(0)
        xs, ys = self._project(lons, lats)
        rows, cols = _row_col(base, xs, ys)
        if self._geographic:
            for shift in (360.0, -360.0):
                outside = (cols < 0) | (cols >= base.width)
                if outside.any():
                    rows2, cols2 = _row_col(base, xs[outside] + shift, ys[outside])
                    inside = (cols2 >= 0) & (cols2 < base.width)
                    rows[np.flatnonzero(outside)[inside]] = rows2[inside]
                    cols[np.flatnonzero(outside)[inside]] = cols2[inside]
        return rows, cols

    def from_lonlat(self, zones: np.ndarray) -> np.ndarray:
        """Lon/lat geometries in the raster's coordinates (None where they cannot be
        placed: not a geometry, or outside what the projection can show)."""
        present = np.array([z is not None and not shapely.is_missing(z) for z in zones],
                           dtype=bool)
        out = np.full(len(zones), None, dtype=object)
        if not present.any():
            return out
        geoms = zones[present]
        if not self._lonlat:
            transformer = _transformer(self.level(0).crs.to_wkt())
            geoms = shapely.transform(shapely.segmentize(geoms, SEGMENT_DEGREES),
                                      lambda xy: np.column_stack(transformer.transform(
                                          xy[:, 0], xy[:, 1], errcheck=False)))
        finite = np.isfinite(shapely.bounds(geoms)).all(axis=1)
        out[np.flatnonzero(present)[finite]] = geoms[finite]
        return out

    def window_of(self, bounds: tuple[float, float, float, float], level: int) -> Window | None:
        """The whole pixels of ``level`` that cover ``bounds`` (raster coordinates), cut to
        the raster; None when they miss it."""
        dataset = self.level(level)
        inverse = ~dataset.transform
        minx, miny, maxx, maxy = bounds
        cols, rows = inverse @ (np.array([minx, maxx, minx, maxx]),
                                np.array([miny, miny, maxy, maxy]))
        col0, col1 = max(math.floor(cols.min()), 0), min(math.ceil(cols.max()), dataset.width)
        row0, row1 = max(math.floor(rows.min()), 0), min(math.ceil(rows.max()), dataset.height)
        if col1 <= col0 or row1 <= row0:
            return None
        return Window(col0, row0, col1 - col0, row1 - row0)

    def _project(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._lonlat:
            return lons.copy(), lats.copy()
        xs, ys = _transformer(self.level(0).crs.to_wkt()).transform(lons, lats, errcheck=False)
        return np.asarray(xs, dtype="float64"), np.asarray(ys, dtype="float64")


def _row_col(dataset: DatasetReader, xs: np.ndarray,
             ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel row and column holding each x/y; -1 for a coordinate that is not a number."""
    cols, rows = ~dataset.transform @ (xs, ys)
    finite = np.isfinite(cols) & np.isfinite(rows)
    out_rows = np.full(len(xs), -1, dtype="int64")
    out_cols = np.full(len(xs), -1, dtype="int64")
    # far outside stays far outside, without overflowing the integers
    out_rows[finite] = np.clip(np.floor(rows[finite]), -1, 2**40)
    out_cols[finite] = np.clip(np.floor(cols[finite]), -1, 2**40)
    return out_rows, out_cols


@functools.lru_cache(maxsize=16)
def _transformer(crs_wkt: str) -> Transformer:
    """From longitude/latitude (WGS 84) to a raster's coordinate system."""
    return Transformer.from_crs(LONLAT, CRS.from_wkt(crs_wkt), always_xy=True)
