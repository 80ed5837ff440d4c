"""Publishing an upload: check it, convert it, store it — all or nothing.

Vector layers go into the store as WKB in EPSG:4326. A raster is converted to a COG in a
staging folder beside the layer folder and moved into place inside the store's transaction,
so a failure at any step leaves neither a row nor a file behind.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pandas as pd
import shapely
from sqlalchemy import Engine

from domain.access import Action, Principal
from domain.errors import InputError
from domain.i18n import tr
from layers.cog import write_cog
from layers.limits import UploadLimits
from layers.preflight import Inspection, Steps, inspect_upload
from layers.preflight_report import PreflightReport
from layers.staging import display_name
from layers.upload_formats import IdentifiedUpload, LayerKind, Progress, no_progress
from layers.vector_read import PreparedLayer, VectorOptions
from services.errors import PublishRefused
from services.layer_styles import default_raster_style, default_vector_style
from store.acting import acting_name, require
from store.layer_repo import LayerRecord, NewLayer, add_layers, delete_layer, list_layers

NAME_CHARS = 200  # what the catalog keeps of a layer's name
STAGING = ".staging"
INCOMING = ".incoming"  # uploads being checked or published (mapping.parts.upload_report)


@dataclass(frozen=True)
class LayerDetails:
    """What the person publishing says about the layer."""

    name: str
    uploaded_by: str
    description: str = ""
    source: str = ""
    licence: str = ""
    surveyed_on: date | None = None


def publish_upload(engine: Engine, path: Path, file_name: str, details: LayerDetails, *,
                   principal: Principal, layer_dir: Path, options: VectorOptions | None = None,
                   limits: UploadLimits | None = None,
                   progress: Progress = no_progress) -> list[LayerRecord]:
    """Check the upload at ``path`` and publish it as one layer per geometry type (vector)
    or one raster layer; returns the new catalog entries.

    Needs a role that may upload layers (checked before the file is read); the catalog names
    the signed-in person as the uploader, and the audit trail gets one "upload" row in the
    transaction that stores the layers."""
    require(engine, principal, Action.UPLOAD_LAYER, "upload", file_name)
    details = replace(details, uploaded_by=acting_name(principal, details.uploaded_by))
    _require_details(details)
    steps = Steps(progress, tr("Looking at {name}…").format(name=display_name(file_name)))
    inspection = inspect_upload(path, file_name, options, limits, steps)
    if not inspection.report.ok or inspection.source is None:
        raise PublishRefused(tr("{name} cannot be published: {problems}").format(
            name=inspection.report.file_name, problems=" ".join(inspection.report.errors)))
    if inspection.source.kind is LayerKind.RASTER:
        return _publish_raster(engine, inspection, details, layer_dir, steps,
                               (options or VectorOptions()).assume_crs, principal)
    return _publish_vector(engine, inspection, details, steps, principal)


def remove_layer(engine: Engine, layer_id: str, layer_dir: Path, *,
                 principal: Principal) -> LayerRecord:
    """Delete a layer from the catalog (audited, admin only), then its raster folder if it
    has one."""
    require(engine, principal, Action.DELETE_LAYER, "layer-delete", layer_id)
    record = delete_layer(engine, layer_id, principal=principal)
    if record.raster_file:
        shutil.rmtree(layer_dir / Path(record.raster_file).parent, ignore_errors=True)
    return record


def sweep_leftovers(layer_dir: Path, engine: Engine | None = None,
                    older_than_s: float = 6 * 3600) -> int:
    """Remove what a killed process left: uploads and conversions in ``.incoming`` and
    ``.staging`` and, given the store, raster folders no layer names (placed, then killed
    before the commit). Only entries older than ``older_than_s``: a live publish (in this
    or another process sharing the folder) is never that old. Returns how many went."""
    cutoff = time.time() - older_than_s
    entries = [entry for folder in (layer_dir / INCOMING, layer_dir / STAGING)
               if folder.is_dir() for entry in folder.glob("*")]
    if engine is not None and layer_dir.is_dir():
        named = {Path(layer.raster_file).parts[0] for layer in list_layers(engine)
                 if layer.raster_file}
        entries += [entry for entry in layer_dir.iterdir() if entry.is_dir()
                    and not entry.name.startswith(".") and entry.name not in named]
    removed = 0
    for entry in entries:
        if entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


def raster_path(record: LayerRecord, layer_dir: Path) -> Path:
    """Where a raster layer's COG lives."""
    return layer_dir / record.raster_file


@contextmanager
def _reading(steps: Steps, name: str) -> Iterator[None]:
    """Around the steps of publishing that read or convert the file (not those that store
    it): a failure nobody foresaw is refused in words and logged, as in the pre-flight."""
    try:
        yield
    except InputError:
        raise
    except Exception as exc:
        raise PublishRefused(tr("{name} cannot be published: {problems}").format(
            name=name, problems=steps.failure(name, exc))) from exc


def _publish_vector(engine: Engine, inspection: Inspection, details: LayerDetails,
                    steps: Steps, principal: Principal) -> list[LayerRecord]:
    source, report = inspection.source, inspection.report
    assert source is not None
    several = len(inspection.vector_layers) > 1
    new = []
    steps(0.8, tr("Preparing the features for the catalog…"))
    with _reading(steps, source.name):
        for prepared in inspection.vector_layers:
            new.append(_new_vector_layer(prepared, source, report, details, several))
    steps(0.9, tr("Storing the features…"))
    return add_layers(engine, new, principal=principal)


def _new_vector_layer(prepared: PreparedLayer, source: IdentifiedUpload,
                      report: PreflightReport, details: LayerDetails,
                      several: bool) -> NewLayer:
    name = f"{details.name} ({_label(prepared)})" if several else details.name
    return NewLayer(
        name=name[:NAME_CHARS], kind="vector", uploaded_by=details.uploaded_by,
        original_filename=source.name, checksum=source.checksum,
        source_layer=f"{prepared.source_layer}#{prepared.geometry_type}",
        file_format=str(source.format), original_crs=prepared.original_crs,
        geometry_type=prepared.geometry_type, feature_count=len(prepared.frame),
        bounds=_bounds(prepared), description=details.description, source=details.source,
        licence=details.licence, surveyed_on=details.surveyed_on,
        style=default_vector_style(f"{source.checksum}{prepared.name}"),
        report=report.to_json(), features=feature_rows(prepared))


def _publish_raster(engine: Engine, inspection: Inspection, details: LayerDetails,
                    layer_dir: Path, steps: Steps,
                    assume_crs: str | None, principal: Principal) -> list[LayerRecord]:
    source, report = inspection.source, inspection.report
    assert source is not None and report.raster is not None
    staging = layer_dir / STAGING / uuid.uuid4().hex
    staging.mkdir(parents=True)
    try:
        steps(0.5, tr("Converting the raster to a cloud-optimized GeoTIFF…"))
        with _reading(steps, source.name):
            write_cog(source, staging / "layer.tif", steps, assume_crs)
        raster = report.raster
        layer = NewLayer(
            name=details.name[:NAME_CHARS], kind="raster", uploaded_by=details.uploaded_by,
            original_filename=source.name, checksum=source.checksum,
            file_format=str(source.format), original_crs=raster.crs or "",
            bounds=raster.bounds, description=details.description, source=details.source,
            licence=details.licence, surveyed_on=details.surveyed_on,
            style=default_raster_style(raster), report=report.to_json())

        placed: list[Path] = []

        def place(ids: list[str]) -> None:
            staging.rename(layer_dir / ids[0])  # atomic on one file system
            placed.append(layer_dir / ids[0])

        steps(0.95, tr("Adding the layer to the catalog…"))
        try:
            return add_layers(engine, [layer], place_files=place, principal=principal)
        except BaseException:
            for folder in placed:  # placed, then the commit failed: no row, so no file
                shutil.rmtree(folder, ignore_errors=True)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when it was placed


def feature_rows(prepared: PreparedLayer) -> pd.DataFrame:
    """A layer's features as the store keeps them: WKB, JSON properties, bounding boxes."""
    frame = prepared.frame
    geometries = frame.geometry.to_numpy()
    boxes = shapely.bounds(geometries)
    attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    if attributes.columns.empty:
        properties = ["{}"] * len(frame)
    else:
        text = attributes.to_json(orient="records", lines=True, date_format="iso",
                                  force_ascii=False, default_handler=str)
        # not splitlines(): it also splits at U+2028 and U+0085 inside values
        properties = text.split("\n")[: len(frame)]
    return pd.DataFrame({
        "geometry": shapely.to_wkb(geometries), "properties": properties,
        "min_lon": boxes[:, 0], "min_lat": boxes[:, 1],
        "max_lon": boxes[:, 2], "max_lat": boxes[:, 3],
    })


def _bounds(prepared: PreparedLayer) -> tuple[float, float, float, float] | None:
    if prepared.frame.empty:
        return None
    west, south, east, north = (float(v) for v in prepared.frame.total_bounds)
    return west, south, east, north


def _label(prepared: PreparedLayer) -> str:
    family = {"Point": "points", "LineString": "lines", "Polygon": "areas"}
    kind = family.get(prepared.geometry_type, prepared.geometry_type.lower())
    return f"{prepared.source_layer}, {kind}" if prepared.source_layer else kind


def _require_details(details: LayerDetails) -> None:
    if not details.name.strip():
        raise InputError(tr("Give the layer a name before publishing it."))
    if not details.uploaded_by.strip():
        raise InputError(tr("Type your name in 'Uploaded by' before publishing: the catalog "
                            "says who published each layer."))
