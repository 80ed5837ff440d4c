"""Importing Permitting Dashboard exports: the same content as API JSON and as CSV export."""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from domain.errors import InputError
from permits.dashboard import (
    CSV_SHAPE,
    DEFAULT_SOURCE,
    JSON_SHAPE,
    flag_values,
    parse_dates,
    read_dashboard,
)
from permits.dashboard_columns import FIELDS
from permits.errors import DashboardFileError, DashboardLayoutError
from permits.schema import ACTION_COLUMNS, MILESTONE_COLUMNS, PROJECT_COLUMNS

STIBNITE_URL = "https://www.permits.performance.gov/permitting-project/stibnite-gold-project"
STIBNITE = {
    "project_id": "101", "project_title": "Stibnite Gold Project",
    "project_field_project_status": "In Progress", "project_category": "FAST-41 Covered",
    "project_field_project_lead_agency": "USFS",
    "project_field_project_sponsor_agency": "Perpetua Resources", "project_sector": "Mining",
    "project_field_location_state": "Idaho", "project_field_location_county": "Valley",
    "project_lat": "44.9099", "project_lon": "-115.3347", "project_url": STIBNITE_URL,
    "total_estimated_project_cost": "$1,234,000.00",
    "last_data_fetched": date(2026, 2, 13),
}
THACKER = {
    "project_id": "102", "project_title": "Thacker Pass Lithium Mine Project",
    "project_field_project_status": "Paused", "project_field_location_state": "Nevada",
    "project_latlong": (41.71, -118.07), "project_pause_start": date(2024, 3, 1),
}
EIS = {"action_id": "5001", "action_type": "Environmental Impact Statement (EIS)",
       "action_agency": "USFS", "action_status": "Complete",
       "action_identifier": "USFS-EIS-2017"}
SECTION_404 = {"action_id": "5002", "action_type": "Section 404 Clean Water Act",
               "action_agency": "USACE", "action_status": "In Progress"}
ROW = {"action_id": "5003", "action_type": "Right-of-Way Authorization",
       "action_agency": "DOI-BLM", "action_status": "Paused",
       "action_pause_start": date(2024, 3, 1), "action_pause_end": date(2024, 9, 30),
       "action_justification_paused_title": "Project Sponsor Factors"}


def milestone(number: int, name: str, target: date | None, **more: object) -> dict[str, object]:
    """A milestone's own fields."""
    return {"milestone_id": str(number), "unique_id": f"u{number}", "action_milestone_name": name,
            "milestone_type": "Interim", "action_milestone_completion_target": target, **more}


def content() -> list[dict[str, object]]:
    """Two projects, three actions, six milestones: one dashboard row per milestone."""
    return [
        STIBNITE | EIS | milestone(
            9001, "Notice of Intent", date(2017, 9, 13), action_milestone_complete=True,
            action_milestone_baseline_target=date(2017, 9, 1),
            action_milestone_completion_actual=date(2017, 9, 13)),
        STIBNITE | EIS | milestone(
            9002, "Final EIS", date(2024, 8, 16), dependency_milestone_id="9001",
            action_milestone_complete=True, action_milestone_baseline_target=date(2020, 8, 1),
            milestone_reason_for_date_change="Project sponsor factors"),
        STIBNITE | EIS | milestone(
            9003, "Record of Decision", date(2025, 1, 3), dependency_milestone_id="9002",
            milestone_alternative_completion_date=date(2025, 1, 10),
            action_milestone_final_milestone=True, action_milestone_complete=False),
        STIBNITE | SECTION_404 | milestone(9004, "Issuance of permit", date(2025, 5, 1)),
        THACKER | ROW | milestone(9005, "Application received", date(2023, 1, 15)),
        THACKER | ROW | milestone(9006, "Cultural survey", None, action_milestone_na=True),
    ]


def json_value(field: str, value: object, url_object: bool) -> object:
    """A value as the SODA API writes it."""
    if isinstance(value, date):
        return value.strftime("%Y-%m-%dT00:00:00.000") if field != "last_data_fetched" else \
            value.strftime("%Y-%m-%dT05:00:00.000")
    if field == "project_latlong" and isinstance(value, tuple):
        return {"latitude": str(value[0]), "longitude": str(value[1])}
    if field == "project_url" and url_object:
        return {"url": value}
    return value


def csv_value(field: str, value: object, dates: str, flags: tuple[str, str]) -> str:
    """A value as a CSV export writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return flags[0] if value else flags[1]
    if isinstance(value, date):
        if field == "last_data_fetched":
            return value.strftime("%m/%d/%Y 05:00:00 AM")
        return value.strftime(dates)
    if field == "project_latlong" and isinstance(value, tuple):
        return f"POINT ({value[1]} {value[0]})"
    return str(value)


def write_json(path: Path, rows: list[dict[str, object]], *, url_object: bool = False,
               wrap: str = "") -> Path:
    """The rows as API JSON (null fields left out, as the SODA API does)."""
    records = [{f: json_value(f, v, url_object) for f, v in row.items() if v is not None}
               for row in rows]
    path.write_text(json.dumps({wrap: records} if wrap else records), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[dict[str, object]], *, headers: str = "display",
              dates: str = "%m/%d/%Y %I:%M:%S %p", flags: tuple[str, str] = ("true", "false"),
              encoding: str = "utf-8") -> Path:
    """The rows as a CSV export, every known field a column (display names where known)."""
    fields = list(FIELDS)
    names = {"display": lambda f: FIELDS[f] or f, "snake": lambda f: f,
             "loose": lambda f: (FIELDS[f] or f).upper().replace("_", " ")}[headers]
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([names(f) for f in fields])
        for row in rows:
            writer.writerow([csv_value(f, row.get(f), dates, flags) for f in fields])
    return path


def assert_same_frames(a: object, b: object) -> None:
    for frame in ("projects", "actions", "milestones"):
        pd.testing.assert_frame_equal(getattr(a, frame), getattr(b, frame))


def test_both_shapes_give_the_same_frames(tmp_path: Path) -> None:
    from_json = read_dashboard(write_json(tmp_path / "rows.json", content()))
    from_csv = read_dashboard(write_csv(tmp_path / "export.csv", content()))
    assert (from_json.shape, from_csv.shape) == (JSON_SHAPE, CSV_SHAPE)
    assert from_json.rows_read == from_csv.rows_read == 6
    assert_same_frames(from_json, from_csv)
    assert from_json.last_data_fetched == from_csv.last_data_fetched == "2026-02-13T05:00:00"
    assert from_json.problems == from_csv.problems == []
    assert list(from_csv.projects.columns) == list(PROJECT_COLUMNS)
    assert list(from_csv.actions.columns) == list(ACTION_COLUMNS)
    assert list(from_csv.milestones.columns) == list(MILESTONE_COLUMNS)


def test_ids_fields_and_sources(tmp_path: Path) -> None:
    batch = read_dashboard(write_json(tmp_path / "rows.json", content()))
    projects = batch.projects.set_index("project_id")
    assert list(projects.index) == ["fpd-101", "fpd-102"]
    stibnite = projects.loc["fpd-101"]
    assert (stibnite["title"], stibnite["status"], stibnite["category"]) == (
        "Stibnite Gold Project", "In Progress", "FAST-41 Covered")
    assert (stibnite["lead_agency"], stibnite["sponsor"], stibnite["state"]) == (
        "USFS", "Perpetua Resources", "Idaho")
    assert (stibnite["lat"], stibnite["lon"]) == (44.9099, -115.3347)
    assert stibnite["url"] == stibnite["source"] == STIBNITE_URL
    assert stibnite["dataset"] == "permitting-dashboard"
    thacker = projects.loc["fpd-102"]
    assert (thacker["lat"], thacker["lon"]) == (41.71, -118.07)  # from project_latlong
    assert (thacker["url"], thacker["source"]) == ("", DEFAULT_SOURCE)
    assert thacker["pause_start"] == pd.Timestamp("2024-03-01")
    actions = batch.actions.set_index("action_id")
    assert list(actions.index) == ["fpd-a5001", "fpd-a5002", "fpd-a5003"]
    assert list(actions["project_id"]) == ["fpd-101", "fpd-101", "fpd-102"]
    assert actions.loc["fpd-a5001", "identifier"] == "USFS-EIS-2017"
    assert actions.loc["fpd-a5003", "pause_reason"] == "Project Sponsor Factors"
    assert actions.loc["fpd-a5003", "pause_end"] == pd.Timestamp("2024-09-30")
    assert actions.loc["fpd-a5003", "source"] == DEFAULT_SOURCE


def test_milestone_dates_flags_dependencies_and_sequence(tmp_path: Path) -> None:
    batch = read_dashboard(write_csv(tmp_path / "export.csv", content()))
    m = batch.milestones.set_index("milestone_id")
    assert list(m["sequence"]) == [1, 2, 3, 1, 1, 2]
    assert list(m["depends_on"]) == ["", "fpd-m9001", "fpd-m9002", "", "", ""]
    rod = m.loc["fpd-m9003"]
    assert rod["current_target"] == pd.Timestamp("2025-01-03")
    assert rod["alternative_completion"] == pd.Timestamp("2025-01-10")
    assert bool(rod["final_milestone"]) and not bool(rod["complete"])
    noi = m.loc["fpd-m9001"]
    assert noi["baseline_target"] == pd.Timestamp("2017-09-01")
    assert noi["actual_completion"] == pd.Timestamp("2017-09-13")
    assert list(m["complete"]) == [True, True, False, False, False, False]
    assert list(m["not_applicable"]) == [False] * 5 + [True]
    assert m["current_target"].isna().tolist() == [False] * 5 + [True]
    assert m.loc["fpd-m9002", "reason_for_change"] == "Project sponsor factors"
    assert (m.loc["fpd-m9004", "action_id"], m.loc["fpd-m9004", "project_id"]) == (
        "fpd-a5002", "fpd-101")
    assert m.loc["fpd-m9004", "name"] == "Issuance of permit"


@pytest.mark.parametrize("dates", ["%Y-%m-%d", "%m/%d/%Y", "%Y-%m-%dT%H:%M:%S.000",
                                   "%m/%d/%Y %H:%M"])
def test_csv_date_styles_read_the_same(tmp_path: Path, dates: str) -> None:
    expected = read_dashboard(write_json(tmp_path / "rows.json", content()))
    batch = read_dashboard(write_csv(tmp_path / "export.csv", content(), dates=dates))
    assert_same_frames(batch, expected)


@pytest.mark.parametrize("flags", [("Yes", "No"), ("Y", ""), ("1", "0"), ("TRUE", "False")])
def test_boolean_words(tmp_path: Path, flags: tuple[str, str]) -> None:
    batch = read_dashboard(write_csv(tmp_path / "export.csv", content(), flags=flags))
    assert list(batch.milestones["complete"]) == [True, True, False, False, False, False]
    assert list(batch.milestones["final_milestone"]) == [False, False, True, False, False, False]


def test_flag_and_date_helpers() -> None:
    assert flag_values(pd.Series([True, False, None, " yes ", "n"], dtype=object)).tolist() == [
        True, False, False, True, False]
    parsed = parse_dates(pd.Series(["2026-02-13T00:00:00.000", "02/13/2026", "02/13/2026 "
                                    "11:59:00 PM", "", "31/31/2026"]))
    assert parsed.tolist()[:3] == [pd.Timestamp("2026-02-13")] * 3
    assert parsed.isna().tolist() == [False, False, False, True, True]


def test_project_url_object_or_string(tmp_path: Path) -> None:
    as_object = read_dashboard(write_json(tmp_path / "a.json", content(), url_object=True))
    as_string = read_dashboard(write_json(tmp_path / "b.json", content()))
    assert as_object.projects.loc[0, "url"] == STIBNITE_URL
    assert_same_frames(as_object, as_string)


def test_json_rows_wrapped_in_an_object(tmp_path: Path) -> None:
    expected = read_dashboard(write_json(tmp_path / "a.json", content()))
    for key in ("data", "rows", "results"):
        batch = read_dashboard(write_json(tmp_path / f"{key}.json", content(), wrap=key))
        assert_same_frames(batch, expected)


def test_socrata_rows_json_with_column_metadata(tmp_path: Path) -> None:
    fields = ["project_id", "project_title", "action_id", "action_type", "milestone_id",
              "action_milestone_name", "action_milestone_completion_target"]
    document = {"meta": {"view": {"columns": [{"fieldName": ":sid"}] +
                                  [{"fieldName": f} for f in fields]}},
                "data": [[1, "7", "Pebble", "70", "EIS", "700", "ROD", "2026-02-13T00:00:00"]]}
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    batch = read_dashboard(path)
    assert batch.milestones.loc[0, "milestone_id"] == "fpd-m700"
    assert batch.milestones.loc[0, "current_target"] == pd.Timestamp("2026-02-13")
    assert batch.projects.loc[0, "title"] == "Pebble"


def test_repeated_milestone_keeps_the_later_row(tmp_path: Path) -> None:
    rows = content()
    rows.append(rows[3] | {"action_milestone_completion_target": date(2025, 6, 30)})
    for batch, first_row in ((read_dashboard(write_csv(tmp_path / "e.csv", rows)), 2),
                             (read_dashboard(write_json(tmp_path / "e.json", rows)), 1)):
        earlier, later = 3 + first_row, 6 + first_row
        assert [(p.row_number, p.reason) for p in batch.problems] == [
            (earlier, f"row {later} repeats milestone 9004 of row {earlier}; "
                      "the later row was kept")]
        assert len(batch.milestones) == 6 and batch.rows_read == 7
        kept = batch.milestones.set_index("milestone_id").loc["fpd-m9004"]
        assert kept["current_target"] == pd.Timestamp("2025-06-30")


def test_rows_without_ids_are_skipped_and_unique_id_stands_in(tmp_path: Path) -> None:
    rows = content()
    rows[4] = rows[4] | {"milestone_id": None}  # unique_id u9005 remains
    rows[5] = rows[5] | {"milestone_id": None, "unique_id": None}
    rows.append(dict.fromkeys(rows[0], None))  # a blank row: dropped without a word
    batch = read_dashboard(write_csv(tmp_path / "export.csv", rows))
    assert list(batch.milestones["milestone_id"])[-1] == "fpd-mu9005"
    assert [(p.row_number, p.reason) for p in batch.problems] == [
        (7, "row 7 has no 'Milestone ID' (milestone_id) or unique_id; it was skipped")]


def test_unreadable_date_is_reported(tmp_path: Path) -> None:
    rows = content()
    rows[0] = rows[0] | {"action_milestone_completion_target": "soon"}
    batch = read_dashboard(write_csv(tmp_path / "export.csv", rows))
    assert [p.reason for p in batch.problems] == [
        "row 2: Milestone Target Completion Date 'soon' is not a date; left empty"]
    assert batch.milestones["current_target"].isna().tolist() == [True] + [False] * 4 + [True]


@pytest.mark.parametrize("headers", ["snake", "loose"])
def test_header_spellings(tmp_path: Path, headers: str) -> None:
    expected = read_dashboard(write_csv(tmp_path / "display.csv", content()))
    batch = read_dashboard(write_csv(tmp_path / f"{headers}.csv", content(), headers=headers))
    assert_same_frames(batch, expected)
    assert batch.milestones.loc[0, "baseline_target"] == pd.Timestamp("2017-09-01")
    assert batch.ignored_columns == ()


def test_unknown_columns_are_listed(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "export.csv", content())
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).assign(**{"Internal Note": "x"})
    frame.to_csv(path, index=False)
    assert read_dashboard(path).ignored_columns == ("Internal Note",)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    rows = content()
    rows[0] = rows[0] | {"project_title": "Stibnite “Gold” Projet Café"}
    batch = read_dashboard(write_csv(tmp_path / "export.csv", rows, encoding=encoding))
    assert batch.projects.loc[0, "title"] == "Stibnite “Gold” Projet Café"
    assert batch.projects.loc[0, "project_id"] == "fpd-101"


def test_another_layout_names_the_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "mrds_sites.csv"
    path.write_text("dep_id,site_name,latitude,longitude,state,commod1,dev_stat\n"
                    "10070971,Yellow Pine,44.96,-115.49,Idaho,Antimony,Past Producer\n")
    with pytest.raises(DashboardLayoutError) as caught:
        read_dashboard(path)
    message = str(caught.value)
    assert isinstance(caught.value, InputError)
    assert message.startswith("mrds_sites.csv is not a Permitting Dashboard export")
    for needed in ("'Project ID' (project_id)", "'Project' (project_title)",
                   "'Action ID' (action_id)", "'Action Type' (action_type)",
                   "'Milestone ID' (milestone_id) or unique_id",
                   "'Milestone Type' (milestone_type) or 'Milestone Short Description'",
                   "'Milestone Target Completion Date' (action_milestone_completion_target)"):
        assert needed in message
    assert "the Permitting Dashboard full dataset export, CSV or API JSON" in message
    assert "dep_id, site_name" in message


def test_one_missing_column_is_named_alone(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "export.csv", content())
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.drop(columns=["Milestone Target Completion Date"]).to_csv(path, index=False)
    with pytest.raises(DashboardLayoutError, match="lacks the columns 'Milestone Target "
                       r"Completion Date' \(action_milestone_completion_target\)\. Expected"):
        read_dashboard(path)


def test_json_of_another_layout(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps([{"name": "a", "lat": 1}]))
    with pytest.raises(DashboardLayoutError, match="lacks the columns 'Project ID'"):
        read_dashboard(path)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(DashboardLayoutError, match="not a list of row objects"):
        read_dashboard(path)


@pytest.mark.parametrize(("data", "expected"), [
    (b"", "empty.bin is empty: expected the Permitting Dashboard"),
    (b" \r\n\n", "empty.bin is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "empty.bin is a binary file, not text"),
    (b"[{\"project_id\": ", "empty.bin starts like JSON but is not valid JSON"),
])
def test_unreadable_files(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "empty.bin"
    path.write_bytes(data)
    with pytest.raises(DashboardFileError, match=expected):
        read_dashboard(path)


def test_zip_and_header_only(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path / "export.csv", [])
    with pytest.raises(DashboardFileError, match=r"export\.csv has column names but no data rows"):
        read_dashboard(csv_path)
    zipped = tmp_path / "export.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(write_csv(tmp_path / "full.csv", content()), "full.csv")
    with pytest.raises(DashboardFileError, match=r"export\.zip is a zip, gzip or Excel file"):
        read_dashboard(zipped)


MINIMAL_HEADER = ("Project ID{0}Project{0}Action ID{0}Action Type{0}Milestone ID{0}"
                  "Milestone Type{0}Milestone Target Completion Date\n")


def test_semicolon_separated_minimal_export(tmp_path: Path) -> None:
    path = tmp_path / "minimal.csv"
    path.write_text(MINIMAL_HEADER.format(";") + "1;Pebble;2;EIS;3;ROD;01/31/2026\n")
    batch = read_dashboard(path)
    row = batch.milestones.iloc[0]
    assert (row["milestone_id"], row["action_id"], row["project_id"]) == (
        "fpd-m3", "fpd-a2", "fpd-1")
    assert (row["milestone_type"], row["current_target"]) == ("ROD", pd.Timestamp("2026-01-31"))
    assert batch.projects.loc[0, "source"] == DEFAULT_SOURCE


def test_malformed_csv_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(MINIMAL_HEADER.format(",") + "1,a,2,b,3,c,01/01/2026\n1,a,2,b,4,c,x,extra\n")
    with pytest.raises(DashboardFileError, match=r"bad\.csv is not a well-formed CSV table .*"
                       "Expected 7 columns, got 8"):
        read_dashboard(path)
