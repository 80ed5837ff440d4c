"""The parameters of ``GET /api/sites.{format}`` and ``GET /api/briefing.zip`` read into a
format and a site selection; the files come from :mod:`mapping.export_files`."""

from __future__ import annotations

from datetime import date

from domain.errors import InputError, NotFoundError
from exports.export_file import ExportFormat
from mapping.cached import cached_sites
from sites.selection import SiteSelection, parse_selection

FORMATS_BY_SUFFIX = {f.url_suffix: f for f in ExportFormat}


def format_for(suffix: str) -> ExportFormat:
    """The export format a URL ends in (``sites.gpkg``); NotFoundError lists the others."""
    if suffix not in FORMATS_BY_SUFFIX:
        raise NotFoundError(f"No export format {suffix!r}: ask for "
                            f"{', '.join('/api/sites.' + s for s in FORMATS_BY_SUFFIX)}.")
    return FORMATS_BY_SUFFIX[suffix]


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
