"""A survey layer at the places someone may see: a raster's value at each site or deposit, or
its statistics (min, max, mean, count of valid pixels) within a radius of each or within the
polygons of another layer that it lies in; for a vector layer, its features near each.

For the command line (``permitmap layers sample``) and the Survey layers page. Sampling
releases data, so it is checked (a role that may export; a layer marked above the asker's
clearance answers exactly as an unknown one) and audited as an "export" with the highest
marking of the layers and the records in it. Sites are all listed (those without a position,
or outside the raster, have no value); deposits, which may be a million, only near the
layer's extent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from rasterio.errors import RasterioError
from sqlalchemy import Engine

from domain.access import Action, Principal
from domain.errors import InputError
from domain.i18n import tr
from exports.formats import neutralise_formulas
from exports.marking import csv_text
from layers.nearby_features import MAX_DISTANCE_KM, check_distance, feature_label, features_near
from layers.sampling import radius_stats, values_at, zonal_stats
from services.layer_export import cog_file
from services.sample_places import PLACE_COLUMNS, SampleAt, places
from sites.selection import slug
from store.acting import marking_of, require
from store.audit import record_now
from store.layer_repo import LayerRecord, get_layer, layer_features, layer_unreadable

__all__ = ["DEFAULT_DISTANCE_KM", "MAX_DISTANCE_KM", "MAX_RADIUS_KM", "LayerSample", "Mode",
           "SampleAt", "SampleRequest", "record_sampling", "sample_layer"]

MAX_RADIUS_KM = 500.0
DEFAULT_DISTANCE_KM = 5.0
ZONE_COLUMNS = ["min", "max", "mean", "count", "pixel_size"]


class Mode(StrEnum):
    """What a sampling gives for each place."""

    VALUE = "value"  # a raster's value at the place
    RADIUS = "radius"  # a raster's statistics within a radius
    WITHIN = "within"  # a raster's statistics within the polygons the place lies in
    NEAR = "near"  # a vector layer's features within a distance


@dataclass(frozen=True)
class SampleRequest:
    """What to sample where: ``radius_km`` or ``within`` (a polygon layer's id) for a
    raster's statistics, ``distance_km`` for a vector layer (default
    :data:`DEFAULT_DISTANCE_KM`); ``band`` of a multi-band raster."""

    layer_id: str
    at: SampleAt = SampleAt.SITES
    radius_km: float | None = None
    within: str | None = None
    distance_km: float | None = None
    band: int = 1


@dataclass(frozen=True)
class LayerSample:
    """One row per place (``id``, ``name``, ``lon``, ``lat``, ``marking`` and the mode's
    columns), and the highest marking of what it holds."""

    layer: LayerRecord
    request: SampleRequest
    mode: Mode
    rows: pd.DataFrame
    marking: str
    within: LayerRecord | None = None

    def csv(self) -> bytes:
        """The rows as CSV, the marking line first and formulas neutralised, as every CSV
        export."""
        out = self.rows.copy()
        for name in out.columns:
            out[name] = neutralise_formulas(out[name])[0]
        return csv_text(out, self.marking).encode("utf-8")

    def file_name(self) -> str:
        """``<layer>_at_sites_r5km.csv`` and the like."""
        suffix = ""
        if self.mode is Mode.RADIUS:
            suffix = f"_r{self.request.radius_km:g}km"
        elif self.mode is Mode.NEAR:
            suffix = f"_d{self.distance_km:g}km"
        elif self.within is not None:
            suffix = f"_in_{slug(self.within.name) or self.within.id}"
        return f"{slug(self.layer.name) or self.layer.id}_at_{self.request.at}{suffix}.csv"

    def measure(self) -> str:
        """What each row gives, in words: "values", "within 5 km", "within Claim blocks",
        "features within 5 km"."""
        if self.mode is Mode.RADIUS:
            return f"within {self.request.radius_km:g} km"
        if self.mode is Mode.NEAR:
            return f"features within {self.distance_km:g} km"
        if self.within is not None:
            return f"within {self.within.name}"
        return "values"

    def to_json(self) -> dict[str, Any]:
        """One object: the layer, the mode and its parameters, the marking, the rows (NaN
        as null)."""
        return {
            "layer": {"id": self.layer.id, "name": self.layer.name, "kind": self.layer.kind},
            "mode": str(self.mode), "at": str(self.request.at),
            "radius_km": self.request.radius_km,
            "within": ({"id": self.within.id, "name": self.within.name}
                       if self.within else None),
            "distance_km": self.distance_km if self.mode is Mode.NEAR else None,
            "band": self.request.band if self.layer.kind == "raster" else None,
            "marking": self.marking, "count": len(self.rows),
            "rows": [{key: _plain(value) for key, value in row.items()}
                     for row in self.rows.to_dict("records")],
        }

    @property
    def distance_km(self) -> float:
        """The distance a vector layer's features were searched within."""
        distance = self.request.distance_km
        return DEFAULT_DISTANCE_KM if distance is None else distance


def sample_layer(engine: Engine, request: SampleRequest, layer_dir: Path, *,
                 principal: Principal, audit: bool = True) -> LayerSample:
    """The layer at the sites (or deposits) ``principal`` may see; audited as an "export"
    unless ``audit`` is False (a page showing it, which audits its download)."""
    require(engine, principal, Action.EXPORT, "export", f"layer {request.layer_id}")
    record = get_layer(engine, request.layer_id, principal)
    mode = _mode(record, request)
    within = _polygon_layer(engine, request.within, principal) if mode is Mode.WITHIN else None
    if request.at == SampleAt.POLYGONS:
        assert within is not None  # _mode asks for it
        return _per_polygon(engine, record, request, within, layer_dir, principal, audit)
    reach = (request.radius_km or 0.0) if mode is not Mode.NEAR else (
        DEFAULT_DISTANCE_KM if request.distance_km is None else request.distance_km)
    found = places(engine, request.at, principal,
                   near=record.bounds if request.at == SampleAt.DEPOSITS else None,
                   reach_km=reach)
    if mode is Mode.NEAR:
        columns = _near(engine, record, found, reach)
    else:
        columns = _raster(engine, record, request, mode, found, within, layer_dir)
    rows = pd.concat([found[PLACE_COLUMNS].reset_index(drop=True), columns], axis=1)
    marking = marking_of([record.marking, *([within.marking] if within else []),
                          *found["marking"].tolist()])
    result = LayerSample(record, request, mode, rows, marking, within)
    if audit:
        record_sampling(engine, principal, result)
    return result


@dataclass(frozen=True)
class LabelledFeatures:
    """A stored vector layer's features: lon/lat geometries, feature numbers and labels."""

    geoms: np.ndarray
    numbers: list[int]
    labels: list[str]


def labelled_features(engine: Engine, layer_id: str) -> LabelledFeatures:
    """The layer's features as its samplings and the cross-walk name them."""
    stored = layer_features(engine, layer_id)
    numbers = [int(no) for no in stored["feature_no"]]
    return LabelledFeatures(shapely.from_wkb(stored["geometry"].to_numpy()), numbers,
                            [feature_label(text, no) for text, no in
                             zip(stored["properties"], numbers, strict=True)])


def _per_polygon(engine: Engine, record: LayerRecord, request: SampleRequest,
                 within: LayerRecord, layer_dir: Path, principal: Principal,
                 audit: bool) -> LayerSample:
    """One row per polygon of ``within``: its feature number as id, its label as name, a
    point inside it, and the raster's statistics over it."""
    polygons = labelled_features(engine, within.id)
    inside = shapely.point_on_surface(polygons.geoms)
    places = pd.DataFrame({
        "id": np.array(polygons.numbers, dtype="int64"), "name": polygons.labels,
        "lon": shapely.get_x(inside), "lat": shapely.get_y(inside), "marking": within.marking})
    try:
        table = zonal_stats(cog_file(record, layer_dir), polygons.geoms,
                            band=request.band).table
    except (OSError, RasterioError) as exc:
        raise layer_unreadable(record, exc) from exc
    rows = pd.concat([places, table[ZONE_COLUMNS].reset_index(drop=True)], axis=1)
    rows["count"] = rows["count"].astype("int64")
    result = LayerSample(record, request, Mode.WITHIN, rows,
                         marking_of([record.marking, within.marking]), within)
    if audit:
        record_sampling(engine, principal, result)
    return result


def record_sampling(engine: Engine, principal: Principal, sample: LayerSample,
                    detail: str = "") -> None:
    """The audit row of a sampling that left: the layer, the mode, how many places, the
    highest marking."""
    record_now(engine, principal, "export", target=f"layer {sample.layer.id}",
               detail=f"{sample.layer.name}: {sample.measure()} at {sample.request.at}"
                      + (f" ({detail})" if detail else ""),
               records=len(sample.rows), marking=sample.marking)


def _mode(record: LayerRecord, request: SampleRequest) -> Mode:
    """What the request asks of this layer; InputError, in words, for what cannot be."""
    if record.kind != "raster":
        if request.at == SampleAt.POLYGONS:
            raise InputError(tr("Layer {name} holds vector features: statistics for each "
                                "polygon are taken from a raster layer.").format(
                                    name=repr(record.name)))
        if request.radius_km is not None or request.within is not None:
            raise InputError(tr("Layer {name} holds vector features: a radius or a polygon "
                                "layer applies to raster layers. To list its features near "
                                "each place, give a distance instead.").format(
                                    name=repr(record.name)))
        check_distance(DEFAULT_DISTANCE_KM if request.distance_km is None
                       else request.distance_km)
        return Mode.NEAR
    if request.distance_km is not None:
        raise InputError(tr("Layer {name} is a raster: a distance applies to vector layers. "
                            "Give a radius for the statistics around each place.").format(
                                name=repr(record.name)))
    if request.radius_km is not None and request.within is not None:
        raise InputError(tr("Give either a radius or a polygon layer to take the statistics "
                            "within, not both."))
    if request.within is not None:
        return Mode.WITHIN
    if request.at == SampleAt.POLYGONS:
        raise InputError(tr("Statistics for each polygon need the layer of polygons: choose "
                            "it (--within LAYER on the command line)."))
    if request.radius_km is None:
        return Mode.VALUE
    radius = request.radius_km
    if not (math.isfinite(radius) and 0 < radius <= MAX_RADIUS_KM):
        raise InputError(tr("A radius of {radius} km cannot be used: give more than 0 and up "
                            "to {most} km, or none for the value at each place.").format(
                                radius=format(radius, "g"), most=format(MAX_RADIUS_KM, "g")))
    return Mode.RADIUS


def _polygon_layer(engine: Engine, layer_id: str | None, principal: Principal) -> LayerRecord:
    """The polygon layer to take statistics within (unknown to whoever may not see it)."""
    record = get_layer(engine, str(layer_id), principal)
    if record.kind != "vector" or record.geometry_type != "Polygon":
        if record.kind == "raster":
            held = tr("Layer {name} holds a raster: statistics are taken within polygons. "
                      "Choose a layer of polygons (areas).")
        elif record.geometry_type:
            held = tr("Layer {name} holds {geometry} features: statistics are taken within "
                      "polygons. Choose a layer of polygons (areas).")
        else:
            held = tr("Layer {name} holds no features: statistics are taken within polygons. "
                      "Choose a layer of polygons (areas).")
        raise InputError(held.format(name=repr(record.name), geometry=record.geometry_type))
    return record


def _near(engine: Engine, record: LayerRecord, found: pd.DataFrame,
          distance_km: float) -> pd.DataFrame:
    """How many of the layer's features lie within ``distance_km`` of each place, their
    numbers and names (``; `` between them)."""
    near = labelled_features(engine, record.id)
    matches = features_near(found["lon"].to_numpy(dtype="float64"),
                            found["lat"].to_numpy(dtype="float64"), near.geoms, distance_km)
    return pd.DataFrame({
        "count": [len(m) for m in matches],
        "feature_ids": ["; ".join(str(near.numbers[i]) for i in m) for m in matches],
        "features": ["; ".join(near.labels[i] for i in m) for m in matches],
    })


def _raster(engine: Engine, record: LayerRecord, request: SampleRequest, mode: Mode,
            found: pd.DataFrame, within: LayerRecord | None, layer_dir: Path) -> pd.DataFrame:
    """The raster's columns for each place; NotFoundError when its file cannot be read."""
    path = cog_file(record, layer_dir)
    lons = found["lon"].to_numpy(dtype="float64")
    lats = found["lat"].to_numpy(dtype="float64")
    try:
        if mode is Mode.VALUE:
            return pd.DataFrame({"value": values_at(path, lons, lats, band=request.band).values})
        if mode is Mode.RADIUS:
            assert request.radius_km is not None
            stats = radius_stats(path, lons, lats, request.radius_km, band=request.band)
            return stats.table[ZONE_COLUMNS]
        assert within is not None
        return _within(engine, path, within, lons, lats, request.band)
    except (OSError, RasterioError) as exc:  # deleted or damaged since it was published
        raise layer_unreadable(record, exc) from exc



def _within(engine: Engine, path: Path, within: LayerRecord, lons: np.ndarray,
            lats: np.ndarray, band: int) -> pd.DataFrame:
    """The names of the polygons each place lies in and the statistics over them (their
    union when it lies in several); each set of polygons is measured once."""
    polygons = labelled_features(engine, within.id)
    geoms, labels = polygons.geoms, polygons.labels
    matches = features_near(lons, lats, geoms, 0.0)
    sets = sorted({tuple(int(i) for i in m) for m in matches if len(m)})
    zones = [shapely.union_all(geoms[list(s)]) for s in sets]
    table = zonal_stats(path, np.array(zones, dtype=object), band=band).table
    by_set = {s: table.iloc[n] for n, s in enumerate(sets)}
    empty = pd.Series({"min": np.nan, "max": np.nan, "mean": np.nan, "count": 0,
                       "pixel_size": np.nan})
    rows = [by_set.get(tuple(int(i) for i in m), empty) for m in matches]
    out = pd.DataFrame([r[ZONE_COLUMNS] for r in rows], columns=ZONE_COLUMNS)
    out.insert(0, "features", ["; ".join(labels[i] for i in m) for m in matches])
    out["count"] = out["count"].astype("int64")
    return out.reset_index(drop=True)


def _plain(value: Any) -> Any:
    """A cell as JSON has it: NaN and NA as null, NumPy numbers as Python ones."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value

