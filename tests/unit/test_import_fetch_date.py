"""A Permitting Dashboard file counts from the day its data was fetched (``last_data_fetched``),
not from the day it was imported: a view as of a day in between shows the dashboard."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from commands.main import main
from permits.as_of import record_on
from store.permits_repo import load_changes, load_permit_data
from tests.support.sample_store import sample_engine, use_sample_store
from tests.unit.test_dashboard_import import content, write_csv

TODAY = date.today()
FETCHED = TODAY - timedelta(days=10)


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sample_store(tmp_path, monkeypatch, "fetched.db")


def _dashboard(tmp_path: Path, fetched: date, name: str = "dashboard.csv",
               **changed: object) -> Path:
    """The sample dashboard fetched on ``fetched``; ``changed``: new values for Stibnite."""
    rows = [row | {"last_data_fetched": fetched}
            | (changed if row["project_id"] == "101" else {}) for row in content()]
    return write_csv(tmp_path / name, rows)


def _projects_on(tmp_path: Path, day: date) -> set[str]:
    engine = sample_engine(tmp_path, "fetched.db")
    record = record_on(load_permit_data(engine), day, TODAY, lambda: load_changes(engine))
    return set(record.projects["title"])


def test_a_view_between_the_fetch_and_the_import_shows_the_dashboard(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["permits", "import", str(_dashboard(tmp_path, FETCHED))]) == 0
    assert "past views count its records and changes from then" in capsys.readouterr().out
    between = _projects_on(tmp_path, FETCHED + timedelta(days=5))
    assert {"Stibnite Gold Project", "Thacker Pass Lithium Mine Project"} <= between
    before = _projects_on(tmp_path, FETCHED - timedelta(days=1))
    assert "Stibnite Gold Project" not in before  # not yet fetched then


def test_a_change_counts_from_its_own_fetch_and_history_stays_in_order(tmp_path: Path) -> None:
    assert main(["permits", "import", str(_dashboard(tmp_path, FETCHED))]) == 0
    later = FETCHED + timedelta(days=4)
    renamed = _dashboard(tmp_path, later, "again.csv", project_title="Stibnite Gold Project II")
    assert main(["permits", "import", str(renamed)]) == 0
    engine = sample_engine(tmp_path, "fetched.db")
    changes = load_changes(engine)
    title = changes[(changes["field"] == "title") & (changes["after"] == "Stibnite Gold "
                                                                        "Project II")]
    assert len(title) == 1
    changed_at = title["changed_at"].iloc[0]
    assert changed_at.date() == later  # from the fetch, not from today
    assert "Stibnite Gold Project" in _projects_on(tmp_path, later - timedelta(days=1))
    assert "Stibnite Gold Project II" in _projects_on(tmp_path, later)
    # a file fetched before the last change in the history cannot go back before it
    stale = _dashboard(tmp_path, FETCHED - timedelta(days=30), "stale.csv",
                       project_title="Stibnite (stale copy)")
    assert main(["permits", "import", str(stale)]) == 0
    stale_change = load_changes(engine)
    stale_change = stale_change[stale_change["after"] == "Stibnite (stale copy)"]
    assert stale_change["changed_at"].iloc[0] >= changed_at


def test_a_file_that_does_not_say_when_counts_from_the_import(tmp_path: Path) -> None:
    rows = [{k: v for k, v in row.items() if k != "last_data_fetched"} for row in content()]
    assert main(["permits", "import", str(write_csv(tmp_path / "nodate.csv", rows))]) == 0
    engine = sample_engine(tmp_path, "fetched.db")
    recorded = load_permit_data(engine).projects["recorded_at"]
    assert (recorded.dropna().map(lambda t: t.date()) == datetime.now(UTC).date()).any()
    assert "Stibnite Gold Project" not in _projects_on(tmp_path, TODAY - timedelta(days=1))
