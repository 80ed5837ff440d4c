"""Download buttons for site exports: beside the map (what the filters show) and on a site's
page (that site). The file is made when asked for, not on every rerun of the page."""

from __future__ import annotations

import streamlit as st

from layers.export_formats import ExportFile, ExportFormat, export_features
from layers.site_export import SiteSelection
from mapping import state_keys as keys
from mapping.export_api import selected_frame

LABELS = {ExportFormat.GEOJSON: "GeoJSON", ExportFormat.GPKG: "GeoPackage",
          ExportFormat.CSV: "CSV (spreadsheets)", ExportFormat.KML: "KML (Google Earth)",
          ExportFormat.SHP: "Shapefile (zip)", ExportFormat.PARQUET: "GeoParquet"}


def export_controls(selection: SiteSelection, place: str) -> None:
    """A format choice, "Prepare", then the download of what ``selection`` holds."""
    fmt = ExportFormat(st.selectbox(
        "Export format", [f.value for f in ExportFormat], key=f"{keys.EXPORT_FORMAT}_{place}",
        format_func=lambda v: LABELS[ExportFormat(v)],
        help="The sites as filtered, with their permitting state on the 'View as of' date."))
    ready: dict[str, tuple[SiteSelection, ExportFormat, ExportFile]] = \
        st.session_state.setdefault(keys.EXPORT_READY, {})
    prepared = ready.get(place)
    if prepared is None or prepared[:2] != (selection, fmt):
        if st.button("Prepare the export", key=f"export_prepare_{place}"):
            ready[place] = (selection, fmt, site_file(selection, fmt))
            prepared = ready[place]
        else:
            return
    file = prepared[2]
    st.download_button(f"Download {file.file_name}", file.data, file_name=file.file_name,
                       mime=file.media_type, key=f"export_download_{place}",
                       icon=":material/download:")
    for note in file.notes:
        st.caption(note)


def site_file(selection: SiteSelection, fmt: ExportFormat) -> ExportFile:
    """The export file of a selection, from the same cached data the pages and the URL use."""
    return export_features(selected_frame(selection), fmt, stem=selection.file_stem())
