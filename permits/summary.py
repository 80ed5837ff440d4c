"""Per-action, per-project and per-site figures from the derived milestones."""

from __future__ import annotations

import numpy as np
import pandas as pd

from permits.frames import PermitData, day_number, from_day
from permits.vocab import ActionStatus, MilestoneState, ProjectStatus, ScheduleHealth

_STATES = [s.value for s in MilestoneState]
_CLOSED_ACTION_STATUSES = [s.value for s in (
    ActionStatus.COMPLETE, ActionStatus.CANCELLED, ActionStatus.CLASS_OF_ACTION_CHANGED,
    ActionStatus.NO_LONGER_TRACKED)]
# Worst first: a site shows the worst health of its projects.
HEALTH_ORDER = [
    ScheduleHealth.OVERDUE,
    ScheduleHealth.PAUSED,
    ScheduleHealth.DUE_SOON,
    ScheduleHealth.UNSCHEDULED,
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
    still_open = data.actions[~data.actions["status"].isin(_CLOSED_ACTION_STATUSES)]
    out["open_actions"] = out["project_id"].map(still_open["project_id"].value_counts()) \
        .fillna(0).astype("int64")
    out["health"] = _health(out)
    return out


def site_health(projects: pd.DataFrame) -> dict[str, str]:
    """Worst schedule health of each site's projects (sites without projects are absent)."""
    return {str(site): str(health) for site, health in worst_health(projects).items()}


def worst_health(projects: pd.DataFrame) -> pd.Series:
    """Worst schedule health of each site's projects, indexed by site id (linked ones only)."""
    linked = projects[projects["site_id"] != ""]
    ranked = linked.assign(rank=health_rank(linked["health"])).sort_values("rank")
    return ranked.drop_duplicates("site_id").set_index("site_id")["health"]


def health_rank(health: pd.Series) -> pd.Series:
    """Each value's place in :data:`HEALTH_ORDER`, worst first (values not in it come last).

    >>> health_rank(pd.Series(["on track", "overdue", "?"])).tolist()
    [4, 0, 7]
    """
    rank = {h.value: i for i, h in enumerate(HEALTH_ORDER)}
    return health.map(rank).fillna(len(rank)).astype("int64")


def _group_figures(derived: pd.DataFrame, key: str) -> pd.DataFrame:
    """Counts per state and the other figures of each ``key`` group (codes, not Python loops)."""
    codes, groups = pd.factorize(derived[key])
    n = len(groups)
    state_codes = pd.Categorical(derived["state"], categories=_STATES).codes
    counts = np.zeros((n, len(_STATES)), dtype="int64")
    np.add.at(counts, (codes, state_codes), 1)
    total = counts.sum(axis=1)
    applicable = total - counts[:, _STATES.index(MilestoneState.NOT_APPLICABLE.value)]
    done = counts[:, _STATES.index(MilestoneState.COMPLETE.value)]
    figures = pd.DataFrame({
        key: np.asarray(groups, dtype=object),
        "milestones": total,
        "percent_complete": np.where(applicable > 0, 100.0 * done / np.maximum(applicable, 1),
                                     np.nan),
        **{f"n_{state}": counts[:, i] for i, state in enumerate(_STATES)},
        "max_slip_days": _group_max(codes, n, derived["slip_days"].to_numpy(float)),
        "projected_completion": from_day(_group_max(codes, n,
                                                    day_number(derived["projected_finish"]))),
        "flags": np.bincount(codes, weights=(derived["flags"] != "").to_numpy(),
                             minlength=n).astype("int64"),
    })
    nxt = derived[derived["is_open"] & ~derived["paused"] & derived["effective_target"].notna()]
    nxt = nxt.sort_values("effective_target", kind="stable").drop_duplicates(key)
    at = pd.Index(nxt[key]).get_indexer(figures[key])
    found = at >= 0
    pick = np.maximum(at, 0)
    names = nxt["name"].to_numpy(object)
    targets = nxt["effective_target"].to_numpy("datetime64[s]")
    precisions = nxt["effective_target_precision"].to_numpy(object)
    figures["next_milestone"] = np.where(found, names[pick], "") if len(nxt) else ""
    figures["next_target_precision"] = np.where(found, precisions[pick], "") if len(nxt) else ""
    figures["next_target"] = pd.Series(
        np.where(found, targets[pick], np.datetime64("NaT")) if len(nxt)
        else np.full(n, np.datetime64("NaT"), dtype="datetime64[s]"), dtype="datetime64[s]")
    return figures


def _group_max(codes: np.ndarray, n: int, values: np.ndarray) -> np.ndarray:
    """Largest known value per group (NaN where a group has none)."""
    out = np.full(n, -np.inf)
    known = ~np.isnan(values)
    np.maximum.at(out, codes[known], values[known])
    return np.where(np.isinf(out), np.nan, out)


def _fill_counts(frame: pd.DataFrame) -> pd.DataFrame:
    counts = ["milestones", "flags", *[f"n_{s}" for s in _STATES]]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame["next_milestone"] = frame["next_milestone"].fillna("")
    frame["next_target_precision"] = frame["next_target_precision"].fillna("")
    return frame


def _health(projects: pd.DataFrame) -> np.ndarray:
    paused = (projects["status"] == ProjectStatus.PAUSED.value) | (projects["n_paused"] > 0)
    open_count = projects[[f"n_{s}" for s in _STATES
                           if s not in (MilestoneState.COMPLETE, MilestoneState.NOT_APPLICABLE)]]
    nothing_open = (projects["milestones"] > 0) & (open_count.sum(axis=1) == 0)
    finished = (nothing_open & (projects["open_actions"] == 0)) | (
        projects["status"] == ProjectStatus.COMPLETE.value)
    # Open work without a date: an open action with no open milestone, or only undated ones.
    undated = ~finished & (projects[f"n_{MilestoneState.SCHEDULED.value}"] == 0)
    return np.select(
        [projects["milestones"] == 0,
         projects[f"n_{MilestoneState.OVERDUE.value}"] > 0,
         paused,
         projects[f"n_{MilestoneState.DUE_SOON.value}"] > 0,
         finished,
         undated],
        [ScheduleHealth.NO_SCHEDULE.value, ScheduleHealth.OVERDUE.value,
         ScheduleHealth.PAUSED.value, ScheduleHealth.DUE_SOON.value,
         ScheduleHealth.COMPLETE.value, ScheduleHealth.UNSCHEDULED.value],
        ScheduleHealth.ON_TRACK.value,
    )
