"""Portfolio measures: is permitting getting faster? Grouped by agency, type, commodity, ...

On time means a completed milestone's actual date is on or before its baseline target (the
first published date), or its effective target where no baseline was set: the question staff
ask is whether the promised schedule held, not whether the latest revision did.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from permits.frames import PermitData, as_day, day_number, positions
from permits.vocab import ActionStatus, MilestoneState

# Group-by choices: label -> how to get the group of each milestone row.
GROUPINGS = ("agency", "action type", "commodity", "stage", "country", "project")
_SITE_GROUPS = {"commodity": "commodities", "stage": "stage", "country": "country"}


def milestone_facts(derived: pd.DataFrame, data: PermitData, sites: pd.DataFrame) -> pd.DataFrame:
    """Derived milestones with their grouping fields as categoricals (integer takes, no joins)."""
    action_row = positions(data.actions["action_id"], derived["action_id"])
    project_row = positions(data.projects["project_id"], derived["project_id"])
    site_of_project = positions(sites["id"], data.projects["site_id"])
    site_row = np.where(project_row >= 0, site_of_project[np.maximum(project_row, 0)], -1) \
        if len(site_of_project) else np.full(len(derived), -1)
    facts = derived[["milestone_id", "action_id", "project_id", "state", "slip_days",
                     "actual_as_of", "effective_target", "baseline_target"]].copy()
    facts["agency"] = _take(data.actions["agency"], action_row)
    facts["action_type"] = _take(data.actions["action_type"], action_row)
    facts["action_status"] = _take(data.actions["status"], action_row)
    for column in _SITE_GROUPS.values():
        facts[column] = _take(sites[column], site_row)
    facts["site_row"] = site_row
    done = (derived["state"] == MilestoneState.COMPLETE.value).to_numpy()
    target = derived["baseline_target"].fillna(derived["effective_target"])
    known = done & target.notna().to_numpy() & derived["actual_as_of"].notna().to_numpy()
    facts["on_time"] = np.where(known, (derived["actual_as_of"] <= target).to_numpy(float),
                                np.nan)
    return facts


def portfolio_measures(facts: pd.DataFrame, data: PermitData, by: str,
                       as_of: date) -> pd.DataFrame:
    """One row per group: actions and milestones by status, on-time share, slip, pause time."""
    key = _group_column(by)
    rows = _explode(facts, key)
    rows = rows.assign(is_overdue=(rows["state"] == MilestoneState.OVERDUE.value).to_numpy())
    grouped = rows.groupby(key, observed=True)
    out = pd.DataFrame({
        "milestones": grouped.size(),
        "completed": grouped["on_time"].count(),
        "on_time_share": grouped["on_time"].mean(),
        "median_slip_days": grouped["slip_days"].median(),
        "p90_slip_days": grouped["slip_days"].quantile(0.9),
        "overdue": grouped["is_overdue"].sum().astype("int64"),
        "projects": grouped["project_id"].nunique(),
    })
    actions = rows.drop_duplicates(["action_id", key])
    status = actions["action_status"].astype(str).replace("", "not stated")
    counts = pd.crosstab(actions[key].astype(str), status).add_prefix("actions ")
    pause = _pause_days(data, as_of)
    actions = actions.assign(pause_days=actions["action_id"].map(pause).fillna(0.0))
    out["pause_days"] = actions.groupby(key, observed=True)["pause_days"].sum()
    out.index = out.index.astype(str)
    out = out.join(counts, how="left").fillna({c: 0 for c in counts.columns})
    return out.rename_axis(by).reset_index().sort_values("milestones", ascending=False)


def trend(facts: pd.DataFrame, freq: str = "Q") -> pd.DataFrame:
    """On-time share and median slip of milestones completed in each period (by actual date)."""
    done = facts[facts["on_time"].notna()]
    if done.empty:
        return pd.DataFrame(columns=["period", "completed", "on_time_share", "median_slip_days"])
    period = done["actual_as_of"].dt.to_period(freq).dt.start_time
    grouped = done.groupby(period)
    return pd.DataFrame({
        "completed": grouped.size(),
        "on_time_share": grouped["on_time"].mean(),
        "median_slip_days": grouped["slip_days"].median(),
    }).rename_axis("period").reset_index()


def status_counts(data: PermitData) -> pd.DataFrame:
    """Projects and actions by status (empty status shown as "not stated")."""
    known = [s.value for s in ActionStatus]
    projects = data.projects["status"].replace("", "not stated").value_counts()
    actions = data.actions["status"].replace("", "not stated").value_counts()
    frame = pd.DataFrame({"projects": projects, "actions": actions}).fillna(0).astype("int64")
    order = [s for s in [*known, "not stated"] if s in frame.index]
    return frame.loc[order].rename_axis("status").reset_index()


def _group_column(by: str) -> str:
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    return {"agency": "agency", "action type": "action_type", "project": "project_id",
            **_SITE_GROUPS}[by]


def _explode(facts: pd.DataFrame, key: str) -> pd.DataFrame:
    """A site with several commodities counts in each of them (split once per distinct list)."""
    if key != "commodities":
        return facts
    column = facts["commodities"].astype("category")
    lists = [str(c).split(";") for c in column.cat.categories]
    labels = pd.Index(list(dict.fromkeys(x.strip() or "not stated" for lst in lists for x in lst)),
                      dtype=object)
    width = max((len(lst) for lst in lists), default=1)
    table = np.zeros((max(len(lists), 1), width), dtype="int64")
    for i, lst in enumerate(lists):
        table[i, :len(lst)] = [labels.get_loc(x.strip() or "not stated") for x in lst]
    codes = column.cat.codes.to_numpy()
    counts = np.array([len(lst) for lst in lists], dtype="int64")[codes]
    rows = np.repeat(np.arange(len(facts)), counts)
    within = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    out = facts.iloc[rows].reset_index(drop=True)
    out["commodities"] = pd.Categorical.from_codes(table[codes[rows], within], labels)
    return out


def _take(values: pd.Series, rows: np.ndarray) -> pd.Categorical:
    """``values`` at row positions (-1 = none → "not stated"), as a categorical."""
    codes, uniques = pd.factorize(values.astype(str).replace("", "not stated"))
    labels = [*map(str, uniques), "not stated"]
    picked = np.where(rows >= 0, codes[np.maximum(rows, 0)], len(labels) - 1) if len(codes) \
        else np.full(len(rows), len(labels) - 1)
    labels_index = pd.Index(list(dict.fromkeys(labels)), dtype=object)
    remap = np.array([labels_index.get_loc(label) for label in labels], dtype="int64")
    return pd.Categorical.from_codes(remap[picked], labels_index)


def _pause_days(data: PermitData, as_of: date) -> pd.Series:
    """Days each action spent paused up to ``as_of`` (its own pause or its project's)."""
    now = as_day(as_of)
    spans = {}
    for frame, key in ((data.actions, "action_id"), (data.projects, "project_id")):
        start = day_number(frame["pause_start"])
        end = np.fmin(np.where(np.isnan(day_number(frame["pause_end"])), now,
                               day_number(frame["pause_end"])), now)
        paused_now = (frame["status"] == ActionStatus.PAUSED.value).to_numpy()
        end = np.where(paused_now, now, end)
        spans[key] = pd.Series(np.nan_to_num(np.clip(end - start, 0, None)),
                               index=frame[key].to_numpy())
    project_of = data.actions.set_index("action_id")["project_id"]
    own = spans["action_id"]
    from_project = project_of.map(spans["project_id"]).fillna(0.0)
    return pd.Series(np.maximum(own.to_numpy(), from_project.reindex(own.index).to_numpy()),
                     index=own.index)
