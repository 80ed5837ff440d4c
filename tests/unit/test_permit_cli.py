"""`permitmap permits ...`: import both shapes, link to sites, report and history from the shell."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from commands.main import main
from domain.settings import load_settings
from permits.rules import load_rulesets
from permits.status_report import permit_report
from store.audit import audit_rows
from store.permits_repo import load_changes, load_permit_data
from store.records import load_sites
from store.startup import ensure_store
from tests.support.fixtures_data import write_data_dir
from tests.unit.test_dashboard_import import THACKER, content, write_csv, write_json

# Thacker's rows renamed and placed 1 km from the sample site "Alpha Lithium" (41.7, -118.07).
ALPHA = THACKER | {"project_title": "Alpha Lithium Mine Project", "project_latlong": (41.709,
                                                                                     -118.07)}


def _rows() -> list[dict[str, object]]:
    return [row | ALPHA if row["project_id"] == "102" else row for row in content()]


@pytest.fixture(autouse=True)
def sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = write_data_dir(tmp_path / "data")  # with the bundled rule sets
    monkeypatch.setenv("PERMITMAP_DB_PATH", str(tmp_path / "cli.db"))
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(data))
    monkeypatch.delenv("DATABASE_URL", raising=False)


def _engine():  # type: ignore[no-untyped-def]
    settings = load_settings()
    return ensure_store(settings.database_url, settings.data_dir)


def test_import_links_by_name_and_distance_and_reimport_changes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path / "dashboard.csv", _rows())
    assert main(["permits", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "CSV export, 6 rows read, 0 skipped" in out
    assert "projects: 2 new, 0 updated" in out and "milestones: 6 new" in out
    assert "1 name and distance" in out and "1 not linked" in out
    assert "fpd-101 'Stibnite Gold Project': no site with a similar name" in out
    projects = load_permit_data(_engine()).projects.set_index("project_id")
    assert projects.loc["fpd-102", "site_id"] == "us-alpha"
    assert main(["permits", "import", str(write_json(tmp_path / "rows.json", _rows()))]) == 0
    again = capsys.readouterr().out
    assert "API JSON rows" in again and "milestones: 0 new, 0 updated, 6 unchanged" in again
    assert "history: 0 field changes recorded" in again


def test_a_given_link_and_a_moved_date_enter_the_history(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _rows()
    assert main(["permits", "import", str(write_csv(tmp_path / "a.csv", rows)),
                 "--link", "101=us-beta"]) == 0
    rows[3] = rows[3] | {"action_milestone_completion_target": rows[3][
        "action_milestone_completion_target"].replace(year=2026)}  # type: ignore[union-attr]
    assert main(["permits", "import", str(write_csv(tmp_path / "b.csv", rows))]) == 0
    out = capsys.readouterr().out
    assert "milestones: 0 new, 1 updated, 5 unchanged" in out
    changes = load_changes(_engine())
    moved = changes[changes["kind"] == "import"]
    assert moved[["entity_id", "field", "before", "after"]].values.tolist() == [
        ["fpd-m9004", "current_target", "2025-05-01", "2026-05-01"]]
    projects = load_permit_data(_engine()).projects.set_index("project_id")
    assert projects.loc["fpd-101", "site_id"] == "us-beta"  # the link made before is kept


def test_a_file_of_another_layout_is_refused_and_nothing_is_stored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deposits.csv"
    path.write_text("dep_id,site_name,latitude,longitude\n1,A,40,-117\n", encoding="utf-8")
    before = len(load_permit_data(_engine()).milestones)
    assert main(["permits", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert "Project ID" in err and "Milestone ID" in err
    assert len(load_permit_data(_engine()).milestones) == before


def test_report_json_matches_the_derivation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["permits", "report", "--as-of", "2026-11-25", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    engine = _engine()
    from datetime import date

    expected = permit_report(load_permit_data(engine), load_sites(engine),
                             load_rulesets(load_settings().data_dir / "rulesets"),
                             date(2026, 11, 25), today=date.today())
    assert printed == json.loads(json.dumps(expected))
    assert printed["portfolio"]["rule_breaches"] == 1
    assert [s["site_id"] for s in printed["sites"]] == ["us-alpha", "us-beta"]
    audited = audit_rows(engine, action="export").iloc[0]
    assert (audited["target"], audited["detail"], audited["records"]) == (
        "as_of=2026-11-25", "permits report", 2)


def test_report_as_of_a_past_date_replays_the_history(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["permits", "report", "--as-of", "2025-06-01", "--json"]) == 0
    alpha = next(s for s in json.loads(capsys.readouterr().out)["sites"]
                 if s["site_id"] == "us-alpha")
    assert alpha["next_milestone"] == {"milestone_id": "pm-alpha-deis",
                                       "name": "Draft EIS published", "target": "2026-03-01"}
    with pytest.raises(SystemExit) as stopped:  # argparse: usage line and exit status 2
        main(["permits", "report", "--as-of", "not-a-date"])
    assert stopped.value.code == 2
    assert "is not a date written YYYY-MM-DD" in capsys.readouterr().err


def test_history_export_as_csv(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["permits", "history", "--site", "us-alpha"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["entity_id"], r["before"], r["after"], r["kind"]) for r in rows] == [
        ("pm-alpha-deis", "2026-03-01", "2026-12-15", "source")]
    assert main(["permits", "history", "--site", "jp-gamma"]) == 1
    assert "has no permitting record" in capsys.readouterr().err
