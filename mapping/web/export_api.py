"""The parameters of ``GET /api/sites.{format}`` and ``GET /api/briefing.zip`` read into a
format, a site selection, the survey grids whose values become columns (``grid=``) and the
output coordinate system (``crs=EPSG:6677``, :mod:`exports.output_crs`); the
files come from :mod:`mapping.export_files`, which take the request's principal
(:func:`mapping.access_state.request_principal`) to check and audit them.

``token`` (a personal API token given in the URL, read by ``mapping.access_state``) is not a
filter and is left out of the selection."""

from __future__ import annotations

from datetime import date

from domain.access import Principal
from domain.errors import InputError, NotFoundError
from domain.i18n import tr
from exports.export_file import ExportFormat
from exports.output_crs import OutputCrs, output_crs
from mapping.cached import cached_sites
from sites.selection import SiteSelection, parse_selection

FORMATS_BY_SUFFIX = {f.url_suffix: f for f in ExportFormat}
CREDENTIALS = frozenset({"token"})  # read by mapping.access_state, never a filter
GRID = "grid"  # survey-grid columns of a site export (raster layer ids), not a filter
CRS = "crs"  # the site export's output coordinate system, not a filter


def format_for(suffix: str) -> ExportFormat:
    """The export format a URL ends in (``sites.gpkg``); NotFoundError lists the others."""
    if suffix not in FORMATS_BY_SUFFIX:
        raise NotFoundError(tr("No export format {suffix}: ask for {urls}.").format(
            suffix=repr(suffix), urls=", ".join("/api/sites." + s for s in FORMATS_BY_SUFFIX)))
    return FORMATS_BY_SUFFIX[suffix]


def grids_from(params: list[tuple[str, str]]) -> tuple[str, ...]:
    """The raster layers whose values the export adds as columns: ``grid=a,b`` (ids)."""
    from services.grid_columns import parse_grid_ids

    return parse_grid_ids(",".join(value for name, value in params if name == GRID))


def crs_from(params: list[tuple[str, str]]) -> OutputCrs:
    """The output coordinate system ``crs=`` names (default WGS 84); InputError (400) for one
    not offered, or given twice."""
    given = [value for name, value in params if name == CRS]
    if len(given) > 1:
        raise InputError(tr("crs given more than once: give one coordinate system "
                            "(crs=EPSG:6677)."))
    return output_crs(given[0] if given else None)


def refuse_grids(params: list[tuple[str, str]], what: str) -> None:
    """InputError when ``grid=`` or ``crs=`` is given where it adds nothing (``what``: a
    briefing pack, whose files are GeoJSON and CSV in WGS 84; marked with ``N_`` by the
    caller, translated here)."""
    if any(name == GRID for name, _ in params):
        raise InputError(tr("grid= adds survey-grid columns to a site export "
                            "(/api/sites.csv?grid=LAYER); {what} does not take it.").format(
                                what=tr(what)))
    if any(name == CRS for name, _ in params):
        raise InputError(tr("crs= chooses the coordinate system of a site export "
                            "(/api/sites.gpkg?crs=EPSG:6677); {what} is in WGS 84 and does not "
                            "take it.").format(what=tr(what)))


def selection_from(params: dict[str, str] | list[tuple[str, str]], today: date,
                   principal: Principal) -> SiteSelection:
    """The URL's parameters (pairs, as sent) as a selection; InputError names a bad one,
    and a parameter given twice (several values go in one, comma-separated). The countries
    offered are those of the sites ``principal`` may see."""
    if isinstance(params, list):
        params = [(name, value) for name, value in params if name not in CREDENTIALS]
        names = [name for name, _ in params]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise InputError(tr("{names} given more than once: give each parameter once; "
                                "several commodities, stages, statuses or countries go in one, "
                                "separated by commas (commodity=Li,REE).").format(
                                    names=", ".join(twice)))
        params = dict(params)
    params = {name: value for name, value in params.items()
              if name not in CREDENTIALS | {GRID, CRS}}
    countries = tuple(sorted(cached_sites(principal)["country"].dropna().unique()))
    return parse_selection(params, today, countries)
