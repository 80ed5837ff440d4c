"""Replaying the change history to a past date reproduces the record as it stood then."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InputError
from permits.editing import plan_milestone_edit
from permits.errors import EditRefused
from permits.frames import PermitData
from permits.history import diff_fields, record_as_of, value_text
from permits.vocab import ExtensionOutcome

START = date(2025, 1, 1)
FIELDS = {
    "current_target": st.dates(date(2025, 1, 1), date(2028, 12, 31)).map(pd.Timestamp),
    "alternative_completion": st.one_of(st.none(), st.dates(date(2025, 1, 1),
                                                            date(2028, 12, 31)).map(pd.Timestamp)),
    "complete": st.booleans(),
    "reason_for_change": st.sampled_from(["", "Project pause", "Litigation or court order"]),
}


def _record() -> PermitData:
    milestones = pd.DataFrame([
        {"milestone_id": f"m{i}", "action_id": "a", "project_id": "p", "sequence": i,
         "name": f"step {i}", "current_target": "2026-01-01"} for i in range(3)])
    return PermitData.from_frames(
        pd.DataFrame([{"project_id": "p", "title": "P", "status": "In Progress"}]),
        pd.DataFrame([{"action_id": "a", "project_id": "p", "status": "In Progress"}]),
        milestones)


edits = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(sorted(FIELDS)),
                           st.integers(1, 20)).flatmap(
    lambda t: st.tuples(st.just(t[0]), st.just(t[1]), st.just(t[2]), FIELDS[t[1]])),
    min_size=1, max_size=12)


@settings(max_examples=30, deadline=None)
@given(edits)
def test_replay_reproduces_every_earlier_state(steps: list[tuple[int, str, int, object]]) -> None:
    data = _record()
    milestones = data.milestones.copy()
    changes, snapshots, day = [], [], START
    for index, field, gap, value in steps:
        day += timedelta(days=gap)
        row = milestones.index[index]
        before = value_text(milestones.at[row, field])
        milestones[field] = milestones[field].astype(object)
        milestones.at[row, field] = value
        milestones = PermitData.from_frames(data.projects, data.actions, milestones).milestones
        after = value_text(milestones.at[row, field])
        if before != after:
            changes.append({"changed_at": datetime.combine(day, datetime.min.time(), UTC),
                            "entity": "milestone", "entity_id": f"m{index}", "field": field,
                            "before": before, "after": after, "kind": "edit"})
        snapshots.append((day, milestones.copy()))
    final = PermitData.from_frames(data.projects, data.actions, milestones)
    history = pd.DataFrame(changes, columns=["changed_at", "entity", "entity_id", "field",
                                             "before", "after", "kind"])
    for when, expected in snapshots:
        replayed = record_as_of(final, history, when).milestones
        for field in FIELDS:
            got = [value_text(v) for v in replayed[field]]
            want = [value_text(v) for v in expected[field]]
            assert got == want, (when, field)
    original = record_as_of(final, history, START).milestones
    assert [value_text(v) for v in original["current_target"]] == ["2026-01-01"] * 3


def test_records_created_later_are_absent_and_rejected_extensions_are_not_replayed() -> None:
    data = _record()
    milestones = data.milestones.assign(
        recorded_at=[pd.NaT, pd.NaT, pd.Timestamp("2025-06-01")],
        current_target=pd.to_datetime(["2026-03-01", "2026-01-01", "2026-01-01"]))
    final = PermitData.from_frames(data.projects, data.actions, milestones)
    history = pd.DataFrame([
        {"changed_at": pd.Timestamp("2025-05-01", tz="UTC"), "entity": "milestone",
         "entity_id": "m0", "field": "current_target", "before": "2026-01-01",
         "after": "2026-03-01", "kind": "extension approved"},
        {"changed_at": pd.Timestamp("2025-04-01", tz="UTC"), "entity": "milestone",
         "entity_id": "m1", "field": "current_target", "before": "2026-01-01",
         "after": "2027-01-01", "kind": "extension rejected"},
    ])
    april = record_as_of(final, history, date(2025, 4, 15)).milestones
    assert april["milestone_id"].tolist() == ["m0", "m1"]
    assert [value_text(v) for v in april["current_target"]] == ["2026-01-01", "2026-01-01"]
    june = record_as_of(final, history, date(2025, 6, 1)).milestones
    assert [value_text(v) for v in june["current_target"]] == ["2026-03-01", "2026-01-01",
                                                              "2026-01-01"]


def test_diff_fields_compares_text_forms() -> None:
    changes = diff_fields({"d": pd.Timestamp("2026-01-01"), "f": False},
                          {"d": date(2026, 1, 1), "f": True}, ["d", "f"])
    assert [(c.field, c.before, c.after) for c in changes] == [("f", "false", "true")]


CURRENT = {"current_target": pd.Timestamp("2026-12-10"), "complete": False,
           "actual_completion": pd.NaT}


@pytest.mark.parametrize(("proposed", "today", "extension", "message"), [
    ({"current_target": pd.Timestamp("2027-02-01")}, date(2026, 11, 25), None,
     "is 15 days away: changes within 30 days of a target are locked out"),
    ({"actual_completion": pd.Timestamp("2026-12-01"), "complete": True}, date(2026, 11, 25),
     None, "is in the future"),
    ({"complete": True}, date(2026, 11, 25), None, "needs its actual completion date"),
    ({}, date(2026, 11, 25), None, "Nothing to save"),
    ({"reason_for_change": "typo"}, date(2026, 11, 25), ExtensionOutcome.APPROVED,
     "must change the target date"),
])
def test_edits_that_break_the_rules_are_refused(proposed: dict[str, object], today: date,
                                                extension: ExtensionOutcome | None,
                                                message: str) -> None:
    with pytest.raises(EditRefused, match=message) as info:
        plan_milestone_edit(CURRENT, proposed, reason="Litigation or court order", today=today,
                            lockout_days=30, extension=extension)
    assert isinstance(info.value, InputError)


def test_changes_inside_the_lockout_go_through_as_extension_requests() -> None:
    proposed = {"current_target": pd.Timestamp("2027-02-01")}
    today = date(2026, 11, 25)
    approved = plan_milestone_edit(CURRENT, proposed, reason="Court order", today=today,
                                   lockout_days=30, extension=ExtensionOutcome.APPROVED)
    rejected = plan_milestone_edit(CURRENT, proposed, reason="Court order", today=today,
                                   lockout_days=30, extension=ExtensionOutcome.REJECTED)
    assert (approved.applied, approved.kind.value) == (True, "extension approved")
    assert (rejected.applied, rejected.kind.value) == (False, "extension rejected")
    early = plan_milestone_edit(CURRENT, proposed, reason="Court order", today=date(2026, 10, 1),
                                lockout_days=30)
    assert [(c.field, c.before, c.after) for c in early.changes] == [
        ("current_target", "2026-12-10", "2027-02-01")]


def test_resuming_an_action_closes_its_pause_and_bad_pauses_are_refused() -> None:
    from permits.editing import plan_action_edit

    paused = {"status": "Paused", "pause_start": date(2026, 1, 15),
              "pause_end": date(2026, 6, 30), "pause_reason": "Litigation",
              "pause_next_steps": "Await ruling"}
    plan = plan_action_edit(paused, {"status": "In Progress"}, today=date(2026, 11, 25))
    assert [(c.field, c.after) for c in plan.changes] == [("status", "In Progress"),
                                                          ("pause_end", "2026-11-25")]
    with pytest.raises(EditRefused, match="not a status the dashboard uses"):
        plan_action_edit(paused, {"status": "Ongoing"}, today=date(2026, 11, 25))
    with pytest.raises(EditRefused, match=r"ends .* before it starts"):
        plan_action_edit(paused, {"pause_end": date(2025, 1, 1)}, today=date(2026, 11, 25))
    with pytest.raises(EditRefused, match="summary of next steps"):
        plan_action_edit({"status": "In Progress"}, {"status": "Paused",
                                                     "pause_reason": "Litigation"},
                         today=date(2026, 11, 25))


def test_a_record_imported_complete_was_in_progress_before_its_last_completion() -> None:
    """Seeded complete (no history entry for the status), an action and its project were
    still in progress before the decision that completed them."""
    data = _record()
    milestones = data.milestones.assign(
        actual_completion=pd.to_datetime(["2025-03-01", "2025-06-01", "2025-12-08"]),
        complete=True)
    final = PermitData.from_frames(data.projects.assign(status="Complete"),
                                   data.actions.assign(status="Complete"), milestones)
    empty = pd.DataFrame(columns=["changed_at", "entity", "entity_id", "field", "before",
                                  "after", "kind"])
    before = record_as_of(final, empty, date(2025, 12, 7))
    assert before.actions["status"].tolist() == ["In Progress"]
    assert before.projects["status"].tolist() == ["In Progress"]
    after = record_as_of(final, empty, date(2025, 12, 8))  # the end of the decision's day
    assert after.actions["status"].tolist() == ["Complete"]
    assert after.projects["status"].tolist() == ["Complete"]
