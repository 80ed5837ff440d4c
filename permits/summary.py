"""Per-action, per-project and per-site figures from the derived milestones."""

from __future__ import annotations

import numpy as np
import pandas as pd

from permits.frames import PermitData
from permits.vocab import MilestoneState, ProjectStatus, ScheduleHealth

_STATES = [s.value for s in MilestoneState]
# Worst first: a site shows the worst health of its projects.
HEALTH_ORDER = [
    ScheduleHealth.OVERDUE,
    ScheduleHealth.PAUSED,
    ScheduleHealth.DUE_SOON,
    ScheduleHealth.ON_TRACK,
    ScheduleHealth.COMPLETE,
    ScheduleHealth.NO_SCHEDULE,
]


def action_summary(derived: pd.DataFrame, data: PermitData) -> pd.DataFrame:
    """One row per action: its fields plus percent complete and the next open milestone."""
    figures = _group_figures(derived, "action_id")
    return data.actions.merge(figures, on="action_id", how="left").pipe(_fill_counts)


def project_summary(derived: pd.DataFrame, data: PermitData) -> pd.DataFrame:
    """One row per project: percent complete, next milestone, projected completion, health."""
    figures = _group_figures(derived, "project_id")
    out = data.projects.merge(figures, on="project_id", how="left").pipe(_fill_counts)
    out["health"] = _health(out)
    return out


def site_health(projects: pd.DataFrame) -> dict[str, str]:
    """Worst schedule health of each site's projects (sites without projects are absent)."""
    linked = projects[projects["site_id"] != ""]
    if linked.empty:
        return {}
    rank = {h.value: i for i, h in enumerate(HEALTH_ORDER)}
    ranked = linked.assign(rank=linked["health"].map(rank))
    worst = ranked.sort_values("rank").drop_duplicates("site_id")
    return dict(zip(worst["site_id"], worst["health"], strict=True))


def _group_figures(derived: pd.DataFrame, key: str) -> pd.DataFrame:
    counts = pd.crosstab(derived[key], derived["state"]).reindex(columns=_STATES, fill_value=0)
    applicable = counts.sum(axis=1) - counts[MilestoneState.NOT_APPLICABLE.value]
    figures = pd.DataFrame({
        "milestones": counts.sum(axis=1),
        "percent_complete": np.where(
            applicable > 0, 100.0 * counts[MilestoneState.COMPLETE.value] / applicable.clip(1),
            np.nan),
        **{f"n_{state}": counts[state] for state in _STATES},
    })
    grouped = derived.groupby(key)
    figures["max_slip_days"] = grouped["slip_days"].max()
    figures["projected_completion"] = grouped["projected_finish"].max()
    figures["flags"] = grouped["flags"].agg(lambda f: int((f != "").sum()))
    nxt = derived[derived["is_open"] & derived["effective_target"].notna()]
    nxt = nxt.sort_values("effective_target", kind="stable").drop_duplicates(key)
    figures["next_milestone"] = nxt.set_index(key)["name"]
    figures["next_target"] = nxt.set_index(key)["effective_target"]
    return figures.reset_index().rename(columns={"index": key})


def _fill_counts(frame: pd.DataFrame) -> pd.DataFrame:
    counts = ["milestones", "flags", *[f"n_{s}" for s in _STATES]]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame["next_milestone"] = frame["next_milestone"].fillna("")
    return frame


def _health(projects: pd.DataFrame) -> np.ndarray:
    paused = (projects["status"] == ProjectStatus.PAUSED.value) | (projects["n_paused"] > 0)
    open_count = projects[[f"n_{s}" for s in _STATES
                           if s not in (MilestoneState.COMPLETE, MilestoneState.NOT_APPLICABLE)]]
    finished = (projects["milestones"] > 0) & (open_count.sum(axis=1) == 0)
    return np.select(
        [projects["milestones"] == 0,
         projects[f"n_{MilestoneState.OVERDUE.value}"] > 0,
         paused,
         projects[f"n_{MilestoneState.DUE_SOON.value}"] > 0,
         finished | (projects["status"] == ProjectStatus.COMPLETE.value)],
        [ScheduleHealth.NO_SCHEDULE.value, ScheduleHealth.OVERDUE.value,
         ScheduleHealth.PAUSED.value, ScheduleHealth.DUE_SOON.value,
         ScheduleHealth.COMPLETE.value],
        ScheduleHealth.ON_TRACK.value,
    )
