"""The rows of a site export, read from the store: the sites and their permitting state on
the selection's as-of date (the change history replayed for a past date).

Exports release data, so each one is checked and audited here: the person asking needs a role
that may export, receives only the sites whose handling marking their clearance reaches, and
the audit trail records what filter, how many records and which marking left.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
from sqlalchemy import Engine

from domain.access import Action, Principal
from domain.errors import InputError
from domain.i18n import tr
from exports.output_crs import OutputCrs
from layers.features import Features
from permits.as_of import PermitState, state_on
from services.grid_columns import grid_layers, with_grid_values
from sites.selection import SiteSelection, export_frame
from sites.visibility import visible_sites
from store.acting import marking_of, require
from store.audit import record_now
from store.layer_repo import LayerRecord
from store.markings import attribute_marks
from store.permits_repo import load_changes, load_permit_data
from store.records import load_sites


def permit_state(engine: Engine, as_of: date, today: date) -> PermitState:
    """The stored record as it stood at the end of ``as_of``, with its history and figures."""
    return state_on(load_permit_data(engine), load_changes(engine), as_of, today)


def site_export(engine: Engine, selection: SiteSelection, today: date,
                exported_at: datetime, *, principal: Principal, detail: str = "",
                grids: Sequence[str] = (), layer_dir: Path | None = None) -> Features:
    """The selected sites with status, stage, schedule health, next milestone and slip as the
    record stood at the end of ``selection.as_of``: those ``principal`` may see, audited as an
    "export" (``detail``: the format, say). ``grids``: raster layers (ids, their files in
    ``layer_dir``) whose value at each site becomes a column
    (:func:`services.grid_columns.with_grid_values`)."""
    require(engine, principal, Action.EXPORT, "export", selection_target(selection))
    records = grid_layers(engine, grids, principal)
    state = permit_state(engine, selection.as_of, today)
    sites = readable_sites(engine, principal)
    features = export_frame(sites, state.sites, selection, exported_at)
    if records:
        assert layer_dir is not None, "survey grids need the folder of their files"
        features = with_grid_values(features, records, layer_dir)
    record_release(engine, principal, "export", selection, features, sites,
                   grid_detail(detail, records))
    return features


def format_detail(fmt: str, crs: OutputCrs) -> str:
    """The audit detail of a file's format, with its coordinate system when not WGS 84.

    >>> from exports.output_crs import output_crs
    >>> format_detail("gpkg", output_crs("EPSG:6677")), format_detail("csv", output_crs(None))
    ('gpkg; EPSG:6677', 'csv')
    """
    return fmt if crs.is_wgs84 else f"{fmt}; {crs.srs}"


def grid_detail(detail: str, records: Sequence[LayerRecord]) -> str:
    """The audit detail of an export with survey-grid columns: ``csv; grids: Magnetics``."""
    if not records:
        return detail
    grids = "grids: " + ", ".join(r.name for r in records)
    return f"{detail}; {grids}" if detail else grids


def readable_sites(engine: Engine, principal: Principal) -> pd.DataFrame:
    """The stored sites as ``principal`` may receive them: those their clearance reaches,
    attributes marked above it withheld (:func:`sites.visibility.visible_sites`)."""
    return visible_sites(load_sites(engine), attribute_marks(engine, "site"),
                         principal.clearance)


def released_marking(features: Features) -> str:
    """The highest handling marking of what an export holds (its rows' ``marking``): the
    line its file starts with."""
    columns = features.columns
    return marking_of(columns["marking"] if "marking" in columns.columns else None)


def selection_target(selection: SiteSelection) -> str:
    """The selection in its one URL form (``commodity=Li&as_of=2026-06-30``), with the site
    ids of a one-site export, for the audit trail.

    >>> from sites.filters import SiteFilter
    >>> selection_target(SiteSelection(SiteFilter(site_ids=("us-alpha",)), date(2026, 6, 30)))
    'as_of=2026-06-30&site=us-alpha'
    """
    params = selection.url_params()
    if selection.filter.site_ids:
        params["site"] = ",".join(selection.filter.site_ids)
    return urlencode(params, safe=",")


def record_release(engine: Engine, principal: Principal, action: str,
                   selection: SiteSelection, features: Features, sites: pd.DataFrame,
                   detail: str = "", also_marked: tuple[str, ...] = ()) -> None:
    """One audit row for a release of sites: the selection's URL form, how many records,
    the highest marking among them (read from ``sites``, the table they were taken from)
    and ``also_marked`` (the markings of what else left with them: a pack's layers)."""
    columns = features.columns
    if "marking" in columns.columns:
        markings: pd.Series | None = columns["marking"]
    elif {"id", "marking"} <= set(sites.columns) and "id" in columns.columns:
        markings = sites.loc[sites["id"].isin(columns["id"]), "marking"]
    else:
        markings = None
    record_now(engine, principal, action, target=selection_target(selection),
               detail=detail, records=len(features.columns),
               marking=marking_of([*([] if markings is None else markings.tolist()),
                                   *also_marked]))


def change_history(engine: Engine, *, principal: Principal,
                   site_id: str | None = None) -> pd.DataFrame:
    """The change history, oldest first: all of it (a role that may see the full history:
    admin), or one site's projects (a role that may export); audited as an "export"."""
    target = f"change history of site {site_id}" if site_id else "full change history"
    require(engine, principal, Action.EXPORT if site_id else Action.FULL_HISTORY, "export",
            target)
    project_ids = None
    if site_id:
        projects = load_permit_data(engine).projects
        seen = site_id in set(readable_sites(engine, principal)["id"])
        project_ids = projects.loc[projects["site_id"] == site_id, "project_id"].tolist()
        if not project_ids or not seen:  # a site it may not see has no record for it
            raise InputError(tr("Site {site} has no permitting record.").format(site=repr(site_id)))
    changes = load_changes(engine, project_ids)
    record_now(engine, principal, "export", target=target, detail="change history",
               records=len(changes))
    return changes
