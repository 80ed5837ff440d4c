"""Site exports and briefing packs made from the same cached site table and permitting figures
the pages use: for the export buttons and for ``/api/sites.{format}`` and ``/api/briefing.zip``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from exports.export_file import ExportFile, ExportFormat
from mapping.cached import cached_sites
from mapping.permit_cache import projects_for
from mapping.store_access import engine
from permits.as_of import sites_on
from sites.selection import SiteSelection, export_frame

if TYPE_CHECKING:
    from layers.features import Features

# The writers are imported when a file is asked for: every map page imports this module for
# its export buttons, and most never export. GeoJSON and CSV load neither geopandas nor GDAL;
# the other formats (and a briefing pack's picture) do.


def selected_frame(selection: SiteSelection) -> Features:
    """The selected sites with their permitting state on the selection's date (cached per
    data revision and date, as on the pages)."""
    state = sites_on(projects_for(selection.as_of))
    return export_frame(cached_sites(), state, selection, datetime.now(UTC))


def sites_file(selection: SiteSelection, fmt: ExportFormat) -> ExportFile:
    """The export file of a selection, named after what it holds."""
    from exports.formats import export_features

    return export_features(selected_frame(selection), fmt, stem=selection.file_stem())


def briefing_file(selection: SiteSelection) -> ExportFile:
    """The briefing pack of a selection; its picture frames the selection's extent when it
    has one (the map's view), else its sites."""
    from services.briefing import PackOptions, briefing_pack

    return briefing_pack(engine(), selection, date.today(), datetime.now(UTC),
                         PackOptions.bundled())
