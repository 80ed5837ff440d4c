"""Derived schedule state: properties over generated records, and worked examples."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from permits.frames import PermitData
from permits.schedule import (
    FLAG_ACTUAL_IN_FUTURE,
    FLAG_BASELINE_AFTER_TARGET,
    FLAG_COMPLETE_NO_ACTUAL,
    FLAG_DEPENDENCY_ORDER,
    derive_milestones,
    missed_date_notice,
)
from permits.summary import action_summary, project_summary, site_health

AS_OF = date(2026, 6, 15)
DAY0 = date(2024, 1, 1)
days = st.one_of(st.none(), st.integers(0, 1500).map(lambda n: DAY0 + timedelta(days=n)))


@st.composite
def records(draw: st.DrawFn) -> PermitData:
    """One to three projects, each with actions and milestones with random dates and flags."""
    projects, actions, milestones = [], [], []
    for p in range(draw(st.integers(1, 3))):
        pid = f"p{p}"
        projects.append({"project_id": pid, "site_id": f"s{p}", "title": pid,
                         "status": draw(st.sampled_from(["In Progress", "Paused", "Planned"]))})
        for a in range(draw(st.integers(1, 3))):
            aid = f"{pid}a{a}"
            actions.append({"action_id": aid, "project_id": pid, "action_type": "EIS",
                            "status": draw(st.sampled_from(["In Progress", "Paused", "Complete",
                                                            "Cancelled", ""]))})
            for m in range(draw(st.integers(1, 5))):
                actual = draw(days)
                milestones.append({
                    "milestone_id": f"{aid}m{m}", "action_id": aid, "project_id": pid,
                    "sequence": m + 1, "name": f"step {m}", "baseline_target": draw(days),
                    "current_target": draw(days), "alternative_completion": draw(days),
                    "actual_completion": actual,
                    "complete": actual is not None or draw(st.booleans()),
                    "not_applicable": draw(st.booleans()) and draw(st.booleans()),
                    "reason_for_change": draw(st.sampled_from(["", "Project pause"])),
                })
    return PermitData.from_frames(pd.DataFrame(projects), pd.DataFrame(actions),
                                  pd.DataFrame(milestones))


@settings(max_examples=30, deadline=None)
@given(records())
def test_slip_is_effective_target_minus_baseline(data: PermitData) -> None:
    derived = derive_milestones(data, AS_OF)
    effective = derived["alternative_completion"].fillna(derived["current_target"])
    assert derived["effective_target"].equals(effective.rename("effective_target")) or (
        (derived["effective_target"].isna() == effective.isna()).all()
        and (derived["effective_target"].dropna() == effective.dropna()).all())
    expected = (effective - derived["baseline_target"]).dt.days
    both = expected.notna()
    assert np.allclose(derived.loc[both, "slip_days"], expected[both])
    assert derived.loc[~both, "slip_days"].isna().all()


@settings(max_examples=30, deadline=None)
@given(records(), st.integers(0, 1500))
def test_a_complete_milestone_is_never_overdue(data: PermitData, offset: int) -> None:
    as_of = DAY0 + timedelta(days=offset)
    derived = derive_milestones(data, as_of)
    done = derived["actual_as_of"].notna() | (derived["complete"]
                                              & derived["actual_completion"].isna())
    assert (derived.loc[done, "state"].isin(["complete", "not applicable"])).all()
    overdue = derived[derived["state"] == "overdue"]
    assert (overdue["effective_target"] < pd.Timestamp(as_of)).all()
    assert (overdue["business_days_late"] <= (pd.Timestamp(as_of)
                                                - overdue["effective_target"]).dt.days).all()
    assert (derived.loc[derived["state"] != "overdue", "business_days_late"] == 0).all()


@settings(max_examples=30, deadline=None)
@given(records())
def test_open_work_is_projected_no_earlier_than_today_or_its_target(data: PermitData) -> None:
    derived = derive_milestones(data, AS_OF)
    open_known = derived[derived["is_open"] & derived["effective_target"].notna()]
    assert (open_known["projected_finish"] >= pd.Timestamp(AS_OF)).all()
    assert (open_known["projected_finish"] >= open_known["effective_target"]).all()
    summary = project_summary(derived, data)
    assert summary["percent_complete"].dropna().between(0, 100).all()
    for pid, group in derived.groupby("project_id"):
        if group["projected_finish"].notna().any():
            latest = group["projected_finish"].max()
            assert group.loc[group["on_critical_path"], "projected_finish"].max() == latest, pid


def _one_action(*rows: dict[str, object], status: str = "In Progress") -> PermitData:
    base = {"action_id": "a", "project_id": "p"}
    milestones = [{**base, "sequence": i + 1, "name": f"m{i}", **r} for i, r in enumerate(rows)]
    return PermitData.from_frames(
        pd.DataFrame([{"project_id": "p", "site_id": "s", "title": "P", "status": "In Progress"}]),
        pd.DataFrame([{**base, "action_type": "EIS", "status": status}]),
        pd.DataFrame(milestones))


def test_states_on_a_date() -> None:
    data = _one_action(
        {"milestone_id": "done", "current_target": "2026-01-01", "actual_completion": "2026-01-02",
         "complete": True},
        {"milestone_id": "late", "current_target": "2026-06-01"},
        {"milestone_id": "soon", "current_target": "2026-07-10"},
        {"milestone_id": "later", "current_target": "2026-12-01"},
        {"milestone_id": "undated"},
        {"milestone_id": "na", "current_target": "2026-01-01", "not_applicable": True},
    )
    derived = derive_milestones(data, AS_OF).set_index("milestone_id")
    assert derived["state"].to_dict() == {
        "done": "complete", "late": "overdue", "soon": "due within 30 days",
        "later": "scheduled", "undated": "unscheduled", "na": "not applicable"}
    # 2026-06-01 (Mon) to 2026-06-15 (Mon): 10 weekdays after the target, no federal holiday.
    assert derived.loc["late", "business_days_late"] == 10
    assert missed_date_notice(derived.loc["late"]) == (
        "Target date of 06/01/2026 for m1 has passed by 10 business days.")


def test_as_of_a_past_date_treats_later_completions_as_open() -> None:
    data = _one_action({"milestone_id": "rod", "current_target": "2025-05-01",
                        "actual_completion": "2025-06-01", "complete": True})
    before = derive_milestones(data, date(2025, 5, 20), today=AS_OF).iloc[0]
    after = derive_milestones(data, date(2025, 6, 2), today=AS_OF).iloc[0]
    assert (before["state"], after["state"]) == ("overdue", "complete")
    assert before["flags"] == ""  # the completion is in the past for the real today


def test_paused_action_pauses_its_milestones_and_the_site_health() -> None:
    data = _one_action({"milestone_id": "m", "current_target": "2026-01-01"}, status="Paused")
    derived = derive_milestones(data, AS_OF)
    assert derived["state"].tolist() == ["paused"]
    assert site_health(project_summary(derived, data)) == {"s": "paused"}


def test_inconsistencies_are_flagged() -> None:
    data = _one_action(
        {"milestone_id": "a", "current_target": "2026-03-01", "complete": True},
        {"milestone_id": "b", "current_target": "2026-02-01", "depends_on": "a"},
        {"milestone_id": "c", "baseline_target": "2026-12-01", "current_target": "2026-10-01"},
        {"milestone_id": "d", "current_target": "2026-08-01", "actual_completion": "2026-09-01",
         "complete": True},
    )
    flags = derive_milestones(data, AS_OF).set_index("milestone_id")["flags"]
    assert flags["a"] == FLAG_COMPLETE_NO_ACTUAL
    assert flags["b"] == FLAG_DEPENDENCY_ORDER
    assert flags["c"] == FLAG_BASELINE_AFTER_TARGET
    assert flags["d"] == FLAG_ACTUAL_IN_FUTURE



def test_periods_are_compared_by_overlap_not_by_their_stored_last_day() -> None:
    """A baseline "in 2026" (stored 2026-12-31) is not after a target of 2026-09-07; a baseline
    "in 2027" is. A step on 2025-03-01 after a predecessor done "in 2025" is not out of order;
    after one done in April 2025 it is."""
    data = _one_action(
        {"milestone_id": "year", "baseline_target": "2026-12-31",
         "baseline_target_precision": "year", "current_target": "2026-09-07"},
        {"milestone_id": "later-year", "baseline_target": "2027-12-31",
         "baseline_target_precision": "year", "current_target": "2026-09-07"},
        {"milestone_id": "p1", "actual_completion": "2025-12-31",
         "actual_completion_precision": "year", "complete": True},
        {"milestone_id": "in-year", "actual_completion": "2025-03-01", "complete": True,
         "depends_on": "p1"},
        {"milestone_id": "p2", "actual_completion": "2025-04-30",
         "actual_completion_precision": "month", "complete": True},
        {"milestone_id": "before-month", "actual_completion": "2025-03-01", "complete": True,
         "depends_on": "p2"},
    )
    flags = derive_milestones(data, AS_OF).set_index("milestone_id")["flags"]
    assert flags["year"] == "" and flags["later-year"] == FLAG_BASELINE_AFTER_TARGET
    assert flags["in-year"] == "" and flags["before-month"] == FLAG_DEPENDENCY_ORDER

def test_critical_path_follows_the_binding_dependency() -> None:
    data = _one_action(
        {"milestone_id": "noi", "current_target": "2026-01-01", "actual_completion": "2026-01-01",
         "complete": True},
        {"milestone_id": "draft", "current_target": "2026-05-01"},  # overdue: pushed to today
        {"milestone_id": "final", "current_target": "2026-09-01", "depends_on": "draft"},
        {"milestone_id": "side", "current_target": "2026-08-01", "depends_on": "noi"},
    )
    derived = derive_milestones(data, AS_OF).set_index("milestone_id")
    # draft slips to 2026-06-15; final keeps its 123-day gap: 2026-10-16. The path starts at
    # the overdue draft: today, not the NOI, is what holds it back.
    assert derived.loc["final", "projected_finish"] == pd.Timestamp("2026-10-16")
    assert derived["on_critical_path"].to_dict() == {
        "noi": False, "draft": True, "final": True, "side": False}
    summary = action_summary(derived.reset_index(), data)
    assert summary.loc[0, "percent_complete"] == 25.0
    assert summary.loc[0, "next_milestone"] == "m1"  # the draft, named by its position


def test_an_empty_record_derives_to_empty_figures() -> None:
    data = PermitData.from_frames(pd.DataFrame([{"project_id": "p", "site_id": "s"}]),
                                  pd.DataFrame(), pd.DataFrame())
    derived = derive_milestones(data, AS_OF)
    assert derived.empty and "projected_finish" in derived.columns
    assert project_summary(derived, data)["health"].tolist() == ["no permitting record"]
