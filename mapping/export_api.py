"""``GET /api/sites.{format}`` and ``GET /api/briefing.zip``: the sites a tool asks for, in any
export format, or a briefing pack of them, from the same cached site table and permitting
figures the pages use."""

from __future__ import annotations

from datetime import UTC, date, datetime

import geopandas as gpd

from catalog.briefing import PackOptions, briefing_pack
from domain.errors import InputError, NotFoundError
from layers.export_formats import ExportFile, ExportFormat, export_features
from layers.site_export import SiteSelection, export_frame, parse_selection
from mapping.cached import cached_sites
from mapping.permit_cache import projects_for
from mapping.store_access import engine
from permits.site_state import site_permit_state

FORMATS_BY_SUFFIX = {f.url_suffix: f for f in ExportFormat}


def format_for(suffix: str) -> ExportFormat:
    """The export format a URL ends in (``sites.gpkg``); NotFoundError lists the others."""
    try:
        return FORMATS_BY_SUFFIX[suffix]
    except KeyError:
        raise NotFoundError(
            f"No export format {suffix!r}: ask for "
            f"{', '.join('/api/sites.' + s for s in FORMATS_BY_SUFFIX)}.") from None


def selection_from(params: dict[str, str] | list[tuple[str, str]],
                   today: date) -> SiteSelection:
    """The URL's parameters (pairs, as sent) as a selection; InputError names a bad one,
    and a parameter given twice (several values go in one, comma-separated)."""
    if isinstance(params, list):
        names = [name for name, _ in params]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise InputError(f"{', '.join(twice)} given more than once: give each parameter "
                             "once; several commodities, stages, statuses or countries go in "
                             "one, separated by commas (commodity=Li,REE).")
        params = dict(params)
    countries = tuple(sorted(cached_sites()["country"].dropna().unique()))
    return parse_selection(params, today, countries)


def selected_frame(selection: SiteSelection) -> gpd.GeoDataFrame:
    """The selected sites with their permitting state on the selection's date (cached per
    data revision and date, as on the pages)."""
    state = site_permit_state(projects_for(selection.as_of))
    return export_frame(cached_sites(), state, selection, datetime.now(UTC))


def sites_file(selection: SiteSelection, fmt: ExportFormat) -> ExportFile:
    """The export file of a selection, named after what it holds."""
    return export_features(selected_frame(selection), fmt, stem=selection.file_stem())


def briefing_file(selection: SiteSelection) -> ExportFile:
    """The briefing pack of a selection; its picture frames the selection's extent when it
    has one (the map's view), else its sites."""
    return briefing_pack(engine(), selection, date.today(), datetime.now(UTC),
                         PackOptions.bundled())
