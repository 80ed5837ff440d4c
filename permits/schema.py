"""Columns of the three permitting frames (projects, actions, milestones) and their kinds.

One table here is shared by the bundled CSV files in ``data/permits/``, the dashboard
importer, the store's tables and the derivations, so a column is named once.

Kinds: ``text`` (empty string when unknown), ``date`` (``datetime64`` day, NaT when unknown),
``flag`` (bool), ``number`` (float, NaN when unknown), ``count`` (int).
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

Kind = Literal["text", "date", "flag", "number", "count"]

PROJECT_COLUMNS: dict[str, Kind] = {
    "project_id": "text",  # ours: "pm-<site>"; imported: "fpd-<dashboard project_id>"
    "site_id": "text",  # empty when the project is linked to no site
    "title": "text",
    "status": "text",  # ProjectStatus value, or empty when not known
    "category": "text",  # FAST-41 Covered / FAST-41 Transparency / other programme
    "lead_agency": "text",
    "sponsor": "text",
    "sector": "text",
    "state": "text",
    "county": "text",
    "lat": "number",
    "lon": "number",
    "url": "text",
    "pause_start": "date",
    "pause_end": "date",  # expected end while paused, actual end once resumed
    "pause_reason": "text",
    "pause_next_steps": "text",
    "dataset": "text",  # permitmap-curated or permitting-dashboard
    "source": "text",
}

ACTION_COLUMNS: dict[str, Kind] = {
    "action_id": "text",
    "project_id": "text",
    "action_type": "text",  # open list, see vocab.KNOWN_ACTION_TYPES
    "agency": "text",
    "status": "text",  # ActionStatus value, or empty when not known
    "identifier": "text",  # e.g. DOI-BLM-NV-W010-2020-0012-EIS
    "description": "text",
    "outcome": "text",
    "pause_start": "date",
    "pause_end": "date",
    "pause_reason": "text",
    "pause_next_steps": "text",
    "source": "text",
}

MILESTONE_COLUMNS: dict[str, Kind] = {
    "milestone_id": "text",
    "action_id": "text",
    "project_id": "text",
    "sequence": "count",  # order within the action
    "name": "text",
    "milestone_type": "text",  # a MilestoneEvent value or the dashboard's own type text
    "baseline_target": "date",
    "current_target": "date",
    "alternative_completion": "date",
    "actual_completion": "date",
    # how precisely the source gives each date (permits.dates): empty = a day
    "baseline_target_precision": "text",
    "current_target_precision": "text",
    "alternative_completion_precision": "text",
    "actual_completion_precision": "text",
    "complete": "flag",
    "not_applicable": "flag",
    "depends_on": "text",  # milestone_id of the milestone this one waits for
    "reason_for_change": "text",
    "final_milestone": "flag",
    "source": "text",
}

# Columns the store adds to each record (not in the bundled CSV files).
RECORD_COLUMNS: dict[str, Kind] = {
    "recorded_at": "date",  # when the record entered the store; NaT = known from the start
    "updated_at": "date",  # last change, for "not updated for 90 days"
    "version": "count",  # optimistic locking: bumped by every saved change
}

# Fields an editor may change, by frame.
EDITABLE_MILESTONE_FIELDS = (
    "baseline_target",
    "current_target",
    "alternative_completion",
    "actual_completion",
    "complete",
    "not_applicable",
    "reason_for_change",
)
EDITABLE_ACTION_FIELDS = ("status", "outcome", "pause_start", "pause_end", "pause_reason",
                          "pause_next_steps")
DATE_TARGET_FIELDS = ("current_target", "alternative_completion")


def empty_frame(columns: dict[str, Kind]) -> pd.DataFrame:
    """An empty frame with the right dtypes.

    >>> list(empty_frame(ACTION_COLUMNS).columns)[:3]
    ['action_id', 'project_id', 'action_type']
    """
    return conform(pd.DataFrame(columns=list(columns)), columns)


def conform(frame: pd.DataFrame, columns: dict[str, Kind]) -> pd.DataFrame:
    """Give ``frame`` exactly ``columns`` with their kinds (missing ones empty); keeps extras.

    >>> f = conform(pd.DataFrame({"milestone_id": ["m1"], "complete": ["true"]}),
    ...             MILESTONE_COLUMNS)
    >>> bool(f.loc[0, "complete"]), f.loc[0, "name"], str(f["current_target"].dtype)
    (True, '', 'datetime64[s]')
    """
    out = frame.copy()
    for name, kind in columns.items():
        values = out[name] if name in out.columns else pd.Series([None] * len(out), index=out.index)
        out[name] = _as_kind(values, kind)
    extras = [c for c in out.columns if c not in columns]
    return out[[*columns, *extras]]


def _as_kind(values: pd.Series, kind: Kind) -> pd.Series:
    if kind == "text":
        return values.fillna("").astype(str).str.strip()
    if kind == "date":
        dates = values if pd.api.types.is_datetime64_any_dtype(values) else pd.to_datetime(
            values, errors="coerce", format="mixed")
        if isinstance(dates.dtype, pd.DatetimeTZDtype):
            dates = dates.dt.tz_localize(None)
        return dates.dt.normalize().astype("datetime64[s]")
    if kind == "flag":
        if pd.api.types.is_bool_dtype(values):  # already flags: no per-value reading
            return values.astype(bool)
        return values.map(_flag).astype(bool)
    if kind == "number":
        return pd.to_numeric(values, errors="coerce").astype(float)
    return pd.to_numeric(values, errors="coerce").fillna(0).astype("int64")


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value is None or (isinstance(value, float) and value != value):
        return False
    return str(value).strip().lower() in {"true", "yes", "y", "1", "t", "x"}
