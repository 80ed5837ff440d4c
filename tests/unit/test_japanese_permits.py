"""The permitting messages made below the pages, in Japanese: the timeline edit form's
refusals, the store's edit conflict, the Permitting Dashboard import's refusals and row
problems, the missed-date notice and the schedule's flags. English stays as it was."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from domain.access import OPEN_ACCESS
from domain.i18n import language, ntr, tr
from permits.dashboard import EXPECTED, read_dashboard
from permits.editing import plan_action_edit, plan_milestone_edit
from permits.errors import DashboardFileError, EditRefused
from permits.frames import PermitData
from permits.schedule import (
    FLAG_ACTUAL_IN_FUTURE,
    FLAG_DEPENDENCY_ORDER,
    derive_milestones,
    flags_shown,
    missed_date_notice,
)
from store.errors import EditConflict
from store.permits_repo import get_record, save_edit
from store.startup import ensure_store
from tests.support.fixtures_data import write_data_dir
from tests.unit.test_dashboard_import import content, write_csv

TODAY = date(2026, 11, 1)


def _japanese(text: str) -> bool:
    return any("\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" for c in text)


def _locked_edit() -> None:
    plan_milestone_edit({"current_target": date(2026, 11, 11), "complete": False},
                        {"current_target": date(2027, 3, 1)}, reason="Court order",
                        today=TODAY, lockout_days=30)


def test_a_locked_target_date_is_refused_in_japanese() -> None:
    with pytest.raises(EditRefused) as english:
        _locked_edit()
    assert str(english.value).startswith("The target date 2026-11-11 is 10 days away: changes "
                                         "within 30 days of a target are locked out.")
    with language("ja"), pytest.raises(EditRefused) as japanese:
        _locked_edit()
    with language("ja"):
        when = tr("is {n} days away").format(n=10)
        expected = tr("The target date {target} {when}: changes within {lockout} days of a "
                      "target are locked out. Record the change as an extension request "
                      "(approved or rejected) with its justification as the reason.").format(
            target="2026-11-11", when=when, lockout=30)
    assert str(japanese.value) == expected
    assert _japanese(expected) and "2026-11-11" in expected


def test_a_pause_ending_before_it_starts_is_refused_in_japanese() -> None:
    def refuse() -> str:
        with pytest.raises(EditRefused) as refused:
            plan_action_edit({"status": "In Progress"},
                             {"pause_start": date(2026, 10, 1), "pause_end": date(2026, 9, 1)},
                             today=TODAY)
        return str(refused.value)

    assert refuse() == ("The pause ends (2026-09-01) before it starts (2026-10-01); correct one "
                        "of the dates.")
    with language("ja"):
        expected = tr("The pause ends ({end}) before it starts ({start}); correct one of the "
                      "dates.").format(end="2026-09-01", start="2026-10-01")
        assert refuse() == expected
    assert _japanese(expected)


def test_a_stale_save_is_refused_in_japanese(tmp_path: Path) -> None:
    engine = ensure_store(f"sqlite:///{tmp_path / 'store' / 'permitmap.db'}",
                          write_data_dir(tmp_path / "data"))

    def edit(target: str, who: str, version: int) -> None:
        current = get_record(engine, "milestone", "pm-alpha-rod")
        plan = plan_milestone_edit(current, {"current_target": pd.Timestamp(target)},
                                   reason="Court order", today=date(2025, 10, 1),
                                   lockout_days=30)
        save_edit(engine, "milestone", "pm-alpha-rod", version, plan, who=who,
                  reason="Court order", principal=OPEN_ACCESS)

    edit("2027-12-31", "alice", 1)
    with pytest.raises(EditConflict) as english:
        edit("2028-06-30", "bob", 1)
    assert " while you were editing: current_target 2027-09-30 → 2027-12-31 (reason: Court " \
           "order). Your change was not saved" in str(english.value)
    with language("ja"), pytest.raises(EditConflict) as japanese:
        edit("2028-06-30", "bob", 1)
    stamp = str(english.value).split(" at ", 1)[1].split(" while ", 1)[0]
    with language("ja"):
        expected = tr("{who} saved a change to this milestone at {when} while you were editing: "
                      "{what}{why}. Your change was not saved; your entries are kept in the "
                      "form. Check the new values, then save again.").format(
            who="alice", when=stamp, what="current_target 2027-09-30 → 2027-12-31",
            why=" " + tr("(reason: {reason})").format(reason="Court order"))
    assert str(japanese.value) == expected
    assert _japanese(expected)


def test_dashboard_file_refusals_in_japanese(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("  \n", encoding="utf-8")
    zipped = tmp_path / "export.zip"
    zipped.write_bytes(b"PK\x03\x04rest of a zip")
    with pytest.raises(DashboardFileError, match=r"^empty\.csv is empty: expected the "
                                                 r"Permitting Dashboard full dataset export"):
        read_dashboard(empty)
    for path, template in (
        (empty, "{name} is empty: expected {expected}."),
        (zipped, "{name} is a zip, gzip or Excel file: unzip it, or save the sheet as CSV; "
                 "expected {expected}."),
    ):
        with language("ja"):
            with pytest.raises(DashboardFileError) as refused:
                read_dashboard(path)
            expected = tr(template).format(name=path.name, expected=tr(EXPECTED))
        assert str(refused.value) == expected
        assert _japanese(expected) and path.name in expected


def test_dashboard_row_problems_in_japanese(tmp_path: Path) -> None:
    rows = content()
    rows[0] = rows[0] | {"action_milestone_completion_target": "soon"}
    path = write_csv(tmp_path / "export.csv", rows)
    assert [p.reason for p in read_dashboard(path).problems] == [
        "row 2: Milestone Target Completion Date 'soon' is not a date; left empty"]
    with language("ja"):
        reasons = [p.reason for p in read_dashboard(path).problems]
        expected = tr("row {row}: {field} '{value}' is not a date; left empty").format(
            row=2, field="Milestone Target Completion Date", value="soon")
    assert reasons == [expected]
    assert _japanese(expected) and "Milestone Target Completion Date" in expected


def _late(days_late_target: str) -> pd.Series:
    data = PermitData.from_frames(
        pd.DataFrame([{"project_id": "p", "site_id": "s", "title": "P", "status": "In Progress"}]),
        pd.DataFrame([{"action_id": "a", "project_id": "p", "action_type": "EIS",
                       "status": "In Progress"}]),
        pd.DataFrame([{"action_id": "a", "project_id": "p", "sequence": 1, "name": "ROD",
                       "milestone_id": "late", "current_target": days_late_target}]))
    return derive_milestones(data, date(2026, 6, 15)).set_index("milestone_id").loc["late"]


def test_missed_date_notice_counts_business_days_in_japanese() -> None:
    one, ten = _late("2026-06-12"), _late("2026-06-01")  # Friday: 1 business day; 10
    assert missed_date_notice(one) == "Target date of 06/12/2026 for ROD has passed by 1 " \
                                      "business day."
    assert missed_date_notice(ten) == "Target date of 06/01/2026 for ROD has passed by 10 " \
                                      "business days."
    with language("ja"):
        for row, target, n in ((one, "06/12/2026", 1), (ten, "06/01/2026", 10)):
            expected = ntr("Target date of {target} for {name} has passed by {n} business day.",
                           "Target date of {target} for {name} has passed by {n} business days.",
                           n).format(target=target, name="ROD", n=n)
            assert missed_date_notice(row) == expected
            assert _japanese(expected)


def test_schedule_flags_stay_english_in_the_frame_and_are_shown_translated() -> None:
    stored = f"{FLAG_ACTUAL_IN_FUTURE}; {FLAG_DEPENDENCY_ORDER}"
    assert flags_shown(stored) == stored
    with language("ja"):
        shown = flags_shown(stored)
        assert shown == f"{tr(FLAG_ACTUAL_IN_FUTURE)}; {tr(FLAG_DEPENDENCY_ORDER)}"
    assert _japanese(shown)
    assert flags_shown("") == ""
