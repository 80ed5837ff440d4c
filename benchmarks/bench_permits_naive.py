"""The naive way to derive schedule state: a Python loop over milestone records.

What a first version usually does: for each milestone, look up its action and project in
dicts, compute the effective target, slip and state, count business days with numpy one row at
a time, and follow dependencies recursively for the projected finish. Same rules as
``permits.schedule``, so the two can be compared row for row.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from permits.frames import PermitData, _federal_holidays


def naive_derive(data: PermitData, as_of: date) -> list[dict[str, Any]]:
    """State, slip, business days late and projected finish of every milestone, one by one."""
    actions = {r["action_id"]: r for r in data.actions.to_dict("records")}
    projects = {r["project_id"]: r for r in data.projects.to_dict("records")}
    records = data.milestones.to_dict("records")
    by_id = {r["milestone_id"]: r for r in records}
    holidays = _federal_holidays()
    previous: dict[str, dict[str, Any]] = {}
    out = []
    for record in sorted(records, key=lambda r: (r["action_id"], r["sequence"])):
        row = _one(record, actions, projects, as_of, holidays)
        pred = by_id.get(record["depends_on"]) if record["depends_on"] else previous.get(
            record["action_id"])
        row["predecessor"] = pred["milestone_id"] if pred else ""
        previous[record["action_id"]] = record
        out.append(row)
    rows = {r["milestone_id"]: r for r in out}
    for row in out:
        row["projected_finish"] = _finish(row, rows, {})
    return out


def _one(record: dict[str, Any], actions: dict[str, Any], projects: dict[str, Any], as_of: date,
         holidays: np.ndarray) -> dict[str, Any]:
    target = record["alternative_completion"]
    if pd.isna(target):
        target = record["current_target"]
    actual = record["actual_completion"]
    done = (not pd.isna(actual) and actual.date() <= as_of) or (record["complete"]
                                                                 and pd.isna(actual))
    action = actions[record["action_id"]]
    project = projects[record["project_id"]]
    paused = action["status"] == "Paused" or project["status"] == "Paused"
    if record["not_applicable"]:
        state = "not applicable"
    elif done:
        state = "complete"
    elif paused:
        state = "paused"
    elif pd.isna(target):
        state = "unscheduled"
    elif target.date() < as_of:
        state = "overdue"
    elif target.date() <= as_of + timedelta(days=30):
        state = "due within 30 days"
    else:
        state = "scheduled"
    late = 0
    if state == "overdue":
        start = np.datetime64(target.date() + timedelta(days=1))
        late = int(np.busday_count(start, np.datetime64(as_of + timedelta(days=1)),
                                   holidays=holidays))
    baseline = record["baseline_target"]
    slip = (target - baseline).days if not (pd.isna(target) or pd.isna(baseline)) else None
    return {"milestone_id": record["milestone_id"], "state": state, "slip_days": slip,
            "business_days_late": late, "done": done, "target": target,
            "actual": actual if done else None, "as_of": pd.Timestamp(as_of),
            "not_applicable": record["not_applicable"]}


def _finish(row: dict[str, Any], rows: dict[str, dict[str, Any]],
            memo: dict[str, Any]) -> Any:
    """Projected finish by recursion over the predecessor chain."""
    key = row["milestone_id"]
    if key in memo:
        return memo[key]
    if row["done"]:
        memo[key] = row["actual"]
        return row["actual"]
    own = None if pd.isna(row["target"]) else max(row["target"], row["as_of"])
    pred = rows.get(row["predecessor"])
    if pred is not None:
        before = _finish(pred, rows, memo)
        gap = (row["target"] - pred["target"]).days if not (
            pd.isna(row["target"]) or pd.isna(pred["target"])) else 0
        if before is not None and not pd.isna(before):
            pushed = before + timedelta(days=max(gap, 0))
            own = pushed if own is None else max(own, pushed)
    memo[key] = own
    return own
