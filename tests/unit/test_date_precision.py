"""A date known only to the month (quarter, year) is stored as the period's last day and
shown as the period, everywhere: the seed's checks, an edit, the site export, the briefing
pack's timetables, the Gantt tooltips, the rule findings and the CLI report."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.access import OPEN_ACCESS
from domain.settings import DATA_DIR
from mapping.parts.gantt import gantt_bars, gantt_rows
from permits.as_of import milestones_on
from permits.dates import misplaced, period_end, shown, shown_column
from permits.editing import plan_milestone_edit
from permits.schema import MILESTONE_COLUMNS, conform
from permits.vocab import DatePrecision
from services.briefing import PackOptions, briefing_pack
from services.site_export import site_export
from sites.selection import parse_selection
from store.errors import SeedDataError
from store.permits_repo import load_permit_data
from store.startup import ensure_store
from tests.support.fixtures_data import SAMPLE_MILESTONES, write_data_dir

TODAY = date(2025, 9, 1)  # the sample's Section 404 permit (September 2026) is then ahead
NOW = datetime(2025, 9, 1, tzinfo=UTC)


@pytest.fixture()
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    return ensure_store(f"sqlite:///{tmp_path / 'p.db'}", write_data_dir(tmp_path / "data"))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
       st.sampled_from(list(DatePrecision)))
def test_a_period_end_is_shown_as_its_period_and_round_trips(day: date,
                                                             exactness: DatePrecision) -> None:
    end = period_end(day, exactness)
    assert end >= day and period_end(end, exactness) == end
    text = shown(end, exactness)
    assert text == shown(day, exactness) if exactness is not DatePrecision.DAY else text == \
        day.isoformat()
    assert {DatePrecision.DAY: 10, DatePrecision.MONTH: 7, DatePrecision.QUARTER: 7,
            DatePrecision.YEAR: 4}[exactness] == len(text)


@given(st.lists(st.tuples(st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1),
                                                        max_value=date(2200, 12, 31))),
                          st.sampled_from(["", "day", "month", "quarter", "year", None])),
                max_size=30))
def test_a_column_is_shown_as_each_of_its_dates_is(rows: list[tuple[date | None, str | None]]
                                                   ) -> None:
    """The column-wise form exports use agrees with ``shown`` row by row, gaps included."""
    frame = pd.DataFrame(rows, columns=["actual_completion", "actual_completion_precision"],
                         dtype=object)
    assert shown_column(frame, "actual_completion").tolist() == [shown(d, p) for d, p in rows]

def test_the_seed_refuses_a_month_stored_on_another_day(tmp_path: Path) -> None:
    folder = write_data_dir(tmp_path / "data")
    path = folder / "permits" / "milestones.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = frame["milestone_id"] == "pm-alpha-noi"  # actual 2025-03-01, said to be a month
    frame.loc[row, "actual_completion_precision"] = "month"
    frame.to_csv(path, index=False)
    with pytest.raises(SeedDataError, match=r"pm-alpha-noi: actual_completion 2025-03-01 is "
                                            r"not the last day of its month"):
        ensure_store(f"sqlite:///{tmp_path / 'p.db'}", folder)


def test_misplaced_names_unknown_words_and_orphan_precisions() -> None:
    frame = conform(pd.DataFrame(SAMPLE_MILESTONES), MILESTONE_COLUMNS)
    frame.loc[0, "baseline_target_precision"] = "week"
    frame.loc[1, "actual_completion_precision"] = "month"  # the draft EIS has no actual date
    problems = misplaced(frame)
    assert any("pm-alpha-noi: baseline_target_precision 'week'" in p for p in problems)
    assert any("pm-alpha-deis: actual_completion_precision is 'month' but actual_completion "
               "is empty" in p for p in problems)
    assert misplaced(conform(pd.DataFrame(SAMPLE_MILESTONES), MILESTONE_COLUMNS)) == []


def test_an_edited_date_becomes_a_day() -> None:
    current = {"current_target": date(2026, 9, 30), "current_target_precision": "month",
               "baseline_target": date(2026, 9, 30), "baseline_target_precision": "month",
               "complete": False}
    plan = plan_milestone_edit(current, {"current_target": date(2026, 10, 14)},
                               reason="Court order", today=date(2025, 9, 1), lockout_days=30)
    assert {c.field: c.after for c in plan.changes} == {
        "current_target": "2026-10-14", "current_target_precision": ""}
    untouched = plan_milestone_edit(current, {"complete": False, "not_applicable": True},
                                    reason="", today=date(2025, 9, 1), lockout_days=30)
    assert [c.field for c in untouched.changes] == ["not_applicable"]  # baseline stays a month


def test_the_gantt_tooltip_shows_the_month(engine) -> None:  # type: ignore[no-untyped-def]
    data = load_permit_data(engine)
    derived = milestones_on(data, TODAY, TODAY)
    mine = derived[derived["project_id"] == "pm-alpha"]
    bars = gantt_bars(mine, gantt_rows(mine, data.actions))
    permit = bars[bars["milestone"] == "Section 404 permit issued"]
    assert set(permit["date"]) == {"2026-09"}
    assert set(bars[bars["milestone"] == "Notice of intent published"]["date"]) == {"2025-03-01"}


def test_the_export_and_the_pack_show_the_month(engine) -> None:  # type: ignore[no-untyped-def]
    selection = parse_selection({"commodity": "Li"}, TODAY)
    alpha = site_export(engine, selection, TODAY, NOW,
                        principal=OPEN_ACCESS).columns.set_index("id").loc["us-alpha"]
    assert alpha["next_milestone"] == "Section 404 permit issued"  # not yet paused then
    assert (alpha["next_milestone_date"], alpha["next_milestone_date_precision"]) == (
        "2026-09", "month")
    options = PackOptions(basemap=DATA_DIR / "basemap" / "countries-110m.geojson",
                          colours={}, since=date(2025, 1, 1))
    pack = briefing_pack(engine, selection, TODAY, NOW, options, principal=OPEN_ACCESS)
    archive = zipfile.ZipFile(io.BytesIO(pack.data))
    table = pd.read_csv(io.BytesIO(archive.read("permit_timetables.csv")), dtype=str,
                        keep_default_na=False, encoding="utf-8-sig",
                        skiprows=1).set_index("milestone_id")
    permit = table.loc["pm-alpha-404-permit"]
    assert (permit["baseline_target"], permit["current_target"]) == ("2026-09", "2026-09")
    assert permit["current_target_precision"] == "month"
    assert table.loc["pm-alpha-noi", "actual_completion"] == "2025-03-01"


def test_a_month_target_is_exported_as_the_month(tmp_path: Path) -> None:
    """Graphite Creek's federal permitting is due "before October 2026": the export says
    2026-09 (bundled data, read as a user's fresh store)."""
    engine = ensure_store(f"sqlite:///{tmp_path / 'b.db'}", DATA_DIR)
    selection = parse_selection({"q": "Graphite Creek"}, TODAY)
    rows = site_export(engine, selection, TODAY, NOW, principal=OPEN_ACCESS).columns.set_index("id")
    row = rows.loc["us-graphite-creek"]
    assert row["next_milestone_date"] == "2026-09"
    assert row["next_milestone_date_precision"] == "month"
