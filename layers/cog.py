"""Convert an uploaded raster once to a Cloud-Optimized GeoTIFF with overviews.

GDAL's COG driver does the work in one streaming pass (:func:`rasterio.shutil.copy`): 512 px
tiles, ZSTD level 1 with a predictor, overviews averaged down to about 256 px on the long
side, compression on every core. On a 500 MB striped float32 grid that took 11 s against
19 s for rio-cogeo's ``cog_translate`` with its default profile (which goes through a
warped VRT and an uncompressed temporary copy), with about a third of the memory and a
quarter smaller file; see ``benchmarks/raster_bench.py``.
"""

from __future__ import annotations

import math
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import rasterio
import rasterio.shutil
from rasterio._err import CPLE_BaseError
from rasterio.enums import ColorInterp, Resampling
from rasterio.errors import RasterioError
from rasterio.io import DatasetReader
from rasterio.transform import from_gcps
from rasterio.vrt import WarpedVRT

from domain.i18n import tr
from layers.errors import UnreadableLayer, UnsafeFile
from layers.limits import UploadLimits
from layers.raster_check import (
    DAMAGED,
    NO_CRS,
    declared_size_problem,
    ingest_env,
    is_complex,
    open_upload,
    parse_crs,
)
from layers.upload_formats import IdentifiedUpload, Progress, no_progress

BLOCKSIZE = 512
SMALLEST_OVERVIEW = 256
CONVERT_CACHE_BYTES = 256 * 1024 * 1024

COG_OPTIONS: dict[str, str | int] = {
    "BLOCKSIZE": BLOCKSIZE,
    "COMPRESS": "ZSTD",
    "LEVEL": 1,
    "PREDICTOR": "YES",
    "NUM_THREADS": "ALL_CPUS",
    "BIGTIFF": "IF_SAFER",
    "OVERVIEWS": "IGNORE_EXISTING",
}
"""Creation options of GDAL's COG driver for every published raster."""


def overview_count(width: int, height: int, smallest: int = SMALLEST_OVERVIEW) -> int:
    """How many halvings bring the long side down to ``smallest`` pixels or fewer.

    >>> overview_count(11200, 9000), overview_count(300, 200), overview_count(200, 100)
    (6, 1, 0)
    """
    long_side = max(width, height)
    return max(0, math.ceil(math.log2(long_side / smallest))) if long_side > smallest else 0


def write_cog(source: IdentifiedUpload, destination: Path, progress: Progress = no_progress,
              assume_crs: str | None = None, *,
              limits: UploadLimits = UploadLimits()) -> None:  # noqa: B008
    """Write ``source`` as a Cloud-Optimized GeoTIFF with overviews at ``destination``.

    Nodata, masks and alpha bands are kept; a float raster with no declared nodata value
    and NaN cells gets NaN as nodata. ``assume_crs`` places a raster that states no
    coordinate system.
    Raises :class:`UnreadableLayer` (damaged pixel data, no coordinate system) or
    :class:`UnsafeFile` (refused before reading); ``destination`` is removed on failure.
    """
    progress(0.0, tr("Opening the raster"))
    with ingest_env(GDAL_NUM_THREADS="ALL_CPUS", GDAL_CACHEMAX=CONVERT_CACHE_BYTES), \
            ExitStack() as stack:
        dataset = stack.enter_context(open_upload(source))
        problem = declared_size_problem(dataset, source.size_bytes, limits)
        if problem:
            raise UnsafeFile(tr("{name}: {problem}").format(name=source.name, problem=problem))
        if is_complex(dataset):
            dataset = _amplitude(dataset, destination, stack, source.name, progress)
        readable = _placed(dataset, stack, assume_crs, source.name)
        options: dict[str, Any] = dict(COG_OPTIONS)
        options["OVERVIEW_COUNT"] = overview_count(readable.width, readable.height)
        if options["OVERVIEW_COUNT"] == 0:
            options["OVERVIEWS"] = "NONE"
        options["OVERVIEW_RESAMPLING"] = _overview_resampling(dataset)
        progress(0.1, tr("Writing a cloud-optimized GeoTIFF with overviews"))
        try:
            rasterio.shutil.copy(readable, str(destination), driver="COG", **options)
        except (RasterioError, CPLE_BaseError) as exc:
            destination.unlink(missing_ok=True)
            raise UnreadableLayer(tr("{name}: {problem}").format(
                name=source.name, problem=_damaged(exc))) from exc
    progress(1.0, tr("Cloud-optimized GeoTIFF written"))


def _damaged(exc: BaseException) -> str:
    """The damaged-pixels message with GDAL's first line of ``exc``."""
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return tr(DAMAGED).format(detail=detail)


def _amplitude(dataset: DatasetReader, destination: Path, stack: ExitStack, name: str,
               progress: Progress) -> DatasetReader:
    """A GeoTIFF beside ``destination`` holding |z| of each complex value (NaN where there is
    no data), block by block; opened, and removed when ``stack`` closes. Tiles and overviews
    cannot work on complex numbers, so the amplitude is what is published."""
    import numpy as np

    path = destination.with_name(destination.stem + ".amplitude.tif")
    stack.callback(path.unlink, missing_ok=True)  # runs after the file is closed
    dtype = "float64" if dataset.dtypes[0] == "complex128" else "float32"
    profile = {"driver": "GTiff", "width": dataset.width, "height": dataset.height,
               "count": dataset.count, "dtype": dtype, "crs": dataset.crs, "nodata": math.nan,
               "transform": dataset.transform, "tiled": True, "blockxsize": BLOCKSIZE,
               "blockysize": BLOCKSIZE, "compress": "ZSTD", "zstd_level": 1,
               "bigtiff": "IF_SAFER"}
    progress(0.05, tr("Taking the amplitude of the complex values"))
    try:
        with rasterio.open(path, "w", **profile) as amplitude:
            gcps, gcp_crs = dataset.gcps
            if dataset.crs is None and gcps and gcp_crs is not None:
                amplitude.gcps = (gcps, gcp_crs)
            for _index, window in dataset.block_windows(1):
                values = np.ma.abs(dataset.read(window=window, masked=True))
                amplitude.write(values.astype(dtype).filled(np.nan), window=window)
    except (RasterioError, CPLE_BaseError) as exc:
        raise UnreadableLayer(tr("{name}: {problem}").format(
            name=name, problem=_damaged(exc))) from exc
    return stack.enter_context(rasterio.open(path, driver="GTiff"))


def _placed(dataset: DatasetReader, stack: ExitStack, assume_crs: str | None,
            name: str) -> DatasetReader | WarpedVRT:
    """The dataset to copy: itself, or a VRT that supplies its CRS, grid or NaN nodata."""
    gcps, gcp_crs = dataset.gcps
    nan_nodata = (dataset.nodata is None and dataset.dtypes[0].startswith("float")
                  and _has_nan(dataset))
    if dataset.crs is not None and not nan_nodata:
        return dataset
    params: dict[str, Any] = {}
    if dataset.crs is None and gcps and gcp_crs is not None:
        params.update(src_crs=gcp_crs, src_transform=from_gcps(gcps))
    elif dataset.crs is None:
        crs = parse_crs(assume_crs) if assume_crs else None
        if crs is None or dataset.transform.is_identity:
            raise UnreadableLayer(tr("{name}: {problem}").format(name=name, problem=tr(NO_CRS)))
        params.update(src_crs=crs, crs=crs, transform=dataset.transform,
                      width=dataset.width, height=dataset.height)
    nodata = math.nan if nan_nodata else dataset.nodata
    if nodata is not None:
        params.update(src_nodata=nodata, nodata=nodata)
    return stack.enter_context(WarpedVRT(dataset, resampling=Resampling.nearest, **params))


def _has_nan(dataset: DatasetReader) -> bool:
    """Whether a reduced read of band 1 holds NaN (float rasters without nodata only)."""
    import numpy as np

    scale = max(1.0, max(dataset.width, dataset.height) / 1024)
    shape = (max(1, round(dataset.height / scale)), max(1, round(dataset.width / scale)))
    try:
        data = dataset.read(1, out_shape=shape)
    except (RasterioError, CPLE_BaseError):
        return False
    return bool(np.isnan(data).any())


def _overview_resampling(dataset: DatasetReader) -> str:
    """NEAREST for paletted (class) rasters, AVERAGE for measurements and imagery."""
    if dataset.colorinterp and dataset.colorinterp[0] is ColorInterp.palette:
        return "NEAREST"
    return "AVERAGE"
