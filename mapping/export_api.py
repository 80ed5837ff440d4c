"""``GET /api/sites.geojson``: the sites a tool asks for, as RFC 7946 GeoJSON, from the same
cached site table and permitting figures the pages use."""

from __future__ import annotations

from datetime import UTC, date, datetime

import geopandas as gpd

from layers.site_export import SiteSelection, export_frame, parse_selection
from mapping.cached import cached_sites
from mapping.permit_cache import projects_for
from permits.site_state import site_permit_state


def selection_from(params: dict[str, str], today: date) -> SiteSelection:
    """The URL's parameters as a selection; InputError names a bad one."""
    countries = tuple(sorted(cached_sites()["country"].dropna().unique()))
    return parse_selection(params, today, countries)


def selected_frame(selection: SiteSelection) -> gpd.GeoDataFrame:
    """The selected sites with their permitting state on the selection's date (cached per
    data revision and date, as on the pages)."""
    state = site_permit_state(projects_for(selection.as_of))
    return export_frame(cached_sites(), state, selection, datetime.now(UTC))
