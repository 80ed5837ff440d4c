"""Vectorised geometry checks on one layer: empties, validity, range, antimeridian, families.

Everything runs on whole shapely arrays; only the few features that wrap around the
antimeridian go through Python one by one (the ``antimeridian`` package fixes them).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from domain.i18n import N_, ntr, tr
from layers.meridian_split import spanning_half_the_world, split_where_wrapping
from layers.preflight_report import VectorLayerReport
from layers.table_text import column_keys

WGS84 = "EPSG:4326"
MAX_EXAMPLES = 5
MAX_OUT_OF_RANGE = 10
TOLERANCE = 1e-6  # degrees: 180.00000000000006 from rounding is not out of range
LABEL_KEYS = ("name", "id", "site_id", "site_name", "title", "label", "fid", "objectid")
FAMILIES = {0: "Point", 4: "Point", 1: "LineString", 2: "LineString", 5: "LineString",
            3: "Polygon", 6: "Polygon"}  # fmt: skip
FAMILY_WORDS = {"Point": N_("points"), "LineString": N_("lines"), "Polygon": N_("polygons")}
_SHAPELY_TYPES = ("Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                  "MultiLineString", "MultiPolygon", "GeometryCollection")  # fmt: skip


@dataclass
class CheckResult:
    """A layer in EPSG:4326 ready to split, with what the checks found, in words."""

    frame: gpd.GeoDataFrame
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def check_layer(
    frame: gpd.GeoDataFrame,
    report: VectorLayerReport,
    label: str,
    *,
    repair_invalid: bool,
    drop_out_of_range: bool,
    broken: dict[int, str] | None = None,
) -> CheckResult:
    """Check a layer whose CRS is set; fill ``report`` and return the EPSG:4326 frame.

    Parameters: ``label`` names the layer in messages ("survey.gpkg, layer 'roads'");
    ``broken`` maps rows (0-based) whose geometry GEOS could not build to why.
    Null and empty geometries are dropped; invalid ones repaired when ``repair_invalid``.
    Features that cannot be drawn (out of range, not buildable, collapsed by the repair)
    are an error, or left out when ``drop_out_of_range``.
    """
    result = CheckResult(frame)
    positions = np.arange(1, len(frame) + 1)  # 1-based feature numbers in the file
    geoms = np.asarray(frame.geometry.array, dtype=object)
    why = np.full(len(frame), "", dtype=object)
    for row, reason in (broken or {}).items():
        why[row] = reason
    unbuilt = why != ""
    empty = (shapely.is_missing(geoms) | shapely.is_empty(geoms)) & ~unbuilt
    report.empty_count = int(empty.sum())
    report.feature_count = len(frame)
    if report.empty_count:
        examples = "; ".join(feature_labels(frame[empty].iloc[:3], positions[empty][:3]))
        result.warnings.append(ntr(
            "{label}: {n} of {total} features has no geometry (null or empty; e.g. "
            "{examples}); it is left out when the layer is published.",
            "{label}: {n} of {total} features have no geometry (null or empty; e.g. "
            "{examples}); they are left out when the layer is published.",
            report.empty_count).format(label=label, n=f"{report.empty_count:,}",
                                       total=f"{len(frame):,}", examples=examples))
    frame, positions, geoms = frame[~empty], positions[~empty], geoms[~empty]
    why, unbuilt = why[~empty], unbuilt[~empty]
    report.geometry_types = _type_counts(geoms)
    faults = geoms
    geoms = _validity(frame, geoms, positions, report, label, result, repair_invalid)
    collapsed = shapely.is_empty(geoms)  # only the repair can empty a geometry here
    why[collapsed] = [_fault_words(r) for r in shapely.is_valid_reason(faults[collapsed])]
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    frame, positions = _undrawable(frame, positions, unbuilt | collapsed, why, report, label,
                                   result, drop_out_of_range)
    frame = _to_wgs84(frame) if not _is_wgs84(frame) else frame
    frame, positions = _range(frame, positions, report, label, result, drop_out_of_range)
    result.frame = _antimeridian(frame, report, label, result)
    return result


def split_families(frame: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """The frame split into points, lines and polygons (collections exploded first)."""
    type_ids = shapely.get_type_id(np.asarray(frame.geometry.array, dtype=object))
    if (type_ids == 7).any():
        collections = frame[type_ids == 7].explode(index_parts=False)
        frame = pd.concat([frame[type_ids != 7], collections]).sort_index(kind="stable")
        type_ids = shapely.get_type_id(np.asarray(frame.geometry.array, dtype=object))
    family = pd.Series(type_ids, index=frame.index).map(FAMILIES).fillna("Other").to_numpy()
    return {name: frame[family == name] for name in FAMILY_WORDS if (family == name).any()}


def feature_labels(frame: pd.DataFrame, positions: np.ndarray) -> list[str]:
    """'feature 12 ("Camp A")' labels for messages, using a name or id column when present."""
    keys = column_keys(c for c in frame.columns if c != frame.geometry.name)
    column = next((keys[k] for k in LABEL_KEYS if k in keys), None)
    labels = [tr("feature {n}").format(n=int(p)) for p in positions]
    if column is None:
        return labels
    values = frame[column].astype("str").to_numpy()
    return [f'{label} ({column} "{value}")' for label, value in zip(labels, values, strict=True)]


def _is_wgs84(frame: gpd.GeoDataFrame) -> bool:
    """Whether the frame is already in EPSG:4326 (nothing to transform)."""
    return frame.crs is not None and frame.crs.to_epsg() == 4326


def _to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame in EPSG:4326: one coordinate pass (2D), with a cached transformer."""
    geoms = np.asarray(frame.geometry.array, dtype=object).copy()
    coords = shapely.get_coordinates(geoms)
    lon, lat = _transformer(frame.crs.to_wkt()).transform(coords[:, 0], coords[:, 1])
    geoms = shapely.set_coordinates(geoms, np.column_stack([lon, lat]))
    return frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=WGS84))


@functools.lru_cache(maxsize=32)
def _transformer(crs_wkt: str) -> Transformer:
    """A transformer from a CRS (as WKT) to longitude/latitude on WGS 84."""
    return Transformer.from_crs(CRS.from_wkt(crs_wkt), WGS84, always_xy=True)


def _type_counts(geoms: np.ndarray) -> dict[str, int]:
    """Geometry type names and how many features have each."""
    ids, counts = np.unique(shapely.get_type_id(geoms), return_counts=True)
    return {_SHAPELY_TYPES[i]: int(n) for i, n in zip(ids, counts, strict=True) if i >= 0}


def _validity(
    frame: gpd.GeoDataFrame,
    geoms: np.ndarray,
    positions: np.ndarray,
    report: VectorLayerReport,
    label: str,
    result: CheckResult,
    repair: bool,
) -> np.ndarray:
    """Count invalid geometries with examples; repair them with make_valid when asked."""
    invalid = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    report.invalid_count = int(invalid.sum())
    if not report.invalid_count:
        return geoms
    where = np.flatnonzero(invalid)[:MAX_EXAMPLES]
    names = feature_labels(frame.iloc[where], positions[where])
    reasons = shapely.is_valid_reason(geoms[where])
    report.invalid_examples = [f"{n}: {r}" for n, r in zip(names, reasons, strict=True)]
    action = (tr("they are repaired (make_valid) before publishing") if repair else
              tr("they are published as they are and may draw wrongly; choose repair to fix"))
    result.warnings.append(ntr(
        "{label}: {n} invalid geometry (e.g. {example}); {action}.",
        "{label}: {n} invalid geometries (e.g. {example}); {action}.",
        report.invalid_count).format(label=label, n=f"{report.invalid_count:,}",
                                     example=report.invalid_examples[0], action=action))
    if repair:
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid], method="structure",
                                            keep_collapsed=False)
    return geoms


def _undrawable(
    frame: gpd.GeoDataFrame,
    positions: np.ndarray,
    unusable: np.ndarray,
    why: np.ndarray,
    report: VectorLayerReport,
    label: str,
    result: CheckResult,
    drop: bool,
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Name the features whose geometry cannot be built or drawn, and why; taken out of the
    frame (an error stops publishing unless the user chose to leave them out)."""
    if not unusable.any():
        return frame, positions
    rows = np.flatnonzero(unusable)
    shown = rows[:MAX_OUT_OF_RANGE]
    labels = feature_labels(frame.iloc[shown], positions[shown])
    report.broken = [f"{name}: {reason}" for name, reason in zip(labels, why[shown],
                                                                 strict=True)]
    more = _more(len(rows) - len(shown)) if len(rows) > len(shown) else ""
    listed = "; ".join(report.broken) + more
    n, count = len(rows), f"{len(rows):,}"
    if drop:
        result.warnings.append(ntr(
            "{label}: {n} feature that cannot be drawn is left out ({listed}).",
            "{label}: {n} features that cannot be drawn are left out ({listed}).",
            n).format(label=label, n=count, listed=listed))
    else:
        result.errors.append(ntr(
            "{label}: {n} feature cannot be drawn, the shape is broken: {listed}. Fix it in "
            "your GIS and export again, or choose to publish without the features that "
            "cannot be drawn.",
            "{label}: {n} features cannot be drawn, the shape is broken: {listed}. Fix them "
            "in your GIS and export again, or choose to publish without the features that "
            "cannot be drawn.",
            n).format(label=label, n=count, listed=listed))
    return frame[~unusable], positions[~unusable]


def _fault_words(reason: str) -> str:
    """GEOS's reason a geometry is invalid, in words, for one that the repair emptied.

    >>> _fault_words("Invalid Coordinate[nan 1]")
    'a position that is not a number'
    """
    if reason.startswith("Invalid Coordinate"):
        return tr("a position that is not a number")
    if reason.startswith("Too few points"):
        return tr("too few distinct positions to make a line or an area")
    return reason


def _range(
    frame: gpd.GeoDataFrame,
    positions: np.ndarray,
    report: VectorLayerReport,
    label: str,
    result: CheckResult,
    drop: bool,
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Flag features outside longitude -180..180 / latitude -90..90 (or not finite)."""
    bounds = shapely.bounds(np.asarray(frame.geometry.array, dtype=object))
    finite = np.isfinite(bounds).all(axis=1)
    inside = finite & (np.abs(bounds[:, [0, 2]]) <= 180 + TOLERANCE).all(axis=1)
    inside &= (np.abs(bounds[:, [1, 3]]) <= 90 + TOLERANCE).all(axis=1)
    frame = _snap_to_range(frame, inside & (np.abs(bounds) > [180, 90, 180, 90]).any(axis=1))
    if inside.any():
        good = np.clip(bounds[inside], [-180, -90, -180, -90], [180, 90, 180, 90])
        report.bounds = (float(good[:, 0].min()), float(good[:, 1].min()),
                         float(good[:, 2].max()), float(good[:, 3].max()))
    if inside.all():
        return frame, positions
    outside = np.flatnonzero(~inside)
    report.out_of_range = feature_labels(frame.iloc[outside[:MAX_OUT_OF_RANGE]],
                                         positions[outside[:MAX_OUT_OF_RANGE]])
    more = _more(len(outside) - MAX_OUT_OF_RANGE) if len(outside) > 10 else ""
    listed = "; ".join(report.out_of_range) + more
    if drop:
        result.warnings.append(tr("{label}: {n} features with coordinates out of range are "
                                  "left out ({listed}).").format(
            label=label, n=f"{len(outside):,}", listed=listed))
        return frame[inside], positions[inside]
    result.errors.append(tr(
        "{label}: {n} features have coordinates out of range (latitude beyond ±90°, longitude "
        "beyond ±180°, or not numbers) after conversion to WGS 84: {listed}. Check the "
        "coordinate system and the coordinate order (lon, lat), fix those features, or choose "
        "to publish without them.").format(label=label, n=f"{len(outside):,}", listed=listed))
    return frame, positions


def _snap_to_range(frame: gpd.GeoDataFrame, overshoot: np.ndarray) -> gpd.GeoDataFrame:
    """Features a rounding error past ±180° or ±90° are put back on the edge (other tools,
    and RFC 7946 readers, refuse 180.00000000000006)."""
    if not overshoot.any():
        return frame
    geoms = np.asarray(frame.geometry.array, dtype=object).copy()
    geoms[overshoot] = shapely.transform(
        geoms[overshoot], lambda xy: np.clip(xy, [-180.0, -90.0], [180.0, 90.0]))
    return frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))


def _antimeridian(
    frame: gpd.GeoDataFrame, report: VectorLayerReport, label: str, result: CheckResult
) -> gpd.GeoDataFrame:
    """Count features spanning more than 180° of longitude; split those that wrap around."""
    geoms = np.asarray(frame.geometry.array, dtype=object)
    spanning = spanning_half_the_world(geoms)
    report.crossing_antimeridian = len(spanning)
    if not len(spanning):
        return frame
    geoms, wrapped = split_where_wrapping(geoms, spanning)
    if wrapped:
        frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    n, count = len(spanning), f"{len(spanning):,}"
    if wrapped:
        fixed = ntr("{n} was split at 180° so it draws correctly",
                    "{n} were split at 180° so they draw correctly", wrapped).format(
            n=f"{wrapped:,}")
        result.warnings.append(ntr(
            "{label}: {n} feature crosses or spans the antimeridian (180° longitude); {fixed}.",
            "{label}: {n} features cross or span the antimeridian (180° longitude); {fixed}.",
            n).format(label=label, n=count, fixed=fixed))
    else:
        result.warnings.append(ntr(
            "{label}: {n} feature crosses or spans the antimeridian (180° longitude).",
            "{label}: {n} features cross or span the antimeridian (180° longitude).",
            n).format(label=label, n=count))
    return frame


def _more(count: int) -> str:
    """' and 12 more' after a list cut short."""
    return tr(" and {n} more").format(n=f"{count:,}")

