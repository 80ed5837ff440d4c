"""The as-of pipeline: a past day replays the history, today or later is the current record;
the pause rule on a date is the same for the schedule and the timeline page."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from permits.as_of import record_on, state_on
from permits.frames import PermitData
from permits.history import record_as_of
from permits.schedule import derive_milestones, pause_ended, paused_on
from permits.site_state import site_permit_state
from permits.summary import project_summary
from tests.support.fixtures_data import SAMPLE_ACTIONS, SAMPLE_MILESTONES, SAMPLE_PROJECTS

TODAY = date(2026, 11, 25)
# The draft EIS target moved on 2025-09-01 (from its baseline to the current target).
CHANGES = pd.DataFrame([{
    "changed_at": datetime(2025, 9, 1, tzinfo=UTC), "entity": "milestone",
    "entity_id": "pm-alpha-deis", "field": "current_target", "before": "2026-03-01",
    "after": "2026-12-15", "kind": "source"}])


@pytest.fixture()
def sample() -> PermitData:
    return PermitData.from_frames(pd.DataFrame(SAMPLE_PROJECTS), pd.DataFrame(SAMPLE_ACTIONS),
                                  pd.DataFrame(SAMPLE_MILESTONES))


def test_a_past_day_replays_the_history_and_every_step_follows(sample: PermitData) -> None:
    as_of = date(2025, 6, 1)
    state = state_on(sample, CHANGES, as_of, TODAY)
    record = record_as_of(sample, CHANGES, as_of)
    derived = derive_milestones(record, as_of, TODAY)
    pd.testing.assert_frame_equal(state.data.milestones, record.milestones)
    pd.testing.assert_frame_equal(state.derived, derived)
    pd.testing.assert_frame_equal(state.sites,
                                  site_permit_state(project_summary(derived, record)))
    target = state.data.milestones.set_index("milestone_id").loc["pm-alpha-deis",
                                                                  "current_target"]
    assert target == pd.Timestamp("2026-03-01")
    assert state.as_of == as_of and state.changes is CHANGES


@pytest.mark.parametrize("as_of", [TODAY, date(2027, 1, 1)])
def test_today_or_later_is_the_current_record(sample: PermitData, as_of: date) -> None:
    def no_history() -> pd.DataFrame:
        raise AssertionError("the history was asked for")

    assert record_on(sample, as_of, TODAY, no_history) is sample
    assert state_on(sample, CHANGES, as_of, TODAY).data is sample


days = st.one_of(st.none(), st.dates(date(2026, 1, 1), date(2026, 1, 10)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Paused", "In Progress"]), days, days),
                min_size=1, max_size=8), st.dates(date(2026, 1, 1), date(2026, 1, 10)))
def test_pauses_on_a_date_follow_the_rule_row_by_row(
        rows: list[tuple[str, date | None, date | None]], as_of: date) -> None:
    frame = pd.DataFrame(rows, columns=["status", "pause_start", "pause_end"])
    covering, ended = paused_on(frame, as_of).tolist(), pause_ended(frame, as_of).tolist()
    for (status, start, end), paused, was_paused in zip(rows, covering, ended, strict=True):
        started = start is None or start <= as_of
        open_or_window = status == "Paused" or end is None or as_of < end
        assert paused == (started and open_or_window and (start is not None
                                                          or status == "Paused"))
        assert was_paused == (start is not None and start <= as_of and not paused)
