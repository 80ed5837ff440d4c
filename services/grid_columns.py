"""Survey-grid values as columns of a site export: for each chosen raster layer, its value at
each exported site (``grid_<layer_name>``; empty where the site has no position, lies outside
the grid or on no-data).

A value carries its layer's handling marking, so a row that gains one is marked at least as
high as the layer, and the export's marking line and audit row follow. A layer the asker may
not see answers exactly as an unknown one (:func:`store.layer_repo.get_layer`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from domain.access import Principal
from domain.errors import InputError
from domain.i18n import tr
from layers.features import Features
from sites.selection import slug
from store.acting import marking_of
from store.layer_repo import LayerRecord, get_layer, layer_unreadable

MAX_GRIDS = 10


def parse_grid_ids(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """Layer ids from ``grid=a,b`` (or a list of them), in order, each once.

    >>> parse_grid_ids("magnetics-1f, gravity-2e,magnetics-1f")
    ('magnetics-1f', 'gravity-2e')
    """
    parts = text.split(",") if isinstance(text, str) else list(text or ())
    ids = tuple(dict.fromkeys(p.strip() for p in parts if p and p.strip()))
    if len(ids) > MAX_GRIDS:
        raise InputError(tr("{n} survey grids were asked for; an export takes up to {most}. "
                            "Choose fewer.").format(n=len(ids), most=MAX_GRIDS))
    return ids


def grid_layers(engine: Engine, layer_ids: Sequence[str],
                principal: Principal) -> list[LayerRecord]:
    """The raster layers ``layer_ids`` name; NotFoundError for one unknown to ``principal``,
    InputError, in words, for a vector layer."""
    records = [get_layer(engine, layer_id, principal) for layer_id in layer_ids]
    for record in records:
        if record.kind != "raster":
            raise InputError(tr("Layer {name} holds vector features, not a grid of values: "
                                "only raster survey layers can add columns to a site "
                                "export.").format(name=repr(record.name)))
    return records


def with_grid_values(features: Features, records: Sequence[LayerRecord],
                     layer_dir: Path) -> Features:
    """``features`` (sites, points in lon/lat) with one column per raster layer: its band-1
    value at each point; each row's ``marking`` raised to the layers' when it is lower."""
    if not records:
        return features
    # here: every map page imports the export modules, and most exports take no grid
    from rasterio.errors import RasterioError

    from layers.sampling import values_at

    columns = features.columns.copy()
    lons, lats = _coordinates(features)
    for record in records:
        name = _column_name(record, columns)
        try:
            values = values_at(layer_dir / record.raster_file, lons, lats).values
        except (OSError, RasterioError) as exc:  # deleted or damaged since it was published
            raise layer_unreadable(record, exc) from exc
        columns[name] = pd.array(values, dtype="Float64")  # NaN becomes empty, not "nan"
    layer_marks = [r.marking for r in records]
    if "marking" in columns.columns:
        columns["marking"] = [marking_of([m, *layer_marks]) for m in columns["marking"]]
    return replace(features, columns=columns)


def _coordinates(features: Features) -> tuple[list[float], list[float]]:
    """Each row's lon and lat (NaN for a row without a point)."""
    nan = float("nan")
    lons = [g.x if g is not None else nan for g in features.geometry]
    lats = [g.y if g is not None else nan for g in features.geometry]
    return lons, lats


def _column_name(record: LayerRecord, columns: pd.DataFrame) -> str:
    """``grid_<name as a slug>``; the layer id instead when another column has that name."""
    name = f"grid_{slug(record.name) or record.id}".replace("-", "_")
    return name if name not in columns.columns else f"grid_{record.id}".replace("-", "_")
