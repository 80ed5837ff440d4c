"""Uploaded layers exported back: a vector layer in any export format, a raster as its COG."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import shapely
from sqlalchemy import Engine

from domain.errors import InputError
from exports.export_file import ExportFile, ExportFormat
from exports.formats import export_features
from layers.features import Features
from sites.selection import slug
from store.layer_repo import LayerRecord, layer_features

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


def export_vector_layer(engine: Engine, record: LayerRecord, fmt: ExportFormat) -> ExportFile:
    """A vector layer in ``fmt``, named after the layer."""
    if record.kind != "vector":
        raise InputError(f"{record.name} is a raster; download it as its Cloud-Optimized "
                         "GeoTIFF instead.")
    return export_features(layer_frame(engine, record), fmt, stem=slug(record.name) or record.id,
                           layer=slug(record.name) or "layer")


def raster_download_name(record: LayerRecord) -> str:
    """The file name a raster layer's COG is downloaded under."""
    return f"{slug(record.name) or record.id}.cog.tif"


def cog_file(record: LayerRecord, layer_dir: Path) -> Path:
    """The raster layer's COG on disk; InputError for a vector layer."""
    if record.kind != "raster":
        raise InputError(f"{record.name} holds vector features; choose a vector format "
                         f"({', '.join(f.value for f in ExportFormat)}).")
    return layer_dir / record.raster_file
