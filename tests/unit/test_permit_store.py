"""The permitting record in the store (SQLite and PostgreSQL): seed, edits, locking, imports."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from domain.access import OPEN_ACCESS
from domain.settings import DATA_DIR
from permits.editing import plan_milestone_edit
from permits.frames import PermitData
from permits.history import record_as_of, value_text
from permits.vocab import ExtensionOutcome
from store.errors import EditConflict, SeedDataError
from store.permit_seed import read_permit_seed
from store.permits_repo import (
    get_record,
    import_permit_data,
    load_changes,
    load_permit_data,
    save_edit,
)
from store.seed import read_sites, seed
from store.startup import ensure_store
from tests.support.fixtures_data import SAMPLE_SITES, write_data_dir

TODAY = date(2025, 10, 1)


@pytest.fixture()
def engine(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return ensure_store(database_url, write_data_dir(tmp_path / "data"))


def _edit(engine, milestone_id: str, proposed: dict, *, who: str, reason: str = "Court order",
          extension: ExtensionOutcome | None = None, version: int | None = None,
          now: datetime | None = None) -> int:  # type: ignore[no-untyped-def]
    current = get_record(engine, "milestone", milestone_id)
    plan = plan_milestone_edit(current, proposed, reason=reason, today=TODAY, lockout_days=30,
                               extension=extension)
    return save_edit(engine, "milestone", milestone_id,
                     current["version"] if version is None else version, plan, who=who,
                     reason=reason, now=now, principal=OPEN_ACCESS)


def test_seed_loads_the_record_and_its_sourced_changes(engine) -> None:  # type: ignore[no-untyped-def]
    data = load_permit_data(engine)
    assert len(data.projects) == 2 and len(data.actions) == 3 and len(data.milestones) == 5
    assert (data.milestones["version"] == 1).all()
    changes = load_changes(engine)
    assert changes[["entity_id", "before", "after", "kind"]].values.tolist() == [
        ["pm-alpha-deis", "2026-03-01", "2026-12-15", "source"]]
    earlier = record_as_of(data, changes, date(2025, 6, 1)).milestones.set_index("milestone_id")
    assert value_text(earlier.loc["pm-alpha-deis", "current_target"]) == "2026-03-01"


def test_an_edit_is_saved_with_its_history_and_a_stale_save_is_refused(engine) -> None:  # type: ignore[no-untyped-def]
    version = _edit(engine, "pm-alpha-rod", {"current_target": pd.Timestamp("2027-12-31")},
                    who="alice")
    assert version == 2
    with pytest.raises(EditConflict, match=r"alice saved a change .* current_target "
                                           r"2027-09-30 → 2027-12-31 \(reason: Court order\)"):
        _edit(engine, "pm-alpha-rod", {"current_target": pd.Timestamp("2028-06-30")}, who="bob",
              version=1)
    stored = get_record(engine, "milestone", "pm-alpha-rod")
    assert (value_text(stored["current_target"]), stored["version"]) == ("2027-12-31", 2)
    history = load_changes(engine, ["pm-alpha"])
    assert history[history["kind"] == "edit"][["who", "field", "before", "after"]].values.tolist() \
        == [["alice", "current_target", "2027-09-30", "2027-12-31"]]


def test_a_rejected_extension_is_recorded_but_not_applied(engine) -> None:  # type: ignore[no-untyped-def]
    before = get_record(engine, "milestone", "pm-alpha-deis")
    _edit(engine, "pm-alpha-deis", {"current_target": pd.Timestamp("2027-06-30")}, who="carol",
          extension=ExtensionOutcome.REJECTED)
    after = get_record(engine, "milestone", "pm-alpha-deis")
    assert (after["current_target"], after["version"]) == (before["current_target"], 1)
    kinds = load_changes(engine)["kind"].tolist()
    assert kinds.count("extension rejected") == 1


def test_history_replay_reproduces_each_saved_state(engine) -> None:  # type: ignore[no-untyped-def]
    states = {}
    for day, target in ((date(2025, 7, 1), "2027-10-31"), (date(2025, 8, 1), "2027-11-30"),
                        (date(2025, 9, 1), "2028-01-31")):
        _edit(engine, "pm-alpha-rod", {"current_target": pd.Timestamp(target)}, who="dan",
              now=datetime.combine(day, datetime.min.time(), UTC))
        states[day] = load_permit_data(engine).milestones.set_index("milestone_id")
    data, changes = load_permit_data(engine), load_changes(engine)
    for day, expected in states.items():
        replayed = record_as_of(data, changes, day).milestones.set_index("milestone_id")
        # The edited milestone (the sample's sourced 2025-09-01 change moves another one).
        assert replayed.loc["pm-alpha-rod", "current_target"] == \
            expected.loc["pm-alpha-rod", "current_target"], day
    first = record_as_of(data, changes, date(2025, 6, 30)).milestones.set_index("milestone_id")
    assert value_text(first.loc["pm-alpha-rod", "current_target"]) == "2027-09-30"


def test_reseeding_keeps_what_an_editor_changed(database_url: str, tmp_path: Path) -> None:
    folder = write_data_dir(tmp_path / "data")
    engine = ensure_store(database_url, folder)
    _edit(engine, "pm-alpha-rod", {"current_target": pd.Timestamp("2028-03-31")}, who="erin")
    milestones = (folder / "permits" / "milestones.csv").read_text(encoding="utf-8")
    (folder / "permits" / "milestones.csv").write_text(
        milestones.replace("FONSI signed", "FONSI signed by EPA"), encoding="utf-8")
    assert seed(engine, folder)
    data = load_permit_data(engine).milestones.set_index("milestone_id")
    assert value_text(data.loc["pm-alpha-rod", "current_target"]) == "2028-03-31"
    assert data.loc["pm-beta-fonsi", "name"] == "FONSI signed by EPA"
    assert (load_changes(engine)["kind"] == "source").sum() == 1


def test_import_is_idempotent_and_records_changed_fields(engine) -> None:  # type: ignore[no-untyped-def]
    incoming = load_permit_data(engine).for_projects({"pm-alpha"})
    projects = incoming.projects.assign(project_id="fpd-1", site_id="us-alpha",
                                        dataset="permitting-dashboard")
    actions = incoming.actions.assign(project_id="fpd-1", action_id="fpd-a" + incoming.actions[
        "action_id"])
    milestones = incoming.milestones.assign(
        project_id="fpd-1", action_id="fpd-a" + incoming.milestones["action_id"],
        milestone_id="fpd-m" + incoming.milestones["milestone_id"], depends_on="")
    batch = PermitData.from_frames(projects, actions, milestones)
    kwargs = {"who": "import", "file_name": "dash.csv", "checksum": "x", "rows_read": 4,
              "report": {}}
    first = import_permit_data(engine, batch, **kwargs, principal=OPEN_ACCESS)
    assert first.inserted == {"project": 1, "action": 2, "milestone": 4}
    again = import_permit_data(engine, batch, **kwargs, principal=OPEN_ACCESS)
    assert again.inserted == {"project": 0, "action": 0, "milestone": 0}
    assert again.updated == {"project": 0, "action": 0, "milestone": 0}
    assert again.changes_recorded == 0
    moved = batch.milestones.assign(current_target=pd.Timestamp("2028-01-01"))
    third = import_permit_data(engine, PermitData.from_frames(projects, actions, moved), **kwargs,
                               principal=OPEN_ACCESS)
    assert third.updated["milestone"] == 4
    history = load_changes(engine)
    imported = history[history["kind"] == "import"]
    assert set(imported["field"]) == {"current_target"} and len(imported) == 4
    assert get_record(engine, "milestone", "fpd-mpm-alpha-rod")["version"] == 2


def test_bad_seed_rows_are_named(tmp_path: Path) -> None:
    folder = write_data_dir(tmp_path / "data")
    path = folder / "permits" / "actions.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("In Progress", "Ongoing", 1),
                    encoding="utf-8")
    with pytest.raises(SeedDataError, match=r"actions.csv row 2: status 'Ongoing' is not one of"):
        read_permit_seed(folder, [s["id"] for s in SAMPLE_SITES])


def test_bundled_permitting_records_are_valid() -> None:
    sites = read_sites(DATA_DIR / "sites.csv")
    data, changes = read_permit_seed(DATA_DIR, [s["id"] for s in sites])
    assert (data.milestones["source"].str.contains("http")).all()
    assert (data.actions["source"].str.contains("http")).all()
    assert set(data.projects["site_id"]) <= {s["id"] for s in sites}
    # The latest sourced change of each field ends at the stored value.
    latest = changes.sort_values("changed_at").drop_duplicates(["entity_id", "field"], keep="last")
    stored = data.milestones.set_index("milestone_id")
    for row in latest[latest["entity"] == "milestone"].to_dict("records"):
        assert value_text(stored.loc[row["entity_id"], row["field"]]) == row["after"], row
