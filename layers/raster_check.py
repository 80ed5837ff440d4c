"""Pre-flight check of an uploaded raster (GeoTIFF, COG, zipped SRTM ``.hgt``).

:func:`check_raster` says, before anything is stored, what a raster holds and whether it can
be published: size, bands, data type, nodata, statistics, a suggested stretch and colour map,
whether it is already a Cloud-Optimized GeoTIFF, its coordinate system and where it lies.

Reading is guarded: every open names the one GDAL driver the upload's format allows (a VRT
renamed ``.tif`` is refused by GDAL itself), paths must be local files (or ``/vsizip/`` into
one), the declared dimensions are checked against the limits before a pixel is read, and
statistics come from a reduced read (``out_shape`` about 1024 px on the long side, which GDAL
serves from overviews when the file has them), never the full array.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import rasterio
from pyproj import CRS as ProjCRS
from pyproj.exceptions import CRSError as ProjCRSError
from rasterio._err import CPLE_BaseError
from rasterio.crs import CRS
from rasterio.enums import ColorInterp, Interleaving, Resampling
from rasterio.errors import RasterioError
from rasterio.io import DatasetReader
from rasterio.transform import array_bounds, from_gcps
from rasterio.warp import transform_bounds
from rasterio.windows import Window

from domain.bbox import Bounds
from domain.i18n import N_, tr
from layers.crs_guess import crs_candidates
from layers.errors import UnreadableLayer, UnsafeFile, UnsupportedFormat
from layers.limits import MIB, UploadLimits
from layers.preflight_report import BandStats, PreflightReport, RasterReport
from layers.upload_formats import FileFormat, IdentifiedUpload, LayerKind, Progress, no_progress

DRIVERS: dict[FileFormat, str] = {FileFormat.GEOTIFF: "GTiff", FileFormat.SRTM_HGT: "SRTMHGT"}
"""The one GDAL driver each raster format may be opened with."""

INGEST_CONFIG: dict[str, str] = {
    # No directory listing and no sidecar files (.aux.xml, .ovr, .msk) beside the upload.
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_PAM_ENABLED": "NO",
    # Belt and braces against network access: no /vsicurl/ request can match this suffix.
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".permitmap-no-network",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_TIMEOUT": "1",
}
"""GDAL settings for every read of an upload."""

STATS_LONG_SIDE = 1024
MAX_STATS_BANDS = 16
PROBE_BLOCKS = 9
MAX_PROBE_BLOCK_BYTES = 64 * 1024 * 1024
ELEVATION_RANGE = (-500.0, 9000.0)

DAMAGED = N_("The pixel data is damaged: the file's header is readable but its image data "
           "could not be decoded ({detail}). Re-export the file from the software that made "
           "it and upload it again.")
ALL_NODATA = N_("Every pixel is marked as no data{value}, so nothing would draw on the map. "
              "Check the nodata setting in the software that made the file, or re-export it.")
NO_CRS = N_("The file has no coordinate system, so it cannot be placed on the map. Choose the "
          "one the data provider states (likely candidates are listed), or re-export the file "
          "with its coordinate system.")


@dataclass(frozen=True)
class _Sample:
    """Reduced-read statistics of the bands, and whether NaN stood in for nodata."""

    stats: list[BandStats]
    nan_as_nodata: bool
    full_resolution: bool


def ingest_env(**extra: str | int) -> rasterio.Env:
    """A rasterio environment with :data:`INGEST_CONFIG` and any extra settings."""
    return rasterio.Env(**INGEST_CONFIG, **extra)


def require_local(source: IdentifiedUpload) -> None:
    """Raise :class:`UnsafeFile` unless ``gdal_path`` is a local file or a zip entry in one."""
    inner = source.gdal_path.removeprefix("/vsizip/")
    if (inner.startswith(("/vsi", "{")) or "://" in inner or not inner
            or source.gdal_path.startswith("vrt:")):
        raise UnsafeFile(tr("{name}: only files on this server are read, not {path}.")
                         .format(name=source.name, path=repr(source.gdal_path)))


@contextmanager
def open_upload(source: IdentifiedUpload) -> Iterator[DatasetReader]:
    """Open an upload with the one driver its format allows.

    Raises :class:`UnsupportedFormat` for a non-raster format, :class:`UnsafeFile` for a
    non-local path and :class:`UnreadableLayer` when GDAL cannot open it with that driver.
    """
    driver = DRIVERS.get(source.format)
    if driver is None:
        raise UnsupportedFormat(tr("{name}: {format} is not a raster format.").format(
            name=source.name, format=source.format.label))
    require_local(source)
    try:
        dataset = rasterio.open(source.gdal_path, driver=driver)
    except (RasterioError, CPLE_BaseError) as exc:
        raise UnreadableLayer(
            tr("{name} could not be opened as a {format}: {detail}. It may be damaged, or "
               "another kind of file with a raster's name.").format(
                name=source.name, format=source.format.label, detail=_gdal_detail(exc))) from exc
    try:
        yield dataset
    finally:
        dataset.close()


def declared_size_problem(dataset: DatasetReader, file_bytes: int,
                          limits: UploadLimits) -> str | None:
    """Why the declared dimensions are refused before any pixel is read, or None."""
    pixels = dataset.width * dataset.height
    if pixels > limits.max_raster_pixels:
        return tr("The file declares {width} × {height} pixels ({pixels} per band), over "
                  "the limit of {limit}; it was not read.").format(
            width=f"{dataset.width:,}", height=f"{dataset.height:,}", pixels=f"{pixels:,}",
            limit=f"{limits.max_raster_pixels:,}")
    itemsize = max(item_bytes(d) for d in dataset.dtypes)
    declared = pixels * dataset.count * itemsize
    if declared > limits.max_unzipped_bytes and declared > limits.max_zip_ratio * max(
            file_bytes, 1):
        return tr("The file declares {gigabytes} GB of pixel data in {kilobytes} kB, more "
                  "than {ratio} times its size: refused as a possible decompression bomb; it "
                  "was not read.").format(gigabytes=f"{declared / 1e9:,.1f}",
                                          kilobytes=f"{file_bytes / 1e3:,.0f}",
                                          ratio=f"{limits.max_zip_ratio:.0f}")
    block = largest_block_bytes(dataset)
    if block > limits.max_block_bytes:
        height, width = max(dataset.block_shapes, key=lambda shape: shape[0] * shape[1])
        whole = height >= dataset.height and width >= dataset.width
        where = tr("in one block") if whole else tr(
            "in blocks of {width} × {height} pixels").format(width=f"{width:,}",
                                                            height=f"{height:,}")
        return tr("The file stores its pixels {where} of {size} MB; save it tiled (e.g. "
                  "gdal_translate -co TILED=YES) or striped and upload again. Reading any part "
                  "of a block decodes all of it, so blocks may hold up to {limit} MB; it was "
                  "not read.").format(where=where, size=_megabytes(block),
                                      limit=_megabytes(limits.max_block_bytes))
    return None


def _megabytes(size: int) -> str:
    """A size in MB for messages: one decimal below 10 MB.

    >>> _megabytes(2_250_000), _megabytes(1_600_000_000)
    ('2.1', '1,526')
    """
    megabytes = size / MIB
    return f"{megabytes:,.1f}" if megabytes < 10 else f"{megabytes:,.0f}"


def largest_block_bytes(dataset: DatasetReader) -> int:
    """Bytes GDAL decodes at once for the largest block: one band's block, or every band's
    when the bands are interleaved by pixel (stored together in each block)."""
    sizes = [height * width * item_bytes(dtype)
             for (height, width), dtype in zip(dataset.block_shapes, dataset.dtypes, strict=True)]
    if dataset.count > 1 and dataset.interleaving is Interleaving.pixel:
        return sum(sizes)
    return max(sizes, default=0)


def crs_code(crs: CRS) -> str:
    """``EPSG:5070``, ``IGNF:ETRS89LAEA``, or the WKT when there is no authority code."""
    epsg = crs.to_epsg()
    if epsg is not None:
        return f"EPSG:{epsg}"
    authority = crs.to_authority()
    return f"{authority[0]}:{authority[1]}" if authority else crs.to_wkt()


def crs_name(crs: CRS) -> str | None:
    """The coordinate system's name, e.g. ``NAD83 / Conus Albers``."""
    for text in (crs_code(crs), crs.to_wkt()):
        try:
            name = str(ProjCRS.from_user_input(text).name)
        except ProjCRSError:
            continue
        if name and name != "unknown":
            return name
    return None


def parse_crs(text: str) -> CRS | None:
    """A coordinate system from ``EPSG:32611``, ``32611`` or WKT; None when unknown."""
    value = text.strip()
    if value.isdigit():
        value = f"EPSG:{value}"
    try:
        return CRS.from_user_input(value)
    except (RasterioError, CPLE_BaseError, ValueError):
        return None


def bounds_4326(crs: CRS, bounds: Bounds) -> Bounds | None:
    """``bounds`` in ``crs`` as longitude/latitude, or None when they do not transform."""
    try:
        west, south, east, north = transform_bounds(crs, "EPSG:4326", *bounds,
                                                    densify_pts=21)
    except (RasterioError, CPLE_BaseError, ValueError):
        return None
    values = (float(west), float(south), float(east), float(north))
    return values if all(math.isfinite(v) for v in values) else None


def _within(bounds: tuple[float, float, float, float],
            box: tuple[float, float, float, float]) -> bool:
    """Whether ``bounds`` lie inside ``box`` (both west, south, east, north)."""
    west, south, east, north = bounds
    return box[0] <= west and east <= box[2] and box[1] <= south and north <= box[3]


def is_rgb_imagery(dataset: DatasetReader) -> bool:
    """Three or four byte bands: a photo or map image shown as colour, not a ramp."""
    return dataset.count in (3, 4) and all(d == "uint8" for d in dataset.dtypes[:3])


def item_bytes(dtype: str) -> int:
    """Bytes per pixel of a band type; rasterio names CInt16 ``complex_int16``, which NumPy
    does not know.

    >>> item_bytes("complex_int16"), item_bytes("float32")
    (4, 4)
    """
    return 4 if dtype == "complex_int16" else np.dtype(dtype).itemsize


def is_complex(dataset: DatasetReader) -> bool:
    """Whether the bands hold complex numbers (CInt16, CInt32, CFloat32, CFloat64)."""
    return dataset.dtypes[0].startswith("complex")


def check_raster(source: IdentifiedUpload, limits: UploadLimits = UploadLimits(),  # noqa: B008
                 progress: Progress = no_progress,
                 assume_crs: str | None = None) -> PreflightReport:
    """What ``source`` holds and whether it can be published; never raises for bad content."""
    report = PreflightReport(file_name=source.name, format=str(source.format),
                             kind=LayerKind.RASTER, size_bytes=source.size_bytes,
                             checksum=source.checksum, notes=list(source.notes))
    progress(0.0, tr("Opening the raster"))
    try:
        with ingest_env(), open_upload(source) as dataset:
            _check_open(dataset, source, limits, progress, assume_crs, report)
    except (UnsafeFile, UnsupportedFormat, UnreadableLayer) as exc:
        report.errors.append(str(exc))
    progress(1.0, tr("Raster checked"))
    return report


def _check_open(dataset: DatasetReader, source: IdentifiedUpload, limits: UploadLimits,
                progress: Progress, assume_crs: str | None, report: PreflightReport) -> None:
    raster = RasterReport(width=dataset.width, height=dataset.height,
                          band_count=dataset.count, dtype=dataset.dtypes[0],
                          nodata=dataset.nodata, crs=None, crs_name=None, bounds=None,
                          is_cog=False)
    report.raster = raster
    problem = declared_size_problem(dataset, source.size_bytes, limits)
    if problem:
        report.errors.append(problem)
        return
    if is_complex(dataset):
        raster.amplitude_of_complex = True
        report.notes.append(tr(
            "The bands hold complex numbers ({dtype}), as radar and InSAR products do; the "
            "layer shows their amplitude (|z|, the size of each value) as decimal numbers. The "
            "phase is not kept: keep the original file for interferometry.").format(
            dtype=dataset.dtypes[0]))
    if len(set(dataset.dtypes)) > 1:
        report.warnings.append(tr("The bands have different data types ({dtypes}).").format(
            dtypes=", ".join(sorted(set(dataset.dtypes)))))
    _place(dataset, assume_crs, raster, report)
    progress(0.2, tr("Checking the pixel data"))
    damage = _probe_blocks(dataset)
    if damage:
        report.errors.append(tr(DAMAGED).format(detail=damage))
        return
    progress(0.4, tr("Reading statistics from a reduced copy"))
    try:
        sample = _sample_stats(dataset)
    except (RasterioError, CPLE_BaseError) as exc:
        report.errors.append(tr(DAMAGED).format(detail=_gdal_detail(exc)))
        return
    raster.stats = sample.stats
    if sample.nan_as_nodata:
        raster.nodata = math.nan
        report.notes.append(tr("No nodata value is declared; the NaN (not-a-number) cells "
                               "are treated as no data."))
    _judge_nodata(dataset, sample, raster, report)
    _suggest_style(dataset, source, raster)
    progress(0.8, tr("Checking whether it is already cloud-optimized"))
    raster.is_cog = _is_cog(source) and not raster.amplitude_of_complex
    if not raster.is_cog:
        report.notes.append(tr("Not yet a cloud-optimized GeoTIFF: it will be converted "
                               "once when published."))


def _place(dataset: DatasetReader, assume_crs: str | None, raster: RasterReport,
           report: PreflightReport) -> None:
    """Fill the coordinate system and bounds, or the error and the candidates."""
    crs = dataset.crs
    native_bounds = tuple(dataset.bounds)
    gcps, gcp_crs = dataset.gcps
    if crs is None and gcps and gcp_crs is not None:
        crs = gcp_crs
        native_bounds = array_bounds(dataset.height, dataset.width, from_gcps(gcps))
        native_bounds = (native_bounds[0], native_bounds[1], native_bounds[2], native_bounds[3])
        report.notes.append(tr("Placed by {n} ground control points; it will be warped to "
                               "a regular grid when published.").format(n=len(gcps)))
    georeferenced = crs is not None or not dataset.transform.is_identity
    if not georeferenced:
        report.errors.append(tr("The file has no georeferencing: neither a coordinate "
                                "system nor the position of its pixels. Re-export it as a "
                                "GeoTIFF with its coordinates (a world file beside it is not "
                                "read)."))
        return
    if crs is not None and assume_crs and parse_crs(assume_crs) != crs:
        report.warnings.append(tr("The file states its own coordinate system ({crs}); the "
                                  "one chosen ({chosen}) was not used.").format(
            crs=crs_code(crs), chosen=assume_crs))
    if crs is None and assume_crs:
        crs = parse_crs(assume_crs)
        if crs is None:
            report.errors.append(tr("{code} is not a coordinate system code we know; give "
                                    "an EPSG code such as EPSG:32611.").format(
                code=repr(assume_crs)))
            return
        report.notes.append(tr("No coordinate system in the file; using {crs} as chosen.")
                            .format(crs=crs_code(crs)))
    if crs is None:
        report.errors.append(tr(NO_CRS))
        raster.crs_candidates = crs_candidates(native_bounds)
        return
    raster.crs = crs_code(crs)
    raster.crs_name = crs_name(crs)
    raster.bounds = bounds_4326(crs, native_bounds)
    if raster.bounds is None:
        report.errors.append(tr("The raster's corners do not convert from {crs} to "
                                "longitude and latitude: the coordinate system is probably "
                                "wrong.").format(crs=raster.crs))
    elif not _within(raster.bounds, (-180.5, -90.5, 180.5, 90.5)):
        report.warnings.append(tr("The raster reaches beyond the world's edges in {crs}; the "
                                  "coordinate system may be wrong.").format(crs=raster.crs))


def _probe_blocks(dataset: DatasetReader) -> str | None:
    """Decode a few full-resolution blocks spread over the raster; what failed, or None."""
    block_h, block_w = dataset.block_shapes[0]
    block_bytes = block_h * block_w * dataset.count * item_bytes(dataset.dtypes[0])
    if block_bytes > MAX_PROBE_BLOCK_BYTES:
        return None
    rows = math.ceil(dataset.height / block_h)
    cols = math.ceil(dataset.width / block_w)
    total = rows * cols
    picks = sorted({round(i * (total - 1) / (PROBE_BLOCKS - 1)) for i in range(PROBE_BLOCKS)})
    for index in picks:
        row, col = divmod(index, cols)
        window = Window(col * block_w, row * block_h,
                        min(block_w, dataset.width - col * block_w),
                        min(block_h, dataset.height - row * block_h))
        try:
            dataset.read(window=window)
        except (RasterioError, CPLE_BaseError) as exc:
            return tr("block at row {row}, column {column}: {detail}").format(
                row=f"{row * block_h:,}", column=f"{col * block_w:,}",
                detail=_gdal_detail(exc))
    return None


def _sample_stats(dataset: DatasetReader) -> _Sample:
    scale = max(dataset.width, dataset.height) / STATS_LONG_SIDE
    full = scale <= 1
    out_h = dataset.height if full else max(1, round(dataset.height / scale))
    out_w = dataset.width if full else max(1, round(dataset.width / scale))
    amplitude = is_complex(dataset)
    is_float = dataset.dtypes[0].startswith("float") or amplitude
    nan_as_nodata = False
    stats = []
    for band in dataset.indexes[:MAX_STATS_BANDS]:
        data = dataset.read(band, out_shape=(out_h, out_w), masked=True,
                            resampling=Resampling.nearest)
        if amplitude:
            data = np.ma.abs(data)  # statistics of what will be drawn
        mask = np.ma.getmaskarray(data)
        if is_float:
            invalid = ~np.isfinite(data.data)
            if dataset.nodata is None and bool((invalid & ~mask).any()):
                nan_as_nodata = True
            mask = mask | invalid
        valid = data.data[~mask].astype(np.float64)
        stats.append(_band_stats(band, valid, mask.size))
    return _Sample(stats, nan_as_nodata, full)


def _band_stats(band: int, valid: np.ndarray, total: int) -> BandStats:
    if valid.size == 0:
        return BandStats(band, None, None, None, None, None, None, 0.0)
    p2, p98 = np.percentile(valid, [2, 98])
    return BandStats(band=band, minimum=float(valid.min()), maximum=float(valid.max()),
                     mean=float(valid.mean()), std=float(valid.std()), p2=float(p2),
                     p98=float(p98), valid_fraction=valid.size / total)


def _judge_nodata(dataset: DatasetReader, sample: _Sample, raster: RasterReport,
                  report: PreflightReport) -> None:
    if sample.stats and all(s.valid_fraction == 0 for s in sample.stats):
        value = "" if raster.nodata is None else tr(" (nodata value {value})").format(
            value=f"{raster.nodata:g}")
        if not sample.full_resolution:
            value += tr(" in a reduced read of the whole raster")
        report.errors.append(tr(ALL_NODATA).format(value=value))
        return
    first = sample.stats[0] if sample.stats else None
    if first is not None and 0 < first.valid_fraction < 0.01:
        report.warnings.append(tr("Only {share} of the pixels hold data; the rest is marked "
                                  "as no data.").format(share=f"{first.valid_fraction:.2%}"))
    if dataset.count > MAX_STATS_BANDS:
        report.notes.append(tr("Statistics are given for the first {n} of {total} bands.")
                            .format(n=MAX_STATS_BANDS, total=dataset.count))


def _suggest_style(dataset: DatasetReader, source: IdentifiedUpload, raster: RasterReport) -> None:
    first = raster.stats[0] if raster.stats else None
    if is_rgb_imagery(dataset):
        raster.suggested_stretch = None
        raster.suggested_colormap = None
        return
    if first is not None and first.p2 is not None and first.p98 is not None:
        if first.p2 < first.p98:
            raster.suggested_stretch = (first.p2, first.p98)
        elif first.minimum is not None and first.maximum is not None \
                and first.minimum < first.maximum:
            raster.suggested_stretch = (first.minimum, first.maximum)
    dtype = dataset.dtypes[0]
    interp = dataset.colorinterp[0] if dataset.colorinterp else ColorInterp.undefined
    if interp is ColorInterp.palette:
        raster.suggested_colormap = None
        raster.suggested_stretch = None
    elif raster.amplitude_of_complex:
        raster.suggested_colormap = "gray"  # radar amplitude is read as a grey image
    elif source.format is FileFormat.SRTM_HGT or _elevation_like(dataset, first):
        raster.suggested_colormap = "terrain"
    elif dtype == "uint8" and dataset.count == 1:
        raster.suggested_colormap = "gray"
    else:
        raster.suggested_colormap = "viridis"


def _elevation_like(dataset: DatasetReader, first: BandStats | None) -> bool:
    words = " ".join(str(w) for w in (*dataset.descriptions, *dataset.units) if w).lower()
    if any(word in words for word in ("elev", "height", "dem", "altitude", "topo")):
        return True
    if dataset.dtypes[0] != "int16" or first is None or first.minimum is None:
        return False
    low, high = ELEVATION_RANGE
    return low <= first.minimum and first.maximum is not None and first.maximum <= high


def _is_cog(source: IdentifiedUpload) -> bool:
    if source.format is not FileFormat.GEOTIFF:
        return False
    from rio_cogeo.cogeo import cog_validate

    try:
        valid, _errors, _warnings = cog_validate(source.gdal_path, quiet=True)
    except (RasterioError, CPLE_BaseError, ValueError, KeyError, IndexError):
        return False
    return bool(valid)


def _gdal_detail(exc: BaseException) -> str:
    """GDAL's message, shortened to its first line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
