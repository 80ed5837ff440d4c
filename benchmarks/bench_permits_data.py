"""A synthetic permitting record of any size, with the shapes real dashboards have.

Each project has 5 actions of 10 milestones (so 10,000 projects give 500,000 milestones);
targets march forward, about a third slipped, the past ones mostly done, one action in
twenty paused, and each action's first milestone depends on the previous action's last.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from permits.frames import PermitData

ACTIONS_PER_PROJECT = 5
MILESTONES_PER_ACTION = 10
ACTION_TYPES = ("Environmental Impact Statement (EIS)", "Environmental Assessment (EA)",
                "Section 404 Clean Water Act", "ESA Consultation", "Right-of-Way Authorization")
AGENCIES = ("BLM", "USFS", "USACE", "USFWS", "DOE", "EPA")
STATUSES = ("In Progress", "Planned", "Complete", "Paused")
MILESTONE_TYPES = ("notice of intent", "scoping", "draft document", "other", "other", "other",
                   "final document", "other", "decision", "permit issued")


def synthetic_record(n_projects: int, seed: int = 7) -> tuple[PermitData, pd.DataFrame]:
    """The record and a site table (one site per project) for ``n_projects`` projects."""
    rng = np.random.default_rng(seed)
    pids = np.array([f"p{i}" for i in range(n_projects)])
    projects = pd.DataFrame({
        "project_id": pids, "site_id": [f"s{i}" for i in range(n_projects)],
        "title": [f"Project {i}" for i in range(n_projects)],
        "status": rng.choice(STATUSES[:3], n_projects), "dataset": "synthetic"})
    n_actions = n_projects * ACTIONS_PER_PROJECT
    action_project = np.repeat(pids, ACTIONS_PER_PROJECT)
    aids = np.char.add(np.char.add(action_project.astype(str), "a"),
                       np.tile(np.arange(ACTIONS_PER_PROJECT), n_projects).astype(str))
    paused = rng.random(n_actions) < 0.05
    actions = pd.DataFrame({
        "action_id": aids, "project_id": action_project,
        "action_type": np.tile(ACTION_TYPES, n_projects),
        "agency": rng.choice(AGENCIES, n_actions),
        "status": np.where(paused, "Paused", rng.choice(STATUSES[:3], n_actions)),
        "pause_start": np.where(paused, np.datetime64("2026-01-01"), np.datetime64("NaT")),
        "pause_end": np.where(paused, np.datetime64("2027-01-01"), np.datetime64("NaT")),
        "pause_reason": np.where(paused, "Project Sponsor Factors", ""),
    })
    milestones = _milestones(rng, aids, action_project)
    sites = pd.DataFrame({
        "id": projects["site_id"], "name": projects["title"],
        "commodities": rng.choice(["Li", "REE;Nd", "Cu", "Ni;Co", "Sb;Au"], n_projects),
        "stage": rng.choice(["mine", "separation/refining", "permanent magnet"], n_projects),
        "country": rng.choice(["United States", "Japan", "Australia"], n_projects,
                              p=[0.8, 0.1, 0.1])})
    return PermitData.from_frames(projects, actions, milestones), sites


def _milestones(rng: np.random.Generator, aids: np.ndarray,
                action_project: np.ndarray) -> pd.DataFrame:
    per = MILESTONES_PER_ACTION
    n = len(aids) * per
    action_of = np.repeat(aids, per)
    sequence = np.tile(np.arange(1, per + 1), len(aids))
    mids = np.char.add(np.char.add(action_of.astype(str), "m"), sequence.astype(str))
    start = np.repeat(rng.integers(0, 2000, len(aids)), per)  # days after 2022-01-01
    baseline = start + sequence * 60
    slip = np.where(rng.random(n) < 0.35, rng.integers(1, 400, n), 0)
    current = baseline + slip
    day0 = np.datetime64("2022-01-01")
    as_of = np.datetime64("2026-11-25")
    current_dates = day0 + current.astype("timedelta64[D]")
    done = (current_dates < as_of) & (rng.random(n) < 0.9)
    actual = np.where(done, current_dates + rng.integers(-20, 30, n).astype("timedelta64[D]"),
                      np.datetime64("NaT"))
    actual = np.where(actual > as_of, as_of, actual)
    # The first milestone of action k waits for the last milestone of action k-1.
    first = (sequence == 1) & ~np.char.endswith(action_of.astype(str), "a0")
    depends = np.where(first, _previous_action_last(action_of), "")
    return pd.DataFrame({
        "milestone_id": mids, "action_id": action_of,
        "project_id": np.repeat(action_project, per), "sequence": sequence,
        "name": np.char.add("Milestone ", sequence.astype(str)),
        "milestone_type": np.tile(MILESTONE_TYPES, len(aids)),
        "baseline_target": day0 + baseline.astype("timedelta64[D]"),
        "current_target": current_dates, "actual_completion": actual, "complete": done,
        "depends_on": depends,
        "reason_for_change": np.where(slip > 0, "Additional analysis required", ""),
    })


def _previous_action_last(action_of: np.ndarray) -> np.ndarray:
    """For an action id 'p12a3', the id of milestone 10 of 'p12a2'."""
    parts = np.char.rpartition(action_of.astype(str), "a")
    head, index = parts[:, 0], parts[:, 2]
    prev = np.maximum(index.astype(int) - 1, 0).astype(str)
    return np.char.add(np.char.add(np.char.add(head, "a"), prev), f"m{MILESTONES_PER_ACTION}")
