"""The pre-flight check of one upload: identify it, then read and check it as vector or raster.

Problems with what the file holds end up in the report, in words; nothing is stored here.
This is the boundary where a reader failing in a way nobody foresaw becomes a report error
naming the file and the step (see :class:`Steps`), logged with its traceback for us.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from domain.i18n import N_, ntr, tr
from layers.dxf_curves import curved_entities
from layers.errors import LayerError
from layers.identify import identify
from layers.limits import UploadLimits
from layers.preflight_report import PreflightReport
from layers.raster_check import check_raster
from layers.shapefile_set import packed_shapefile
from layers.staging import display_name, unzipped_entry
from layers.upload_formats import FileFormat, IdentifiedUpload, LayerKind, Progress, no_progress
from layers.vector_layers import ARC_STEP_DEGREES
from layers.vector_read import PreparedLayer, VectorOptions, read_vector

RASTER_EXTENSIONS = (".tif", ".tiff", ".hgt", ".hgt.zip")
#: A report's format when the file was not identified (shown with ``tr``, like a format's name).
NOT_RECOGNISED = N_("not recognised")
log = logging.getLogger(__name__)


@dataclass
class Inspection:
    """What the pre-flight found: the identified source (None when refused), the report, and
    for vector files the layers ready to publish."""

    source: IdentifiedUpload | None
    report: PreflightReport
    vector_layers: list[PreparedLayer] = field(default_factory=list)


class Steps:
    """A progress callback that remembers the last step it was told of ("Reading features of
    roads…"), so an unforeseen failure can say where it happened."""

    def __init__(self, progress: Progress, first: str) -> None:
        self.progress, self.current = progress, first

    def __call__(self, fraction: float, text: str) -> None:
        self.current = text
        self.progress(fraction, text)

    def failure(self, name: str, exc: BaseException) -> str:
        """Log ``exc`` with its traceback; the sentence for the person who sent ``name``."""
        log.exception("Unforeseen failure while %s (%s)", self.current, name)
        step = self.current.rstrip(".… ") or tr("reading it")
        detail = str(exc).strip() or tr("no detail")
        return tr("{name}: {step} failed ({error}: {detail}). The file may be damaged or of a "
                  "kind we do not read yet: check it opens in your GIS, or send it to the "
                  "maintainers (the details are in the server's log).").format(
            name=name, step=step[:1].lower() + step[1:], error=type(exc).__name__,
            detail=detail[:300])


def inspect_upload(path: Path, name: str, options: VectorOptions | None = None,
                   limits: UploadLimits | None = None,
                   progress: Progress = no_progress) -> Inspection:
    """Identify and check the upload at ``path`` (a path the app chose; ``name`` is what the
    person called it, used only for display and its extension). A ``.shp`` is read with the
    parts beside it.

    Never raises for what the file holds: a reader failing in a way nobody foresaw is
    logged with its traceback for us, and the report says which step failed.
    """
    options = options or VectorOptions()
    limits = limits or UploadLimits()
    name = display_name(name)
    steps = Steps(progress, tr("Looking at {name}…").format(name=name))
    try:
        steps(0.0, steps.current)
        with ExitStack() as stack:
            return _inspect(path, name, options, limits, steps, stack)
    except LayerError as exc:
        return Inspection(None, refused_report(path, name, str(exc)))
    except Exception as exc:  # noqa: BLE001 - logged by Steps.failure; a report, not a traceback
        return Inspection(None, refused_report(path, name, steps.failure(name, exc)))


def _inspect(path: Path, name: str, options: VectorOptions, limits: UploadLimits,
             progress: Progress, stack: ExitStack) -> Inspection:
    """The check; files it unpacks live until ``stack`` closes (the vector layers are read
    into memory by then; a raster is read from ``path`` itself)."""
    notes: list[str] = []
    if PurePosixPath(name).suffix.lower() == ".shp":
        path, notes = stack.enter_context(packed_shapefile(path, name))
    source = identify(path, name, limits)
    source = replace(source, notes=[*notes, *source.notes])
    if source.format is FileFormat.CSV and source.entry:  # a zipped table
        source = stack.enter_context(unzipped_entry(source))
    if source.kind is LayerKind.RASTER:
        report = check_raster(source, limits, progress, assume_crs=options.assume_crs)
        layers: list[PreparedLayer] = []
    else:
        reading = read_vector(source, options, limits, progress)
        report, layers = reading.report, reading.layers
        if source.format is FileFormat.DXF:
            _note_dxf_curves(source, report)
        if report.ok and not layers:
            report.errors.append(tr("{name} holds no features with a geometry (only empty "
                                    "folders, overlays or attribute rows); nothing would "
                                    "draw. Check you exported the layer with its shapes.")
                                 .format(name=name))
    report.notes[:0] = [note for note in source.notes if note not in report.notes]
    report.warnings[:0] = [w for w in source.warnings if w not in report.warnings]
    progress(1.0, tr("Checked."))
    return Inspection(source, report, layers if report.ok else [])


def _note_dxf_curves(source: IdentifiedUpload, report: PreflightReport) -> None:
    """Say how many of a DXF's entities were curves that GDAL drew as straight segments
    (its DXF driver does so while reading, so the geometries show none)."""
    curved = curved_entities(source.path)
    if not curved or not report.layers:
        return
    report.layers[0].linearised = curved
    report.notes.append(ntr(
        "{name}: {n} entity has curved edges (arcs, circles, ellipses, splines or bulged "
        "polylines); they are drawn as straight segments, one every {step}° of arc.",
        "{name}: {n} entities have curved edges (arcs, circles, ellipses, splines or bulged "
        "polylines); they are drawn as straight segments, one every {step}° of arc.",
        curved).format(name=source.name, n=f"{curved:,}", step=ARC_STEP_DEGREES))


def check_upload(path: Path, name: str | None = None, options: VectorOptions | None = None,
                 limits: UploadLimits | None = None,
                 progress: Progress = no_progress) -> PreflightReport:
    """Only the report (what ``permitmap layers check`` prints)."""
    return inspect_upload(path, name or path.name, options, limits, progress).report


def refused_report(path: Path, name: str, message: str) -> PreflightReport:
    """A report for a file refused before it could be read."""
    kind = LayerKind.RASTER if name.lower().endswith(RASTER_EXTENSIONS) else LayerKind.VECTOR
    try:
        size = path.stat().st_size if path.is_file() else 0
    except OSError:  # e.g. a name too long for the file system
        size = 0
    return PreflightReport(file_name=display_name(name), format=NOT_RECOGNISED, kind=kind,
                           size_bytes=size, errors=[message])
