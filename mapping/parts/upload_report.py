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
from domain.settings import load_settings
from layers.limits import UploadLimits
from layers.preflight import inspect_upload
from layers.preflight_report import PreflightReport
from layers.staging import display_name, staged_files
from layers.upload_formats import Progress
from layers.vector_read import VectorOptions
from mapping import state_keys as keys
from mapping.store_access import engine
from services.publishing import INCOMING, LayerDetails, publish_upload
from store.layer_repo import LayerRecord

OTHER_CRS = "another code…"


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
        with _progress_bar("Checking") as progress, _staged(uploads) as path:
            reports[key] = inspect_upload(path, upload_name(uploads), options,
                                          upload_limits(), progress).report
    return reports[key]


def publish(uploads: list[Any], details: LayerDetails, options: VectorOptions, *,
            principal: Principal) -> list[LayerRecord]:
    """Publish the uploaded file as ``principal``; a failure stores nothing and leaves no
    file behind."""
    with _progress_bar("Publishing") as progress, _staged(uploads) as path:
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
    """The report in words: verdict, errors, warnings, then the figures."""
    size = f"{report.size_bytes / 1e6:,.1f} MB" if report.size_bytes else "size unknown"
    verdict = "can be published" if report.ok else "cannot be published as it is"
    st.markdown(f"**{report.file_name}**: {report.format}, {report.kind}, {size} — {verdict}.")
    for text in report.errors:
        st.error(text, icon=":material/error:")
    for text in report.warnings:
        st.warning(text, icon=":material/warning:")
    for text in report.notes:
        st.caption(text)
    if report.layers:
        st.dataframe(_layer_table(report), hide_index=True, width="stretch")
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
    choice = st.selectbox("Coordinate system of the file", [*labels, OTHER_CRS], index=None,
                          key=f"{keys.UPLOAD_CRS}_{file_key}",
                          placeholder="Choose the system the survey used",
                          help="The file does not say which coordinate system its numbers are "
                               "in. These would place it somewhere plausible.")
    if choice == OTHER_CRS:
        code = st.text_input("EPSG code", key=f"{keys.UPLOAD_CRS_TEXT}_{file_key}",
                             placeholder="EPSG:6669")
        return code.strip() or None
    return labels.get(choice) if choice else None


def layer_choice(report: PreflightReport, file_key: str) -> tuple[str, ...] | None:
    """Let the user pick layers when a file has several; None means the usual choice."""
    names = [layer.name for layer in report.layers if layer.name]
    if len(names) < 2:
        return None
    picked = st.multiselect("Layers to publish", names, key=f"{keys.UPLOAD_LAYERS}_{file_key}",
                            placeholder="The usual choice for this format",
                            help="Each layer (and each geometry type in it) becomes a layer of "
                                 "its own on the map.")
    return tuple(picked) or None


def fix_choices(report: PreflightReport, file_key: str
                ) -> tuple[bool, bool, tuple[str, str] | None]:
    """Repair invalid geometries? Leave out the features that cannot be drawn? Which of a
    table's two coordinate pairs places the features? Asked only when it matters."""
    repair = True
    if any(layer.invalid_count for layer in report.layers):
        repair = st.checkbox("Repair invalid geometries (shapely make_valid)", value=True,
                             key=f"{keys.UPLOAD_REPAIR}_{file_key}")
    drop = False
    if any(layer.out_of_range or layer.broken for layer in report.layers):
        drop = st.checkbox("Publish without the features that cannot be drawn (coordinates "
                           "out of range, broken shapes)", value=False,
                           key=f"{keys.UPLOAD_DROP}_{file_key}")
    return repair, drop, _coordinate_choice(report, file_key)


def _coordinate_choice(report: PreflightReport, file_key: str) -> tuple[str, str] | None:
    """The (x, y) columns to read when a table has two pairs (None: the one read first)."""
    layer = next((la for la in report.layers if la.other_coordinate_columns), None)
    if layer is None or len(layer.coordinate_columns) != 2:
        return None
    first = (layer.coordinate_columns[0], layer.coordinate_columns[1])
    other = (layer.other_coordinate_columns[0], layer.other_coordinate_columns[1])
    chosen = st.radio("Place the features by the columns", [first, other],
                      format_func=lambda pair: f"{pair[0]} / {pair[1]}", horizontal=True,
                      key=f"{keys.UPLOAD_XY}_{file_key}")
    return None if chosen == first else chosen


def _layer_table(report: PreflightReport) -> pd.DataFrame:
    return pd.DataFrame([{
        "layer": layer.name or "(the file)",
        "features": layer.feature_count,
        "geometry": ", ".join(f"{n:,} {t}" for t, n in layer.geometry_types.items()),
        "coordinate system": layer.crs_name or layer.crs or "not stated",
        "invalid": layer.invalid_count,
        "empty": layer.empty_count,
        "out of range": len(layer.out_of_range),
        "cross 180°": layer.crossing_antimeridian,
        "text encoding": layer.encoding or "",
        "fields": ", ".join(layer.fields[:12]) + (" …" if len(layer.fields) > 12 else ""),
    } for layer in report.layers])


def _raster_figures(report: PreflightReport) -> None:
    raster = report.raster
    assert raster is not None
    left, middle, right = st.columns(3)
    left.metric("Size (pixels)", f"{raster.width:,} × {raster.height:,}")
    middle.metric("Bands", f"{raster.band_count} × {raster.dtype}")
    right.metric("Cloud-optimized", "yes" if raster.is_cog else "no (will be converted)")
    st.markdown(f"Coordinate system: **{raster.crs_name or raster.crs or 'not stated'}** · "
                f"no-data value: **{raster.nodata if raster.nodata is not None else 'none'}**"
                + (f" · suggested colours: **{raster.suggested_colormap}**"
                   if raster.suggested_colormap else " · shown as colour imagery")
                + (f" · stretch **{raster.suggested_stretch[0]:.4g} to "
                   f"{raster.suggested_stretch[1]:.4g}**" if raster.suggested_stretch else ""))
    if raster.stats:
        st.dataframe(pd.DataFrame([vars(s) for s in raster.stats]), hide_index=True,
                     width="stretch")


@contextmanager
def _progress_bar(verb: str) -> Iterator[Progress]:
    """A Streamlit progress bar fed by a :data:`Progress` callback; removed afterwards."""
    bar = st.progress(0.0, text=f"{verb}…")

    def update(fraction: float, text: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=text)

    try:
        yield update
    finally:
        bar.empty()
