"""The rows of a site export, read from the store: the sites and their permitting state on
the selection's as-of date (the change history replayed for a past date)."""

from __future__ import annotations

from datetime import date, datetime

import geopandas as gpd
from sqlalchemy import Engine

from layers.site_export import SiteSelection, export_frame
from permits.history import record_as_of
from permits.schedule import derive_milestones
from permits.site_state import site_permit_state
from permits.summary import project_summary
from store.permits_repo import load_changes, load_permit_data
from store.records import load_sites


def site_export(engine: Engine, selection: SiteSelection, today: date,
                exported_at: datetime) -> gpd.GeoDataFrame:
    """The selected sites with status, stage, schedule health, next milestone and slip as the
    record stood at the end of ``selection.as_of``."""
    data = load_permit_data(engine)
    if selection.as_of < today:
        data = record_as_of(data, load_changes(engine), selection.as_of)
    derived = derive_milestones(data, selection.as_of, today)
    state = site_permit_state(project_summary(derived, data))
    return export_frame(load_sites(engine), state, selection, exported_at)
