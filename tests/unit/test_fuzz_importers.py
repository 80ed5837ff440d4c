"""The fuzzing tier for the importers: generated deposit tables and Permitting Dashboard
exports (CSV and API JSON, valid-ish and broken), and the real deposit tables damaged at
random, read and imported as `permitmap deposits import` and `permitmap permits import` do.
Each ends in an import or a refusal in the PermitmapError family with a sentence, and a
refused file stores nothing. Derandomized; see README, Tests.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.access import OPEN_ACCESS
from domain.errors import PermitmapError
from permits.dashboard import read_dashboard
from permits.dashboard_columns import FIELDS, REQUIRED
from permits.frames import PermitData
from permits.site_links import link_projects
from sites.deposit_tables import read_deposit_table
from store.permits_repo import import_permit_data, project_site_links
from store.records import import_deposits, load_sites
from store.site_distances import site_distance_km
from store.startup import ensure_store
from tests.support.fixtures_data import write_data_dir
from tests.support.fuzz_files import (
    ENCODINGS,
    FUZZ,
    JSON_VALUES,
    NUMBERS,
    SHORT_TEXT,
    assert_refused_in_words,
    csv_bytes,
    cut,
    encoded,
    fuzz_examples,
    mutated,
    note_outcome,
    store_state,
)

pytestmark = pytest.mark.fuzz


@pytest.fixture()
def store(tmp_path: Path) -> dict:
    engine = ensure_store(f"sqlite:///{tmp_path / 'store.db'}", write_data_dir(tmp_path / "data"))
    files = tmp_path / "files"
    files.mkdir()
    return {"engine": engine, "files": files}


def write_file(store: dict, name: str, data: bytes) -> Path:
    folder = store["files"] / uuid.uuid4().hex
    folder.mkdir()
    path = folder / name
    path.write_bytes(data)
    return path


# --- deposits ---------------------------------------------------------------------------

def import_deposit_file(store: dict, path: Path) -> None:
    """What `permitmap deposits import FILE` does: read, then load in one transaction."""
    engine = store["engine"]
    before = store_state(engine)
    try:
        table = read_deposit_table(path)
        import_deposits(
            engine, table.records, principal=OPEN_ACCESS, dataset=table.dataset,
            file_name=path.name, checksum=hashlib.sha256(path.read_bytes()).hexdigest(),
            rows_read=table.rows_read,
            report={"layout": table.layout,
                    "skipped": [vars(s) for s in table.skipped],
                    "unrecognised_commodities": dict(table.unrecognised_commodities)})
    except PermitmapError as refused:
        assert_refused_in_words(refused)
        assert store_state(engine) == before, f"{path.name}: refused, yet stored"
        note_outcome(f"refused: {type(refused).__name__}")
        return
    note_outcome("imported" if len(table.records) else "read, no rows to load")
    assert table.rows_read == len(table.records) + len(table.skipped)
    for skipped in table.skipped:
        assert skipped.reason.strip()


@FUZZ
@given(data=csv_bytes(), extension=st.sampled_from([".csv", ".csv", ".txt", ".tsv"]))
def test_generated_deposit_tables(store: dict, data: bytes, extension: str) -> None:
    import_deposit_file(store, write_file(store, f"deposits{extension}", data))


def _real_deposit_tables() -> list[str]:
    root = Path(__file__).resolve().parents[3] / "shared" / "realdata" / "deposits"
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else ["(no realdata)"]


@pytest.mark.realdata
@pytest.mark.parametrize("name", _real_deposit_tables())
def test_damaged_real_deposit_tables(store: dict, realdata_dir: Path, name: str) -> None:
    data = (realdata_dir / "deposits" / name).read_bytes()

    @settings(FUZZ, max_examples=fuzz_examples(4 if len(data) > 500_000 else 10))
    @given(damaged=mutated(data))
    def damaged_copy(damaged: bytes) -> None:
        import_deposit_file(store, write_file(store, name, damaged))

    damaged_copy()


# --- the Permitting Dashboard -------------------------------------------------------------

REQUIRED_FIELDS = [need[0] for need in REQUIRED]
DATE_TEXT = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.strftime("%m/%d/%Y %I:%M:%S %p")),
    st.dates().map(lambda d: d.strftime("%Y-%m-%dT00:00:00.000")),
    st.sampled_from(["", "2024-02-30", "13/45/2020", "0000-00-00", "9999-12-31T99:99",
                     "TBD", "Q3 2025", "1e9", "NaT", "None"]))
IDS = st.one_of(st.integers(0, 5).map(str), st.sampled_from(["", " ", "1.0", "fpd-1", "ä"]),
                st.integers(-(2**70), 2**70))
DASHBOARD_VALUES = st.one_of(DATE_TEXT, IDS, SHORT_TEXT, NUMBERS, st.booleans(), st.none(),
                             st.sampled_from(["true", "false", "Yes", "N", "x", "POINT (1 2)",
                                              "POINT (nan 2)", "$1,234.00"]),
                             JSON_VALUES)


@st.composite
def dashboard_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Rows that mostly carry the required fields, with any values."""
    optional = draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=8, unique=True))
    fields = [f for f in REQUIRED_FIELDS if draw(st.integers(0, 12))] + optional
    id_fields = {"project_id", "action_id", "milestone_id", "unique_id",
                 "dependency_milestone_id"}
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        rows.append({field: draw(IDS if field in id_fields else
                                 DATE_TEXT if "date" in field or "target" in field
                                 or field.endswith(("_start", "_end", "_actual")) else
                                 DASHBOARD_VALUES)
                     for field in fields if draw(st.integers(0, 8))})
    return rows


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, allow_nan=True)


@st.composite
def dashboard_bytes(draw: st.DrawFn) -> tuple[str, bytes]:
    rows = draw(dashboard_rows())
    if draw(st.booleans()):  # API JSON
        document: object = rows
        if draw(st.integers(0, 3)) == 0:
            document = {draw(st.sampled_from(["data", "rows", "results", "other"])): rows}
        text = json.dumps(document, allow_nan=True, default=str)
        name = "rows.json"
    else:  # CSV export, display names or field names for headers
        fields = list(dict.fromkeys(f for row in rows for f in row)) or REQUIRED_FIELDS
        display = draw(st.booleans())
        out = io.StringIO()
        writer = csv.writer(out, delimiter=draw(st.sampled_from([",", ",", ";", "\t"])))
        writer.writerow([FIELDS.get(f) or f if display else f for f in fields])
        for row in rows:
            writer.writerow([_csv_text(row.get(f)) for f in fields])
        text, name = out.getvalue(), "export.csv"
    return name, draw(cut(encoded(text, draw(st.sampled_from(ENCODINGS)))))


def import_dashboard_file(store: dict, path: Path) -> None:
    """What `permitmap permits import FILE` does: read, link to sites, load in one
    transaction."""
    engine = store["engine"]
    before = store_state(engine)
    try:
        batch = read_dashboard(path)
        linked = link_projects(batch.projects, load_sites(engine),
                               known_links=project_site_links(engine), max_km=5.0,
                               accept_approximate=False,
                               site_distance_km=site_distance_km(engine))
        site_ids = batch.projects["project_id"].map(linked.site_ids)
        projects = batch.projects.assign(site_id=site_ids.astype(object).fillna(""))
        data = replace(batch, projects=projects)
        import_permit_data(
            engine, PermitData.from_frames(data.projects, data.actions, data.milestones),
            principal=OPEN_ACCESS, who="fuzzer", file_name=path.name,
            checksum=hashlib.sha256(path.read_bytes()).hexdigest(), rows_read=batch.rows_read,
            report={"shape": batch.shape, "problems": [vars(p) for p in batch.problems],
                    "links": [vars(r) for r in linked.rows],
                    "last_data_fetched": batch.last_data_fetched})
    except PermitmapError as refused:
        assert_refused_in_words(refused)
        assert store_state(engine) == before, f"{path.name}: refused, yet stored"
        note_outcome(f"refused: {type(refused).__name__}")
        return
    note_outcome("imported" if len(batch.milestones) else "read, no rows to load")
    for problem in batch.problems:
        assert problem.reason.strip()


@FUZZ
@given(file=dashboard_bytes())
def test_generated_dashboard_exports(store: dict, file: tuple[str, bytes]) -> None:
    name, data = file
    import_dashboard_file(store, write_file(store, name, data))
