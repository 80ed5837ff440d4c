"""XYZ PNG map tiles from a published Cloud-Optimized GeoTIFF (rio-tiler colour maps).

:func:`render_tile` is what the app's ``/tiles/{layer}/{z}/{x}/{y}.png`` route calls.

Speed: rio-tiler's ``Reader.tile`` builds a new warped VRT, and so a new coordinate
transformation, for every tile; from a NAD83-based grid (CONUS Albers, NAD83 / UTM) that
costs tens of milliseconds a tile in PROJ alone. Here each open file gets one warped VRT in
web mercator, built once, and a tile is a window read from it (GDAL serves it from the COG's
overviews); rio-tiler then rescales, applies the colour map and encodes the PNG.

Threads: open datasets (and their VRTs) are kept per thread, since GDAL handles must not be
shared and Starlette runs sync routes in a thread pool; a few per thread, keyed by path,
modification time and size so a re-published file is reopened. Facts about each file (its
extent, its own value range) are computed once and shared. GDAL's block cache is held to
:data:`TILE_CACHE_BYTES` while tiles are read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from morecantile import Tile
from rasterio.enums import ColorInterp, Resampling
from rasterio.errors import WindowError
from rasterio.io import DatasetReader
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds
from rasterio.windows import Window, from_bounds
from rio_tiler.colormap import cmap
from rio_tiler.constants import WEB_MERCATOR_TMS
from rio_tiler.models import ImageData

from domain.bbox import Bounds

COLORMAPS: tuple[str, ...] = ("viridis", "cividis", "magma", "terrain", "gray", "rdylbu_r",
                              "spectral_r", "turbo")
"""Colour maps offered in the UI; all are rio-tiler colour map names."""

TILE_SIZE = 256
TILE_CACHE_BYTES = 32 * 1024 * 1024
HANDLES_PER_THREAD = 8
TILE_ENV = {"GDAL_CACHEMAX": TILE_CACHE_BYTES, "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
            "GDAL_PAM_ENABLED": "NO"}

_Key = tuple[str, int, int]


@dataclass(frozen=True)
class RasterStyle:
    """How a raster layer is drawn."""

    colormap: str | None = "viridis"  # None => RGB (3+ band imagery)
    stretch: tuple[float, float] | None = None  # colour ramp min, max; None => own range
    bands: tuple[int, ...] | None = None


@dataclass(frozen=True)
class _Facts:
    """What is known about one published file, shared between threads."""

    mercator_bounds: tuple[float, float, float, float]
    bounds_4326: Bounds
    value_range: tuple[float, float]
    count: int
    dtype: str


@dataclass
class _Handle:
    """One thread's open file and the web-mercator view of it that tiles are read from."""

    dataset: DatasetReader
    view: DatasetReader | WarpedVRT

    def close(self) -> None:
        if self.view is not self.dataset:
            self.view.close()
        self.dataset.close()


_facts: dict[_Key, _Facts] = {}
_facts_lock = threading.Lock()
_local = threading.local()


def render_tile(cog_path: Path, z: int, x: int, y: int, style: RasterStyle) -> bytes | None:
    """A 256 px PNG of tile ``z/x/y``, transparent where there is no data.

    None when the tile lies outside the raster. Raises ValueError for an unknown colour map
    or band, and rasterio's errors when the file cannot be read.
    """
    if style.colormap is not None and style.colormap not in cmap.list():
        raise ValueError(f"unknown colour map {style.colormap!r}")
    with rasterio.Env(**TILE_ENV):
        handle, facts = _open(cog_path)
        if not _overlaps(facts, z, x, y):
            return None
        bands = _bands(style, facts)
        array = _read_tile(handle.view, bands, z, x, y)
        if array is None:
            return None
        if array.dtype.kind == "f":
            array.mask = np.ma.getmaskarray(array) | ~np.isfinite(array.data)
        image = ImageData(array, crs=WEB_MERCATOR_TMS.rasterio_crs,
                          bounds=tuple(WEB_MERCATOR_TMS.xy_bounds(Tile(x=x, y=y, z=z))))
        stretch = style.stretch
        if stretch is None and not (facts.dtype == "uint8" and style.colormap is None):
            stretch = facts.value_range
        if stretch is not None:
            low, high = stretch
            if high <= low:
                high = low + 1.0
            image.array.fill_value = 0  # the nodata fill may not fit in a byte
            image.rescale(in_range=((low, high),))
        colormap = cmap.get(style.colormap) if style.colormap else None
        return bytes(image.render(img_format="PNG", colormap=colormap, ZLEVEL=3))


def legend_colours(colormap: str, steps: int = 9) -> list[str]:
    """``steps`` colours as ``#rrggbb``, evenly spaced from the low end of the ramp to the high.

    >>> legend_colours("gray", 3)
    ['#000000', '#808080', '#ffffff']
    """
    ramp = cmap.get(colormap)
    steps = max(2, steps)
    picks = [round(i * 255 / (steps - 1)) for i in range(steps)]
    return ["#{:02x}{:02x}{:02x}".format(*ramp[p][:3]) for p in picks]


def raster_bounds(cog_path: Path) -> Bounds:
    """The raster's extent in longitude/latitude (EPSG:4326), for "zoom to layer"."""
    with rasterio.Env(**TILE_ENV):
        return _open(cog_path)[1].bounds_4326


def forget(cog_path: Path) -> None:
    """Close this thread's handles on ``cog_path`` and drop its facts (after a delete)."""
    name = str(cog_path)
    handles = _handles()
    for key in [k for k in handles if k[0] == name]:
        handles.pop(key).close()
    with _facts_lock:
        for key in [k for k in _facts if k[0] == name]:
            del _facts[key]


def _handles() -> OrderedDict[_Key, _Handle]:
    handles: OrderedDict[_Key, _Handle] | None = getattr(_local, "handles", None)
    if handles is None:
        handles = OrderedDict()
        _local.handles = handles
    return handles


def _open(cog_path: Path) -> tuple[_Handle, _Facts]:
    """This thread's open dataset for ``cog_path`` and the facts about it."""
    stat = cog_path.stat()
    key = (str(cog_path), stat.st_mtime_ns, stat.st_size)
    handles = _handles()
    handle = handles.get(key)
    if handle is None:
        for stale in [k for k in handles if k[0] == key[0]]:
            handles.pop(stale).close()
        handle = _open_handle(key[0])
        handles[key] = handle
        while len(handles) > HANDLES_PER_THREAD:
            handles.popitem(last=False)[1].close()
    else:
        handles.move_to_end(key)
    with _facts_lock:
        facts = _facts.get(key)
    if facts is None:
        facts = _learn(handle)
        with _facts_lock:
            for stale in [k for k in _facts if k[0] == key[0] and k != key]:
                del _facts[stale]
            _facts[key] = facts
    return handle, facts


def _open_handle(path: str) -> _Handle:
    dataset = rasterio.open(path, driver="GTiff")
    if dataset.crs == WEB_MERCATOR_TMS.rasterio_crs:
        return _Handle(dataset, dataset)
    params: dict[str, object] = {"crs": WEB_MERCATOR_TMS.rasterio_crs,
                                 "resampling": Resampling.nearest}
    if dataset.nodata is not None:
        params.update(src_nodata=dataset.nodata, nodata=dataset.nodata)
    elif ColorInterp.alpha not in dataset.colorinterp:
        params["add_alpha"] = True  # outside the raster (and its mask) reads as masked
    try:
        view = WarpedVRT(dataset, **params)
    except Exception:
        dataset.close()
        raise
    return _Handle(dataset, view)


def _read_tile(view: DatasetReader | WarpedVRT, bands: tuple[int, ...], z: int, x: int,
               y: int) -> np.ma.MaskedArray | None:
    """The tile's pixels from the web-mercator view, masked where there is no data."""
    west, south, east, north = WEB_MERCATOR_TMS.xy_bounds(Tile(x=x, y=y, z=z))
    window = from_bounds(west, south, east, north, transform=view.transform)
    try:
        inside = window.intersection(Window(0, 0, view.width, view.height))
    except WindowError:
        return None
    scale_x, scale_y = TILE_SIZE / window.width, TILE_SIZE / window.height
    col0 = round((inside.col_off - window.col_off) * scale_x)
    col1 = min(TILE_SIZE, round((inside.col_off + inside.width - window.col_off) * scale_x))
    row0 = round((inside.row_off - window.row_off) * scale_y)
    row1 = min(TILE_SIZE, round((inside.row_off + inside.height - window.row_off) * scale_y))
    if col1 <= col0 or row1 <= row0:
        return None
    data = view.read(bands, window=inside, out_shape=(len(bands), row1 - row0, col1 - col0),
                     masked=True, resampling=Resampling.nearest)
    tile = np.ma.masked_all((len(bands), TILE_SIZE, TILE_SIZE), dtype=data.dtype)
    tile[:, row0:row1, col0:col1] = data
    return tile


def _learn(handle: _Handle) -> _Facts:
    """Extent and value range of a dataset, the range from its smallest overview."""
    dataset = handle.dataset
    mercator = tuple(handle.view.bounds)
    geographic = transform_bounds(dataset.crs, "EPSG:4326", *dataset.bounds, densify_pts=21)
    scale = max(1.0, max(dataset.width, dataset.height) / TILE_SIZE)
    shape = (dataset.count, max(1, round(dataset.height / scale)),
             max(1, round(dataset.width / scale)))
    data = dataset.read(out_shape=shape, masked=True)
    values = data.compressed()
    values = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    value_range = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    return _Facts(tuple(float(v) for v in mercator),  # type: ignore[arg-type]
                  tuple(float(v) for v in geographic),  # type: ignore[arg-type]
                  value_range, dataset.count, dataset.dtypes[0])


def _overlaps(facts: _Facts, z: int, x: int, y: int) -> bool:
    if z < 0 or not (0 <= x < 2**z and 0 <= y < 2**z):
        return False
    west, south, east, north = WEB_MERCATOR_TMS.xy_bounds(Tile(x=x, y=y, z=z))
    b_west, b_south, b_east, b_north = facts.mercator_bounds
    return west < b_east and east > b_west and south < b_north and north > b_south


def _bands(style: RasterStyle, facts: _Facts) -> tuple[int, ...]:
    if style.bands:
        wanted = style.bands
    elif style.colormap is None and facts.count >= 3:
        wanted = (1, 2, 3)
    else:
        wanted = (1,)
    if any(b < 1 or b > facts.count for b in wanted):
        raise ValueError(f"bands {wanted} not in 1..{facts.count}")
    if style.colormap is not None and len(wanted) != 1:
        raise ValueError("a colour map draws one band")
    return wanted
