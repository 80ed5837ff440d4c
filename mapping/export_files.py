"""Site exports and briefing packs made from the same cached site table and permitting figures
the pages use: for the export buttons and for ``/api/sites.{format}`` and ``/api/briefing.zip``.

Each takes the person asking (``mapping.access_state``: the page's or the request's): a role
that may export, only the sites their clearance reaches, and one audit row per file made."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from domain.access import Action, Principal
from domain.settings import load_settings
from exports.export_file import ExportFile, ExportFormat
from exports.output_crs import WGS84_OUTPUT, OutputCrs, refuse_crs
from mapping.cached import cached_sites
from mapping.permit_cache import projects_for
from mapping.store_access import engine
from permits.as_of import sites_on
from services.grid_columns import grid_layers, with_grid_values
from services.site_export import (
    format_detail,
    grid_detail,
    record_release,
    released_marking,
    selection_target,
)
from sites.selection import SiteSelection, export_frame
from store.acting import require

if TYPE_CHECKING:
    from layers.features import Features

# The writers are imported when a file is asked for: every map page imports this module for
# its export buttons, and most never export. GeoJSON and CSV load neither geopandas nor GDAL;
# the other formats (and a briefing pack's picture) do.


def selected_frame(selection: SiteSelection, principal: Principal) -> Features:
    """The selected sites ``principal`` may see, with their permitting state on the
    selection's date (cached per data revision and date, as on the pages)."""
    state = sites_on(projects_for(selection.as_of))
    return export_frame(cached_sites(principal), state, selection, datetime.now(UTC))


def sites_file(selection: SiteSelection, fmt: ExportFormat, *, principal: Principal,
               grids: Sequence[str] = (), crs: OutputCrs = WGS84_OUTPUT) -> ExportFile:
    """The export file of a selection, named after what it holds, with a column per survey
    grid in ``grids`` (raster layer ids), in the coordinate system ``crs``
    (:mod:`exports.output_crs`; UnsupportedFormat for GeoJSON or KML in another than WGS 84,
    before any work); audited as an "export"."""
    from exports.formats import export_features

    refuse_crs(fmt, crs)
    require(engine(), principal, Action.EXPORT, "export", selection_target(selection))
    records = grid_layers(engine(), grids, principal)
    features = selected_frame(selection, principal)
    if records:
        features = with_grid_values(features, records, load_settings().layer_dir)
    file = export_features(features, fmt, stem=selection.file_stem(),
                           marking=released_marking(features), crs=crs)
    record_release(engine(), principal, "export", selection, features,
                   cached_sites(principal), grid_detail(format_detail(fmt.value, crs), records))
    return file


def briefing_file(selection: SiteSelection, *, principal: Principal) -> ExportFile:
    """The briefing pack of a selection; its picture frames the selection's extent when it
    has one (the map's view), else its sites. Checked and audited by the pack's maker."""
    from services.briefing import PackOptions, briefing_pack

    return briefing_pack(engine(), selection, date.today(), datetime.now(UTC),
                         PackOptions.bundled(), principal=principal)


def chokepoints_file(as_of: date, projected: bool, *, principal: Principal) -> ExportFile:
    """The chokepoint table as CSV over the sites ``principal`` may see; checked and
    audited by the table's maker."""
    from services.chokepoints import chokepoints

    result = chokepoints(engine(), as_of, max(as_of, date.today()), principal=principal,
                         projected=projected)
    return ExportFile(result.csv(), result.file_name(), "text/csv; charset=utf-8", [])
