"""Download buttons for site exports: beside the map (what the filters show) and on a site's
page (that site). The file is made when asked for, not on every rerun of the page; the
"Prepare" button and the download share one slot, so the one replaces the other.

Each file is made for the signed-in person (only what their clearance reaches, audited as an
export); a refusal is shown as the page's plain message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from domain.access import Principal
from domain.i18n import N_, current_language, tr
from exports.export_file import ExportFile, ExportFormat
from exports.output_crs import OFFERED, WGS84_ONLY, WGS84_OUTPUT, OutputCrs, output_crs
from mapping import state_keys as keys
from mapping.access_state import current_principal
from mapping.cached import cached_layers
from mapping.export_files import briefing_file, sites_file
from mapping.page_errors import show_user_errors
from mapping.store_access import data_version
from mapping.webmap.site_map import FUTURE_EXPORT
from sites.selection import SiteSelection

CRS_HELP = N_("The coordinates' system. GeoPackage, Shapefile and GeoParquet state it in the "
            "file; CSV keeps lon/lat (WGS 84) and adds x_epsg<code> and y_epsg<code> columns "
            "(eastings and northings in metres for the plane rectangular and UTM zones). "
            "GeoJSON and KML are always WGS 84.")
PACK_HELP = N_("One zip: the sites (GeoJSON, CSV), their permit timetables, the last 90 days of "
             "changes, a map picture, the survey layers' metadata and a README with the "
             "filters, date and sources.")


def export_controls(selection: SiteSelection, place: str, with_pack: bool = False,
                    principal: Principal | None = None) -> None:
    """A format choice, "Prepare the export", then the download of what ``selection`` holds;
    with ``with_pack`` also "Prepare a briefing pack". A later 'View as of' date than today
    is a projection: it says so once, instead of the buttons. The files are made for
    ``principal`` (the page's signed-in person when not given)."""
    if selection.as_of > date.today():
        st.caption(tr(FUTURE_EXPORT))
        return
    who = principal or current_principal()
    fmt = ExportFormat(st.selectbox(
        tr("Export format"), [f.value for f in ExportFormat],
        key=f"{keys.EXPORT_FORMAT}_{place}", format_func=lambda v: ExportFormat(v).label,
        help=tr("The sites as filtered, with their permitting state on the 'View as of' "
                "date.")))
    crs = _crs_choice(place, fmt)
    grids = _grid_choice(place, who)
    _prepared_download(keys.EXPORT_READY, place, (selection, fmt, grids, crs, who),
                       tr("Prepare the export"), None,
                       lambda: sites_file(selection, fmt, principal=who, grids=grids, crs=crs))
    if with_pack:
        _prepared_download(keys.BRIEFING_READY, place, (selection, who),
                           tr("Prepare a briefing pack"), tr(PACK_HELP),
                           lambda: briefing_file(selection, principal=who))


def _crs_choice(place: str, fmt: ExportFormat) -> OutputCrs:
    """The output coordinate system (default WGS 84); fixed at WGS 84 for GeoJSON and KML,
    which know no other."""
    wgs84_only = fmt in WGS84_ONLY
    code = st.selectbox(
        tr("Coordinate system"), [c.code for c in OFFERED], key=f"{keys.EXPORT_CRS}_{place}",
        format_func=lambda c: output_crs(c).label, disabled=wgs84_only, help=tr(CRS_HELP))
    return WGS84_OUTPUT if wgs84_only else output_crs(code)


def _grid_choice(place: str, principal: Principal) -> tuple[str, ...]:
    """The raster survey layers whose value at each site the export adds as a column (none
    offered when no grid is published)."""
    rasters = {r.id: r.name for r in cached_layers(principal) if r.kind == "raster"}
    if not rasters:
        return ()
    chosen = st.multiselect(
        tr("Add values from survey grids"), list(rasters), key=f"{keys.EXPORT_GRIDS}_{place}",
        format_func=rasters.__getitem__, placeholder=tr("None"),
        help=tr("Each grid's value at each site becomes a column (grid_<layer name>); empty "
                "where a site has no position or lies outside the grid. A marked grid marks "
                "the export."))
    return tuple(chosen)


def _prepared_download(state_key: str, place: str, wanted: tuple[object, ...], prepare: str,
                       help_text: str | None, make: Callable[[], ExportFile]) -> None:
    """The download of the file ``make`` gives, once asked for; a file made for another
    selection, format or data revision (an edit, an import) is never offered."""
    ready: dict[str, tuple[object, ExportFile]] = st.session_state.setdefault(state_key, {})
    key = (*wanted, data_version(), current_language())  # notes and README in its words
    slot = st.empty()
    prepared = ready.get(place)
    if prepared is None or prepared[0] != key:
        if not slot.button(prepare, key=f"{state_key}_prepare_{place}", help=help_text):
            return
        made = None
        with st.spinner(tr("Making the file…")), show_user_errors():
            made = (key, make())
        if made is None:
            return  # refused: show_user_errors said why
        prepared = ready[place] = made
    file = prepared[1]
    # "ignore": downloading is not a reason to run the page again
    slot.download_button(tr("Download {file}").format(file=file.file_name), file.data,
                         file_name=file.file_name,
                         mime=file.media_type, key=f"{state_key}_download_{place}",
                         on_click="ignore", icon=":material/download:")
    for note in file.notes:
        st.caption(note)
