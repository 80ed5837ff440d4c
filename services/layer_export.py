"""Uploaded layers exported back: a vector layer in any export format, a raster as its COG.

Each export is checked (a role that may export, a clearance that reaches the layer's handling
marking) and audited ("export", the layer, how many features, its marking)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import shapely
from sqlalchemy import Engine

from domain.access import Action, Principal
from domain.errors import InputError, NotFoundError
from domain.i18n import tr
from exports.export_file import ExportFile, ExportFormat
from exports.formats import export_features
from layers.features import Features
from sites.selection import slug
from store.acting import require
from store.audit import record_now
from store.layer_repo import LayerRecord, layer_features, layer_not_found

COG_MEDIA_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"


def layer_frame(engine: Engine, record: LayerRecord) -> Features:
    """A vector layer's features with their attributes, ``id`` = the feature's number."""
    rows = layer_features(engine, record.id)
    attributes = pd.DataFrame.from_records([json.loads(text or "{}")
                                            for text in rows["properties"]],
                                           index=rows.index)
    # the layer's own "id" (if any) is kept as source_id; "id" is our stable feature number
    attributes = attributes.rename(columns={"id": "source_id"})
    attributes.insert(0, "id", rows["feature_no"].astype(str))
    return Features(attributes, shapely.from_wkb(rows["geometry"].to_numpy()))


def export_vector_layer(engine: Engine, record: LayerRecord, fmt: ExportFormat, *,
                        principal: Principal) -> ExportFile:
    """A vector layer in ``fmt``, named after the layer; audited as an "export"."""
    check_export(engine, record, principal)
    if record.kind != "vector":
        raise InputError(tr("{name} is a raster; download it as its Cloud-Optimized GeoTIFF "
                            "instead.").format(name=record.name))
    frame = layer_frame(engine, record)
    file = export_features(frame, fmt, stem=slug(record.name) or record.id,
                           layer=slug(record.name) or "layer", marking=record.marking)
    _record(engine, record, principal, fmt.value, len(frame.columns))
    return file


def cog_download(engine: Engine, record: LayerRecord, layer_dir: Path, *,
                 principal: Principal) -> Path:
    """The raster layer's COG to send (InputError for a vector layer, NotFoundError when the
    file is missing); audited as an "export"."""
    check_export(engine, record, principal)
    path = cog_file(record, layer_dir)
    if not path.is_file():
        raise NotFoundError(tr("The file of layer {name} is missing; publish the layer "
                               "again.").format(name=repr(record.name)))
    _record(engine, record, principal, "tif", 1)
    return path


def check_export(engine: Engine, record: LayerRecord, principal: Principal) -> None:
    """A role that may export, and a clearance that reaches the layer: a layer someone may
    not see is answered as if it did not exist."""
    require(engine, principal, Action.EXPORT, "export", f"layer {record.id}")
    if not principal.may_see(record.marking):
        raise layer_not_found(record.id)


def _record(engine: Engine, record: LayerRecord, principal: Principal, fmt: str,
            features: int) -> None:
    record_now(engine, principal, "export", target=f"layer {record.id}",
               detail=f"{record.name} as {fmt}", records=features, marking=record.marking)


def raster_download_name(record: LayerRecord) -> str:
    """The file name a raster layer's COG is downloaded under."""
    return f"{slug(record.name) or record.id}.cog.tif"


def cog_file(record: LayerRecord, layer_dir: Path) -> Path:
    """The raster layer's COG on disk; InputError for a vector layer."""
    if record.kind != "raster":
        raise InputError(tr("{name} holds vector features; choose a vector format "
                            "({formats}).").format(
                                name=record.name, formats=", ".join(f.value for f in ExportFormat)))
    return layer_dir / record.raster_file
