"""Download buttons for site exports: beside the map (what the filters show) and on a site's
page (that site). The file is made when asked for, not on every rerun of the page."""

from __future__ import annotations

from datetime import UTC, date, datetime

import streamlit as st

from catalog.briefing import PackOptions, briefing_pack
from domain.colours import STATUS_COLOURS
from domain.settings import DATA_DIR
from layers.export_formats import ExportFile, ExportFormat, export_features
from layers.site_export import SiteSelection
from mapping import state_keys as keys
from mapping.export_api import selected_frame
from mapping.store_access import data_version, engine

LABELS = {ExportFormat.GEOJSON: "GeoJSON", ExportFormat.GPKG: "GeoPackage",
          ExportFormat.CSV: "CSV (spreadsheets)", ExportFormat.KML: "KML (Google Earth)",
          ExportFormat.SHP: "Shapefile (zip)", ExportFormat.PARQUET: "GeoParquet"}


def export_controls(selection: SiteSelection, place: str) -> None:
    """A format choice, "Prepare", then the download of what ``selection`` holds."""
    fmt = ExportFormat(st.selectbox(
        "Export format", [f.value for f in ExportFormat], key=f"{keys.EXPORT_FORMAT}_{place}",
        format_func=lambda v: LABELS[ExportFormat(v)],
        help="The sites as filtered, with their permitting state on the 'View as of' date."))
    if not _can_export(selection):
        return
    ready: dict[str, tuple[object, ExportFile]] = st.session_state.setdefault(
        keys.EXPORT_READY, {})
    wanted = (selection, fmt, data_version())  # an edit or import makes a new file
    prepared = ready.get(place)
    if prepared is None or prepared[0] != wanted:
        if not st.button("Prepare the export", key=f"export_prepare_{place}"):
            return
        prepared = ready[place] = (wanted, site_file(selection, fmt))
    file = prepared[1]
    st.download_button(f"Download {file.file_name}", file.data, file_name=file.file_name,
                       mime=file.media_type, key=f"export_download_{place}",
                       icon=":material/download:")
    for note in file.notes:
        st.caption(note)


def briefing_controls(selection: SiteSelection, place: str) -> None:
    """"Prepare a briefing pack", then its download (a zip)."""
    if not _can_export(selection):
        return
    ready: dict[str, tuple[object, ExportFile]] = st.session_state.setdefault(
        keys.BRIEFING_READY, {})
    wanted = (selection, data_version())
    prepared = ready.get(place)
    if prepared is None or prepared[0] != wanted:
        if not st.button("Prepare a briefing pack", key=f"briefing_prepare_{place}",
                         help="One zip: the sites (GeoJSON, CSV), their permit timetables, "
                              "the last 90 days of changes, a map picture, the survey layers' "
                              "metadata and a README with the filters, date and sources."):
            return
        options = PackOptions(basemap=DATA_DIR / "basemap" / "countries-50m.geojson",
                              colours=STATUS_COLOURS)
        with st.spinner("Making the briefing pack…"):
            pack = briefing_pack(engine(), selection, date.today(), datetime.now(UTC), options)
        prepared = ready[place] = (wanted, pack)
    st.download_button(f"Download {prepared[1].file_name}", prepared[1].data,
                       file_name=prepared[1].file_name, mime="application/zip",
                       key=f"briefing_download_{place}", icon=":material/folder_zip:")


def _can_export(selection: SiteSelection) -> bool:
    """Exports carry the record as it stood on a past day or today (as the URL and the
    command line do); a later 'View as of' date is a projection, so it says so."""
    if selection.as_of <= date.today():
        return True
    st.caption("Exports hold the record as it stood on a past day or today; set 'View as of' "
               "to today or earlier to export.")
    return False


def site_file(selection: SiteSelection, fmt: ExportFormat) -> ExportFile:
    """The export file of a selection, from the same cached data the pages and the URL use."""
    return export_features(selected_frame(selection), fmt, stem=selection.file_stem())
