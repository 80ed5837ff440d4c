"""The rows of a site export, read from the store: the sites and their permitting state on
the selection's as-of date (the change history replayed for a past date)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine

from permits.frames import PermitData
from permits.history import record_as_of
from permits.schedule import derive_milestones
from permits.site_state import site_permit_state
from permits.summary import project_summary
from sites.selection import SiteSelection, export_frame
from store.permits_repo import load_changes, load_permit_data
from store.records import load_sites


@dataclass(frozen=True)
class PermitState:
    """The permitting record on a date: as it stood then, its change history, every
    milestone's derived state, and each site's state in one row."""

    data: PermitData
    changes: pd.DataFrame
    derived: pd.DataFrame
    sites: pd.DataFrame


def permit_state(engine: Engine, as_of: date, today: date) -> PermitState:
    """The record as it stood at the end of ``as_of`` (the history replayed for a past day)."""
    data = load_permit_data(engine)
    changes = load_changes(engine)
    if as_of < today:
        data = record_as_of(data, changes, as_of)
    derived = derive_milestones(data, as_of, today)
    return PermitState(data, changes, derived,
                       site_permit_state(project_summary(derived, data)))


def site_export(engine: Engine, selection: SiteSelection, today: date,
                exported_at: datetime) -> gpd.GeoDataFrame:
    """The selected sites with status, stage, schedule health, next milestone and slip as the
    record stood at the end of ``selection.as_of``."""
    state = permit_state(engine, selection.as_of, today)
    return export_frame(load_sites(engine), state.sites, selection, exported_at)
