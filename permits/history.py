"""The append-only change history: field changes as text, and replaying it to a past date."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pandas as pd

from permits.frames import PermitData
from permits.schema import (
    ACTION_COLUMNS,
    MILESTONE_COLUMNS,
    PROJECT_COLUMNS,
    RECORD_COLUMNS,
    Kind,
    conform,
)
from permits.vocab import ActionStatus, ChangeKind

# Changes that were applied to the record (a rejected extension request was not).
APPLIED_KINDS = frozenset({ChangeKind.EDIT, ChangeKind.IMPORT, ChangeKind.SOURCE,
                           ChangeKind.EXTENSION_APPROVED})
ENTITIES: dict[str, tuple[str, str, dict[str, Kind]]] = {
    "project": ("projects", "project_id", PROJECT_COLUMNS),
    "action": ("actions", "action_id", ACTION_COLUMNS),
    "milestone": ("milestones", "milestone_id", MILESTONE_COLUMNS),
}


@dataclass(frozen=True)
class FieldChange:
    """One field of one record changed from ``before`` to ``after`` (both as text)."""

    field: str
    before: str
    after: str


def value_text(value: Any) -> str:
    """A field value as the history stores it: ISO dates, true/false, '' for unknown.

    >>> value_text(pd.Timestamp("2026-03-01")), value_text(True), value_text(pd.NaT)
    ('2026-03-01', 'true', '')
    """
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, pd.Timestamp | date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def diff_fields(before: Mapping[str, Any], after: Mapping[str, Any],
                fields: tuple[str, ...] | list[str]) -> list[FieldChange]:
    """The fields whose text form differs between two versions of a record.

    >>> diff_fields({"a": "x", "b": 1}, {"a": "y", "b": 1}, ["a", "b"])
    [FieldChange(field='a', before='x', after='y')]
    """
    changes = []
    for name in fields:
        old, new = value_text(before.get(name)), value_text(after.get(name))
        if old != new:
            changes.append(FieldChange(name, old, new))
    return changes


def record_as_of(data: PermitData, changes: pd.DataFrame, as_of: date) -> PermitData:
    """The record as it stood at the end of ``as_of``: later records dropped, later changes undone.

    For each field, the earliest applied change after ``as_of`` holds in ``before`` the value
    the field had on that date. A status of Complete that the record's own dates contradict
    (see :func:`_not_yet_complete`) is taken back to In Progress.
    """
    end_of_day = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    later = changes[(pd.to_datetime(changes["changed_at"]).dt.tz_localize(None) >= end_of_day)
                    & changes["kind"].isin([k.value for k in APPLIED_KINDS])]
    later = later.sort_values(["changed_at"], kind="stable")
    first = later.drop_duplicates(["entity", "entity_id", "field"], keep="first")
    frames = {}
    for entity, (attr, key, columns) in ENTITIES.items():
        frame = getattr(data, attr)
        recorded = frame["recorded_at"]
        frame = frame[recorded.isna() | (recorded < end_of_day)].copy()
        undo = first[first["entity"] == entity]
        for field_value, rows in undo.groupby("field"):
            field = str(field_value)
            if field not in frame.columns:
                continue
            old = dict(zip(rows["entity_id"], rows["before"], strict=True))
            hit = frame[key].isin(old.keys())
            restored = conform(pd.DataFrame({field: frame.loc[hit, key].map(old)}),
                               {field: columns.get(field, "text")})[field]
            frame[field] = frame[field].astype(object)
            frame.loc[hit, field] = restored.to_numpy()
            frame = conform(frame, {field: columns.get(field, "text")})
        frames[attr] = conform(frame, columns | RECORD_COLUMNS)
    return _not_yet_complete(replace(data, **frames), end_of_day)


def _not_yet_complete(data: PermitData, end_of_day: pd.Timestamp) -> PermitData:
    """An action or project recorded as Complete, one of whose milestones was completed after
    the day, was still In Progress that day. A record imported complete carries no history
    entry for its status, so only its milestones' dates can tell when it finished."""
    ms = data.milestones
    later = ms["actual_completion"].notna() & (ms["actual_completion"] >= end_of_day)
    open_then = {"actions": ("action_id", set(ms.loc[later, "action_id"])),
                 "projects": ("project_id", set(ms.loc[later, "project_id"]))}
    frames = {}
    for attr, (key, unfinished) in open_then.items():
        frame = getattr(data, attr).copy()
        done_too_early = (frame["status"] == ActionStatus.COMPLETE.value) & \
            frame[key].isin(unfinished)
        frame.loc[done_too_early, "status"] = ActionStatus.IN_PROGRESS.value
        frames[attr] = frame
    return replace(data, **frames)
