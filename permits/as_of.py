"""The permitting record on a date, step by step: the record as it stood, every milestone's
derived state, each project's figures, each site's state. Callers that cache may run the steps
one by one; the others take :func:`state_on`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from permits.frames import PermitData
from permits.history import record_as_of
from permits.schedule import derive_milestones
from permits.site_state import site_permit_state
from permits.summary import project_summary


@dataclass(frozen=True)
class PermitState:
    """The record on a date: as it stood then, its change history, every milestone's derived
    state, one row per project (:func:`projects_on`) and one row per site (:func:`sites_on`)."""

    as_of: date
    data: PermitData
    changes: pd.DataFrame
    derived: pd.DataFrame
    projects: pd.DataFrame
    sites: pd.DataFrame


def replays_history(as_of: date, today: date) -> bool:
    """Whether the record on ``as_of`` needs the change history replayed: a past day does;
    today or later is the current record.

    >>> replays_history(date(2026, 6, 1), date(2026, 6, 2)), replays_history(
    ...     date(2026, 6, 2), date(2026, 6, 2))
    (True, False)
    """
    return as_of < today


def record_on(data: PermitData, as_of: date, today: date,
              changes: Callable[[], pd.DataFrame]) -> PermitData:
    """The record as it stood at the end of ``as_of``: ``data`` (the current record) from today
    on, else ``data`` with every later change undone; ``changes`` is asked for the history only
    when it is needed."""
    if replays_history(as_of, today):
        return record_as_of(data, changes(), as_of)
    return data


def milestones_on(record: PermitData, as_of: date, today: date | None = None) -> pd.DataFrame:
    """Every milestone of ``record`` (as it stood on ``as_of``) with its state on that date;
    ``today`` decides which actual dates lie in the future (default: ``as_of``)."""
    return derive_milestones(record, as_of, today)


def projects_on(derived: pd.DataFrame, record: PermitData) -> pd.DataFrame:
    """One row per project: percent complete, next milestone, projected completion, health."""
    return project_summary(derived, record)


def sites_on(projects: pd.DataFrame) -> pd.DataFrame:
    """One row per site with permitting projects: worst health, next milestone, largest slip."""
    return site_permit_state(projects)


def state_on(data: PermitData, changes: pd.DataFrame, as_of: date, today: date) -> PermitState:
    """Every step on the current record ``data`` and its history ``changes``, for ``as_of``."""
    record = record_on(data, as_of, today, lambda: changes)
    derived = milestones_on(record, as_of, today)
    projects = projects_on(derived, record)
    return PermitState(as_of, record, changes, derived, projects, sites_on(projects))
