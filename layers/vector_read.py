"""Read an identified vector upload into checked EPSG:4326 layers and a pre-flight report.

Problems in the file's contents never raise: they become ``report.errors`` (what is wrong and
what to do) or warnings. Reading is pyogrio with Arrow (GeoParquet through geopandas, tables
through :mod:`layers.table_layers`); checks are vectorised in :mod:`layers.vector_checks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

import geopandas as gpd
import pandas as pd
from pyproj import CRS
from pyproj.exceptions import CRSError

from domain.i18n import tr
from layers import vector_layers
from layers.crs_guess import WEB_MERCATOR, crs_candidates
from layers.gdal_safety import assert_vector_drivers_safe
from layers.limits import UploadLimits
from layers.preflight_report import PreflightReport
from layers.upload_formats import FileFormat, IdentifiedUpload, LayerKind, Progress, no_progress
from layers.vector_checks import FAMILY_WORDS, check_layer, split_families
from layers.vector_layers import RawLayer

LONLAT_BY_SPEC = (FileFormat.GEOJSON, FileFormat.TOPOJSON, FileFormat.KML, FileFormat.KMZ,
                  FileFormat.GPX)  # formats whose coordinates are WGS 84 when none is stated
MERGED_FORMATS = {FileFormat.KML: "folder", FileFormat.KMZ: "folder", FileFormat.GPX: "layer"}


@dataclass(frozen=True)
class VectorOptions:
    """What the user chose on the upload page (defaults: read what the file offers)."""

    layers: tuple[str, ...] | None = None  # layer names inside the file; None = default choice
    assume_crs: str | None = None  # the user's choice when the file states no CRS
    repair_invalid: bool = True  # make_valid invalid geometries (counts reported either way)
    drop_out_of_range: bool = False  # publish without the features that cannot be drawn:
    # coordinates out of range, or a geometry that cannot be built (e.g. a ring of 2 points)
    coordinate_columns: tuple[str, str] | None = None  # a table's (x, y) columns to read


DEFAULT_OPTIONS = VectorOptions()
DEFAULT_LIMITS = UploadLimits()


@dataclass
class PreparedLayer:
    """One publishable layer of a single geometry family, in EPSG:4326."""

    name: str  # suggested display name, e.g. "coutwildrnp" or "KML_Samples (lines)"
    source_layer: str  # layer inside the file ("" for single-layer files and merged KML/GPX)
    geometry_type: str  # "Point", "LineString" or "Polygon" (multi types included)
    frame: gpd.GeoDataFrame
    original_crs: str  # e.g. "EPSG:4269", or the user's assumed CRS


@dataclass
class VectorReading:
    """The pre-flight report and, when it has no errors, the layers to publish."""

    report: PreflightReport
    layers: list[PreparedLayer] = field(default_factory=list)


@dataclass
class _Checked:
    """A source layer after the checks."""

    raw: RawLayer
    frame: gpd.GeoDataFrame
    crs: str


def read_vector(
    source: IdentifiedUpload,
    options: VectorOptions = DEFAULT_OPTIONS,
    limits: UploadLimits = DEFAULT_LIMITS,
    progress: Progress = no_progress,
) -> VectorReading:
    """Read, check and reproject a vector upload; never raises for problems in its contents.

    Parameters: ``options`` carries the user's choices (layers, assumed CRS, repair, drop);
    ``progress`` is called with a fraction and words at a few points.
    """
    report = PreflightReport(
        file_name=source.name,
        format=source.format.value,
        kind=LayerKind.VECTOR,
        size_bytes=source.size_bytes,
        checksum=source.checksum,
        notes=list(source.notes),
    )
    if source.kind is not LayerKind.VECTOR:
        report.errors.append(tr("{name} is a raster ({format}), not vector features; it is "
                                "read by the raster upload.").format(
            name=source.name, format=source.format.label))
        return VectorReading(report)
    assert_vector_drivers_safe()
    progress(0.05, tr("Listing layers…"))
    raws = vector_layers.read_layers(source, options.layers, limits, report, progress,
                                     options.coordinate_columns)
    progress(0.6, tr("Checking geometries…"))
    checked = [c for raw in raws if (c := _check(source, raw, options, report)) is not None]
    progress(0.9, tr("Preparing layers…"))
    prepared = _prepare(source, checked, report) if report.ok else []
    progress(1.0, tr("Done"))
    return VectorReading(report, prepared if report.ok else [])


def _check(
    source: IdentifiedUpload, raw: RawLayer, options: VectorOptions, report: PreflightReport
) -> _Checked | None:
    """Resolve the layer's CRS, run the checks and record what they found."""
    crs = _resolve_crs(source, raw, options, report)
    if crs is None:
        return None
    frame = raw.frame.set_crs(crs, allow_override=True)
    result = check_layer(frame, raw.report, raw.label, repair_invalid=options.repair_invalid,
                         drop_out_of_range=options.drop_out_of_range, broken=raw.broken)
    report.warnings += result.warnings
    report.errors += result.errors
    return _Checked(raw, result.frame, raw.report.crs or crs)


def _resolve_crs(
    source: IdentifiedUpload, raw: RawLayer, options: VectorOptions, report: PreflightReport
) -> str | None:
    """The layer's CRS: stated, assumed by the user, or lon/lat for a table; else an error."""
    if raw.frame.crs is not None:
        return raw.frame.crs.to_string()
    if source.format in LONLAT_BY_SPEC:
        raw.report.crs, raw.report.crs_name = "EPSG:4326", "WGS 84"
        return "EPSG:4326"
    if options.assume_crs:
        try:
            crs = CRS.from_user_input(options.assume_crs)
        except CRSError:
            report.errors.append(tr("{code} is not a coordinate system we know; choose one "
                                    "of the EPSG codes offered, e.g. EPSG:32611.").format(
                code=repr(options.assume_crs)))
            return None
        raw.report.crs, raw.report.crs_name = options.assume_crs, crs.name
        report.warnings.append(tr("{label} states no coordinate system; {code} ({crs}) was "
                                  "assumed as you chose.").format(
            label=raw.label, code=options.assume_crs, crs=crs.name))
        return options.assume_crs
    bounds = _native_bounds(raw.frame)
    candidates = crs_candidates(bounds)
    raw.report.crs_candidates = candidates
    is_table = source.format in (FileFormat.CSV, FileFormat.EXCEL)
    if is_table and candidates and candidates[0].code == "EPSG:4326":
        raw.report.crs, raw.report.crs_name = "EPSG:4326", "WGS 84"
        report.notes.append(tr("{label}: coordinates read as longitude/latitude (WGS 84).")
                            .format(label=raw.label))
        return "EPSG:4326"
    if is_table and [c.code for c in candidates] == [WEB_MERCATOR]:
        raw.report.crs, raw.report.crs_name = WEB_MERCATOR, candidates[0].name
        report.notes.append(tr("{label}: the X/Y values are in the range of web-map metres "
                               "and fit no regional system; read as {code} ({crs}). If that "
                               "is wrong, choose the system.").format(
            label=raw.label, code=WEB_MERCATOR, crs=candidates[0].name))
        return WEB_MERCATOR
    likely = ", ".join(f"{c.code} ({c.name}, {c.where})" for c in candidates[:4])
    hint = tr(" Likely: {likely}.").format(likely=likely) if likely else ""
    report.errors.append(tr(
        "{label} has no coordinate system; choose one.{hint} If yours is not listed, enter "
        "the EPSG code your data were exported in (a Shapefile's .prj file says it).").format(
        label=raw.label, hint=hint))
    return None


def _native_bounds(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """Bounds of the non-empty geometries in the file's own units."""
    geometry = frame.geometry[~(frame.geometry.isna() | frame.geometry.is_empty)]
    minx, miny, maxx, maxy = (float(v) for v in geometry.total_bounds)
    return minx, miny, maxx, maxy


def _prepare(
    source: IdentifiedUpload, checked: list[_Checked], report: PreflightReport
) -> list[PreparedLayer]:
    """Group checked layers (KML/GPX merged), split mixed types and name the results."""
    stem = PurePosixPath(source.name).stem
    merge_column = MERGED_FORMATS.get(source.format)
    groups: list[tuple[str, str, gpd.GeoDataFrame, str]] = []
    if merge_column and checked:
        frames = [c.frame.assign(**{merge_column: c.raw.name}) for c in checked]
        merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
        groups.append((stem, "", merged, checked[0].crs))
    for item in [] if merge_column else checked:
        single = len(report.layers) == 1
        name = stem if single else item.raw.name
        groups.append((name, "" if single else item.raw.name, item.frame, item.crs))
    prepared = []
    for name, layer, frame, crs in groups:
        families = split_families(_geometry_named(frame))
        if len(families) > 1:
            report.notes.append(tr(
                "{name} mixes geometry types; it is split into {n} layers: {families}.").format(
                name=name, n=len(families),
                families=", ".join(tr(FAMILY_WORDS[f]) for f in families)))
        for family, part in families.items():
            title = f"{name} ({FAMILY_WORDS[family]})" if len(families) > 1 else name
            frame_part = part.reset_index(drop=True)
            prepared.append(PreparedLayer(title, layer, family, frame_part, crs))
    return prepared


def _geometry_named(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame with its geometry column called ``geometry`` (when that name is free)."""
    name = frame.geometry.name
    if name == "geometry" or "geometry" in frame.columns:
        return frame
    return frame.rename_geometry("geometry")
