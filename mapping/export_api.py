"""``GET /api/sites.geojson``: the sites a tool asks for, as RFC 7946 GeoJSON, from the same
cached site table and permitting figures the pages use."""

from __future__ import annotations

from datetime import UTC, date, datetime

import geopandas as gpd

from domain.errors import InputError
from layers.site_export import SiteSelection, export_frame, parse_selection
from mapping.cached import cached_sites
from mapping.permit_cache import projects_for
from permits.site_state import site_permit_state


def selection_from(params: dict[str, str] | list[tuple[str, str]],
                   today: date) -> SiteSelection:
    """The URL's parameters (pairs, as sent) as a selection; InputError names a bad one,
    and a parameter given twice (several values go in one, comma-separated)."""
    if isinstance(params, list):
        names = [name for name, _ in params]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise InputError(f"{', '.join(twice)} given more than once: put several values in "
                             "one, separated by commas (commodity=Li,REE).")
        params = dict(params)
    countries = tuple(sorted(cached_sites()["country"].dropna().unique()))
    return parse_selection(params, today, countries)


def selected_frame(selection: SiteSelection) -> gpd.GeoDataFrame:
    """The selected sites with their permitting state on the selection's date (cached per
    data revision and date, as on the pages)."""
    state = site_permit_state(projects_for(selection.as_of))
    return export_frame(cached_sites(), state, selection, datetime.now(UTC))
