"""Portfolio measures: is permitting getting faster? Grouped by agency, type, commodity, ...

On time means a completed milestone's actual date is on or before its baseline target (the
first published date), or its effective target where no baseline was set: the question staff
ask is whether the promised schedule held, not whether the latest revision did.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from permits.frames import PermitData, as_day, day_number
from permits.vocab import ActionStatus

# Group-by choices: label -> how to get the group of each milestone row.
GROUPINGS = ("agency", "action type", "commodity", "stage", "country", "project")
_SITE_GROUPS = {"commodity": "commodities", "stage": "stage", "country": "country"}


def milestone_facts(derived: pd.DataFrame, data: PermitData, sites: pd.DataFrame) -> pd.DataFrame:
    """Derived milestones joined with their action's and site's grouping fields."""
    actions = data.actions.set_index("action_id")
    facts = derived.assign(
        agency=derived["action_id"].map(actions["agency"]).fillna(""),
        action_type=derived["action_id"].map(actions["action_type"]).fillna(""),
        action_status=derived["action_id"].map(actions["status"]).fillna(""),
        site_id=derived["project_id"].map(data.projects.set_index("project_id")["site_id"]),
    )
    site_fields = sites.set_index("id")
    for column in _SITE_GROUPS.values():
        facts[column] = facts["site_id"].map(site_fields[column]).fillna("")
    done = facts["state"] == "complete"
    target = facts["baseline_target"].fillna(facts["effective_target"])
    facts["on_time"] = np.where(done & target.notna() & facts["actual_as_of"].notna(),
                                (facts["actual_as_of"] <= target).astype(float), np.nan)
    return facts


def portfolio_measures(facts: pd.DataFrame, data: PermitData, by: str,
                       as_of: date) -> pd.DataFrame:
    """One row per group: actions and milestones by status, on-time share, slip, pause time."""
    key = _group_column(by)
    rows = _explode(facts, key)
    grouped = rows.groupby(key)
    out = pd.DataFrame({
        "milestones": grouped.size(),
        "completed": grouped["on_time"].count(),
        "on_time_share": grouped["on_time"].mean(),
        "median_slip_days": grouped["slip_days"].median(),
        "p90_slip_days": grouped["slip_days"].quantile(0.9),
        "overdue": grouped["state"].agg(lambda s: int((s == "overdue").sum())),
        "projects": grouped["project_id"].nunique(),
    })
    actions = rows.drop_duplicates(["action_id", key])
    status_counts = pd.crosstab(actions[key], actions["action_status"].replace("", "not stated"))
    pause = _pause_days(data, as_of)
    actions = actions.assign(pause_days=actions["action_id"].map(pause).fillna(0.0))
    out["pause_days"] = actions.groupby(key)["pause_days"].sum()
    out = out.join(status_counts.add_prefix("actions "), how="left").fillna(
        {c: 0 for c in status_counts.add_prefix("actions ").columns})
    return out.reset_index().rename(columns={key: by}).sort_values("milestones", ascending=False)


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
    """A site with several commodities counts in each of them."""
    if key != "commodities":
        return facts.assign(**{key: facts[key].replace("", "not stated")})
    split = facts.assign(commodities=facts["commodities"].str.split(";")).explode("commodities")
    return split.assign(commodities=split["commodities"].fillna("").replace("", "not stated"))


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
