"""The rows of a site export, read from the store: the sites and their permitting state on
the selection's as-of date (the change history replayed for a past date)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine

from layers.features import Features
from permits.as_of import PermitState, state_on
from sites.selection import SiteSelection, export_frame
from store.permits_repo import load_changes, load_permit_data
from store.records import load_sites


def permit_state(engine: Engine, as_of: date, today: date) -> PermitState:
    """The stored record as it stood at the end of ``as_of``, with its history and figures."""
    return state_on(load_permit_data(engine), load_changes(engine), as_of, today)


def site_export(engine: Engine, selection: SiteSelection, today: date,
                exported_at: datetime) -> Features:
    """The selected sites with status, stage, schedule health, next milestone and slip as the
    record stood at the end of ``selection.as_of``."""
    state = permit_state(engine, selection.as_of, today)
    return export_frame(load_sites(engine), state.sites, selection, exported_at)
