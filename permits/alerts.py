"""Alerts on a date: lock-outs starting, missed dates, overrun pauses, stale records, breaches."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from domain.i18n import tr
from permits.frames import PermitData, as_day, day_number
from permits.schedule import missed_date_notice
from permits.vocab import BREACH_STATUSES, ActionStatus, MilestoneState, ProjectStatus

ALERT_COLUMNS = ("kind", "project_id", "action_id", "milestone_id", "date", "message")
KIND_LOCKOUT = "entering the lock-out"
KIND_MISSED = "missed date"
KIND_PAUSE_OVERRUN = "pause past its expected end"
KIND_STALE = "not updated"
KIND_RULE = "rule-set breach"


def alerts(data: PermitData, derived: pd.DataFrame, findings: pd.DataFrame, as_of: date, *,
           lockout_days: int, warning_days: int, stale_days: int) -> pd.DataFrame:
    """Every alert on ``as_of``, most urgent kinds first."""
    parts = [
        _lockouts(derived, as_of, lockout_days, warning_days),
        _missed(derived),
        _pause_overruns(data, as_of),
        _stale(data, derived, as_of, stale_days),
        _breaches(findings),
    ]
    frames = [p for p in parts if not p.empty]
    if not frames:
        return pd.DataFrame(columns=list(ALERT_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(ALERT_COLUMNS)]


def _lockouts(derived: pd.DataFrame, as_of: date, lockout_days: int,
              warning_days: int) -> pd.DataFrame:
    """Open milestones whose lock-out starts within ``warning_days`` or has just started."""
    days = derived["days_to_target"]
    hit = derived[derived["is_open"] & (days >= 0) & (days <= lockout_days + warning_days)
                  & (derived["state"] != MilestoneState.PAUSED.value)]
    starts = hit["effective_target"] - pd.Timedelta(days=lockout_days)
    locked = tr("{name}: target {target}; date changes lock on {lock} (locked now).")
    coming = tr("{name}: target {target}; date changes lock on {lock} (in {n} days).")
    messages = [
        (locked if s.date() <= as_of else coming).format(
            name=name, target=pd.Timestamp(t).date(), lock=pd.Timestamp(s).date(),
            n=(s.date() - as_of).days)
        for name, t, s in zip(hit["name"], hit["effective_target"], starts, strict=True)]
    return _frame(KIND_LOCKOUT, hit, starts, messages)


def _missed(derived: pd.DataFrame) -> pd.DataFrame:
    late = derived[derived["state"] == MilestoneState.OVERDUE.value] \
        .sort_values("business_days_late", ascending=False)
    messages = [missed_date_notice(row) for _, row in late.iterrows()]
    return _frame(KIND_MISSED, late, late["effective_target"], messages)


def _pause_overruns(data: PermitData, as_of: date) -> pd.DataFrame:
    rows = []
    for frame, status in ((data.projects, ProjectStatus.PAUSED.value),
                          (data.actions, ActionStatus.PAUSED.value)):
        over = frame[(frame["status"] == status) & frame["pause_end"].notna()
                     & (frame["pause_end"] < pd.Timestamp(as_of))]
        for row in over.to_dict("records"):
            label = row.get("title") or row.get("action_type", "")
            rows.append({
                "kind": KIND_PAUSE_OVERRUN, "project_id": row["project_id"],
                "action_id": row.get("action_id", ""), "milestone_id": "",
                "date": row["pause_end"],
                "message": tr("{label}: paused since {start} ({reason}); expected to resume by "
                              "{end}, still paused. Next steps: {next_steps}.").format(
                    label=label, start=_day(row["pause_start"]),
                    reason=row["pause_reason"] or tr("no reason given"),
                    end=_day(row["pause_end"]),
                    next_steps=row["pause_next_steps"] or tr("none recorded"))})
    return pd.DataFrame(rows, columns=list(ALERT_COLUMNS))


def _stale(data: PermitData, derived: pd.DataFrame, as_of: date, stale_days: int) -> pd.DataFrame:
    """Actions with open milestones whose record has not changed for ``stale_days``."""
    if derived.empty:
        return pd.DataFrame(columns=list(ALERT_COLUMNS))
    open_actions = set(derived.loc[derived["is_open"], "action_id"])
    actions = data.actions[data.actions["action_id"].isin(open_actions)]
    touched = np.fmax(day_number(actions["updated_at"]), day_number(actions["recorded_at"]))
    last_milestone = derived.groupby("action_id")["updated_at"].max()
    touched = np.fmax(touched, day_number(actions["action_id"].map(last_milestone)))
    is_stale = ~np.isnan(touched) & (touched < as_day(as_of) - stale_days)
    stale = actions[is_stale]
    days = as_day(as_of) - touched[is_stale]
    quiet = tr("{action} ({agency}): no update for {n} days.")
    messages = [quiet.format(action=t, agency=a, n=int(d)) for t, a, d in
                zip(stale["action_type"], stale["agency"], days, strict=True)]
    when = pd.Series(pd.to_datetime(as_of) - pd.to_timedelta(days, unit="D"), index=stale.index)
    return _frame(KIND_STALE, stale.assign(milestone_id=""), when, messages)


def _breaches(findings: pd.DataFrame) -> pd.DataFrame:
    bad = findings[findings["status"].isin(BREACH_STATUSES)]
    return _frame(KIND_RULE, bad, pd.to_datetime(bad["due"]), bad["message"].tolist())


def _frame(kind: str, rows: pd.DataFrame, when: pd.Series, messages: list[str]) -> pd.DataFrame:
    return pd.DataFrame({
        "kind": kind, "project_id": rows["project_id"].to_numpy(),
        "action_id": rows["action_id"].to_numpy() if "action_id" in rows else "",
        "milestone_id": rows["milestone_id"].to_numpy() if "milestone_id" in rows else "",
        "date": pd.to_datetime(pd.Series(when).to_numpy()), "message": messages,
    }, columns=list(ALERT_COLUMNS))


def _day(value: Any) -> str:
    return "" if pd.isna(value) else str(pd.Timestamp(value).date())
