"""The pre-flight check of one upload: identify it, then read and check it as vector or raster.

Problems with what the file holds end up in the report, in words; nothing is stored here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from layers.errors import LayerError
from layers.identify import identify
from layers.limits import UploadLimits
from layers.preflight_report import PreflightReport
from layers.raster_check import check_raster
from layers.upload_formats import IdentifiedUpload, LayerKind, Progress, no_progress
from layers.vector_read import PreparedLayer, VectorOptions, read_vector

RASTER_EXTENSIONS = (".tif", ".tiff", ".hgt", ".hgt.zip")
log = logging.getLogger(__name__)


@dataclass
class Inspection:
    """What the pre-flight found: the identified source (None when refused), the report, and
    for vector files the layers ready to publish."""

    source: IdentifiedUpload | None
    report: PreflightReport
    vector_layers: list[PreparedLayer] = field(default_factory=list)


def inspect_upload(path: Path, name: str, options: VectorOptions | None = None,
                   limits: UploadLimits | None = None,
                   progress: Progress = no_progress) -> Inspection:
    """Identify and check the upload at ``path`` (its original name ``name``).

    Never raises for what the file holds: a reader failing in a way nobody foresaw is
    logged with its traceback for us, and the report says the file could not be read.
    """
    options = options or VectorOptions()
    limits = limits or UploadLimits()
    progress(0.0, f"Looking at {name}…")
    try:
        return _inspect(path, name, options, limits, progress)
    except LayerError as exc:
        return Inspection(None, refused_report(path, name, str(exc)))
    except Exception as exc:  # the upload page's promise: a message, never a traceback
        log.exception("Unforeseen failure while checking %s", name)
        return Inspection(None, refused_report(path, name, (
            f"{name} could not be read ({type(exc).__name__}: {exc}). Check it opens in your "
            "GIS and export it again; if it does, report it to the permitmap team with the "
            "file.")))


def _inspect(path: Path, name: str, options: VectorOptions, limits: UploadLimits,
             progress: Progress) -> Inspection:
    source = identify(path, name, limits)
    if source.kind is LayerKind.RASTER:
        report = check_raster(source, limits, progress, assume_crs=options.assume_crs)
        layers: list[PreparedLayer] = []
    else:
        reading = read_vector(source, options, limits, progress)
        report, layers = reading.report, reading.layers
        if report.ok and not layers:
            report.errors.append(f"{name} holds no features with a geometry (only empty "
                                 "folders, overlays or attribute rows); nothing would draw. "
                                 "Check you exported the layer with its shapes.")
    report.notes[:0] = [note for note in source.notes if note not in report.notes]
    progress(1.0, "Checked.")
    return Inspection(source, report, layers if report.ok else [])


def check_upload(path: Path, name: str | None = None, options: VectorOptions | None = None,
                 limits: UploadLimits | None = None,
                 progress: Progress = no_progress) -> PreflightReport:
    """Only the report (what ``permitmap layers check`` prints)."""
    return inspect_upload(path, name or path.name, options, limits, progress).report


def refused_report(path: Path, name: str, message: str) -> PreflightReport:
    """A report for a file refused before it could be read."""
    kind = LayerKind.RASTER if name.lower().endswith(RASTER_EXTENSIONS) else LayerKind.VECTOR
    size = path.stat().st_size if path.exists() else 0
    return PreflightReport(file_name=name, format="not recognised", kind=kind,
                           size_bytes=size, errors=[message])
