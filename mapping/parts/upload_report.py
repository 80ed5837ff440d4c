"""The upload page's parts: the pre-flight report in words, the choices it asks for, and
publishing with progress bars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from domain.access import Principal
from domain.i18n import N_, tr
from domain.settings import load_settings
from layers.limits import UploadLimits
from layers.preflight import inspect_upload
from layers.preflight_report import PreflightReport
from layers.staging import display_name, staged_files
from layers.upload_formats import Progress
from layers.vector_read import VectorOptions
from mapping import state_keys as keys
from mapping.parts.grid import grid
from mapping.store_access import engine
from services.publishing import INCOMING, LayerDetails, publish_upload
from store.layer_repo import LayerRecord

OTHER_CRS = N_("another code…")


#: The report's table of layers: its columns' labels.
LAYER_COLUMNS = {"layer": N_("layer"), "features": N_("features"), "geometry": N_("geometry"),
                 "coordinate system": N_("coordinate system"), "invalid": N_("invalid"),
                 "empty": N_("empty"), "out of range": N_("out of range"),
                 "cross 180°": N_("cross 180°"), "text encoding": N_("text encoding"),
                 "fields": N_("fields")}
#: The raster's band statistics: its columns' labels (the fields of layers' BandStats).
BAND_COLUMNS = {"band": N_("band"), "minimum": N_("minimum"), "maximum": N_("maximum"),
                "mean": N_("mean"), "std": N_("std"), "p2": N_("p2"), "p98": N_("p98"),
                "valid_fraction": N_("valid_fraction")}


def upload_limits() -> UploadLimits:
    """The configured limits (``PERMITMAP_MAX_UPLOAD_MB``)."""
    return UploadLimits.from_megabytes(load_settings().max_upload_mb)


def incoming_dir() -> Path:
    """Where uploads wait while they are checked or published (inside the layer folder, so a
    published raster moves into place on the same file system)."""
    return load_settings().layer_dir / INCOMING


def upload_key(uploads: list[Any]) -> str:
    """One key for the files chosen together (choices made for them do not carry over)."""
    return "+".join(upload.file_id for upload in uploads)


def upload_name(uploads: list[Any]) -> str:
    """The name of what was chosen: the file's, or a Shapefile's ``.shp``."""
    names = [upload.name for upload in uploads]
    return display_name(next((n for n in names if n.lower().endswith(".shp")), names[0]))


def checked_report(uploads: list[Any], options: VectorOptions) -> PreflightReport:
    """The pre-flight report of the uploaded file (or a Shapefile's parts chosen together)
    under ``options``; computed once per choice of files and options in a session."""
    reports: dict[tuple[str, VectorOptions], PreflightReport] = st.session_state.setdefault(
        keys.UPLOAD_REPORTS, {})
    key = (upload_key(uploads), options)
    if key not in reports:
        with _progress_bar(tr("Checking…")) as progress, _staged(uploads) as path:
            reports[key] = inspect_upload(path, upload_name(uploads), options,
                                          upload_limits(), progress).report
    return reports[key]


def publish(uploads: list[Any], details: LayerDetails, options: VectorOptions, *,
            principal: Principal) -> list[LayerRecord]:
    """Publish the uploaded file as ``principal``; a failure stores nothing and leaves no
    file behind."""
    with _progress_bar(tr("Publishing…")) as progress, _staged(uploads) as path:
        return publish_upload(engine(), path, upload_name(uploads), details,
                              principal=principal, layer_dir=load_settings().layer_dir,
                              options=options, limits=upload_limits(), progress=progress)


@contextmanager
def _staged(uploads: list[Any]) -> Iterator[Path]:
    """The chosen files copied into a private folder under names the app chose."""
    for upload in uploads:
        upload.seek(0)
    with staged_files([(upload, upload.name) for upload in uploads], incoming_dir(),
                      upload_limits()) as path:
        yield path


def show_report(report: PreflightReport) -> None:
    """The report in words: verdict, errors, warnings, then the figures (the messages and
    the format's name as the layers package writes them, in English)."""
    size = f"{report.size_bytes / 1e6:,.1f} MB" if report.size_bytes else tr("size unknown")
    verdict = tr("can be published") if report.ok else tr("cannot be published as it is")
    st.markdown(tr("**{file}**: {format}, {kind}, {size} — {verdict}.").format(
        file=report.file_name, format=tr(report.format), kind=report.kind, size=size,
        verdict=verdict))
    for text in report.errors:
        st.error(text, icon=":material/error:")
    for text in report.warnings:
        st.warning(text, icon=":material/warning:")
    for text in report.notes:
        st.caption(text)
    if report.layers:
        grid(_layer_table(report), hide_index=True, width="stretch")
    if report.raster is not None:
        _raster_figures(report)


def crs_choice(report: PreflightReport, file_key: str) -> str | None:
    """Ask for a coordinate system when the file (``report`` read with no choices) states
    none: the likely ones, or any EPSG code; the code chosen, or None."""
    missing = any(layer.crs is None for layer in report.layers) or (
        report.raster is not None and report.raster.crs is None)
    if not missing:
        return None
    candidates = [c for layer in report.layers for c in layer.crs_candidates]
    if report.raster is not None:
        candidates += report.raster.crs_candidates
    labels = {f"{c.code} — {c.name} ({c.where})": c.code for c in candidates}
    shown = {label: label for label in labels} | {OTHER_CRS: tr(OTHER_CRS)}
    choice = st.selectbox(tr("Coordinate system of the file"), [*labels, OTHER_CRS], index=None,
                          key=f"{keys.UPLOAD_CRS}_{file_key}", format_func=shown.__getitem__,
                          placeholder=tr("Choose the system the survey used"),
                          help=tr("The file does not say which coordinate system its numbers "
                                  "are in. These would place it somewhere plausible."))
    if choice == OTHER_CRS:
        code = st.text_input(tr("EPSG code"), key=f"{keys.UPLOAD_CRS_TEXT}_{file_key}",
                             placeholder="EPSG:6669")
        return code.strip() or None
    return labels.get(choice) if choice else None


def layer_choice(report: PreflightReport, file_key: str) -> tuple[str, ...] | None:
    """Let the user pick layers when a file has several; None means the usual choice."""
    names = [layer.name for layer in report.layers if layer.name]
    if len(names) < 2:
        return None
    picked = st.multiselect(tr("Layers to publish"), names,
                            key=f"{keys.UPLOAD_LAYERS}_{file_key}",
                            placeholder=tr("The usual choice for this format"),
                            help=tr("Each layer (and each geometry type in it) becomes a layer "
                                    "of its own on the map."))
    return tuple(picked) or None


def fix_choices(report: PreflightReport, file_key: str
                ) -> tuple[bool, bool, tuple[str, str] | None]:
    """Repair invalid geometries? Leave out the features that cannot be drawn? Which of a
    table's two coordinate pairs places the features? Asked only when it matters."""
    repair = True
    if any(layer.invalid_count for layer in report.layers):
        repair = st.checkbox(tr("Repair invalid geometries (shapely make_valid)"), value=True,
                             key=f"{keys.UPLOAD_REPAIR}_{file_key}")
    drop = False
    if any(layer.out_of_range or layer.broken for layer in report.layers):
        drop = st.checkbox(tr("Publish without the features that cannot be drawn "
                              "(coordinates out of range, broken shapes)"), value=False,
                           key=f"{keys.UPLOAD_DROP}_{file_key}")
    return repair, drop, _coordinate_choice(report, file_key)


def _coordinate_choice(report: PreflightReport, file_key: str) -> tuple[str, str] | None:
    """The (x, y) columns to read when a table has two pairs (None: the one read first)."""
    layer = next((la for la in report.layers if la.other_coordinate_columns), None)
    if layer is None or len(layer.coordinate_columns) != 2:
        return None
    first = (layer.coordinate_columns[0], layer.coordinate_columns[1])
    other = (layer.other_coordinate_columns[0], layer.other_coordinate_columns[1])
    chosen = st.radio(tr("Place the features by the columns"), [first, other],
                      format_func=lambda pair: f"{pair[0]} / {pair[1]}", horizontal=True,
                      key=f"{keys.UPLOAD_XY}_{file_key}")
    return None if chosen == first else chosen


def _layer_table(report: PreflightReport) -> pd.DataFrame:
    the_file, not_stated = tr("(the file)"), tr("not stated")
    table = pd.DataFrame([{
        "layer": layer.name or the_file,
        "features": layer.feature_count,
        "geometry": ", ".join(f"{n:,} {t}" for t, n in layer.geometry_types.items()),
        "coordinate system": layer.crs_name or layer.crs or not_stated,
        "invalid": layer.invalid_count,
        "empty": layer.empty_count,
        "out of range": len(layer.out_of_range),
        "cross 180°": layer.crossing_antimeridian,
        "text encoding": layer.encoding or "",
        "fields": ", ".join(layer.fields[:12]) + (" …" if len(layer.fields) > 12 else ""),
    } for layer in report.layers])
    return table.rename(columns={name: tr(label) for name, label in LAYER_COLUMNS.items()})


def _raster_figures(report: PreflightReport) -> None:
    raster = report.raster
    assert raster is not None
    left, middle, right = st.columns(3)
    left.metric(tr("Size (pixels)"), f"{raster.width:,} × {raster.height:,}")
    middle.metric(tr("Bands"), f"{raster.band_count} × {raster.dtype}")
    right.metric(tr("Cloud-optimized"),
                 tr("yes") if raster.is_cog else tr("no (will be converted)"))
    parts = [tr("Coordinate system: **{crs}**").format(
                 crs=raster.crs_name or raster.crs or tr("not stated")),
             tr("no-data value: **{value}**").format(
                 value=raster.nodata if raster.nodata is not None else tr("none")),
             tr("suggested colours: **{colormap}**").format(colormap=raster.suggested_colormap)
             if raster.suggested_colormap else tr("shown as colour imagery")]
    if raster.suggested_stretch:
        low, high = raster.suggested_stretch
        parts.append(tr("stretch **{low} to {high}**").format(low=f"{low:.4g}",
                                                              high=f"{high:.4g}"))
    st.markdown(" · ".join(parts))
    if raster.stats:
        stats = pd.DataFrame([vars(s) for s in raster.stats])
        grid(stats.rename(columns={name: tr(label)
                                           for name, label in BAND_COLUMNS.items()}),
                     hide_index=True, width="stretch")


@contextmanager
def _progress_bar(text: str) -> Iterator[Progress]:
    """A Streamlit progress bar fed by a :data:`Progress` callback (whose words are the layers
    package's); removed afterwards."""
    bar = st.progress(0.0, text=text)

    def update(fraction: float, text: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=text)

    try:
        yield update
    finally:
        bar.empty()
