"""Small site and deposit tables built in code, written as the bundled CSV layout."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from permits.schema import ACTION_COLUMNS, MILESTONE_COLUMNS, PROJECT_COLUMNS
from store.permit_seed import CHANGE_FILE_COLUMNS
from store.records import DEPOSIT_COLUMNS, SITE_COLUMNS

XSS_NAME = "<img src=x onerror=alert(1)>"
REPO_ROOT = Path(__file__).resolve().parents[2]


def site_row(ident: str, name: str, **values: object) -> dict[str, object]:
    """One site row with sensible defaults (no Japanese names unless given)."""
    row: dict[str, object] = {c: "" for c in SITE_COLUMNS}
    row.update(
        id=ident, name=name, operator="Example Operator", country="United States",
        admin_area="Nevada", stage="mine", commodities="Li", status="permitting",
        position_quality="published", lat=40.0, lon=-117.0, source="https://example.org/a",
    )
    row.update(values)
    return row


def deposit_row(record_id: str, name: str, **values: object) -> dict[str, object]:
    """One curated deposit row with sensible defaults."""
    row: dict[str, object] = {c: "" for c in DEPOSIT_COLUMNS}
    row.update(
        dataset="permitmap-curated", source_record_id=record_id, name=name,
        country="United States", lat=39.0, lon=-116.0, dev_status="prospect",
        commodities="Li", position_quality="published", source="USGS",
    )
    row.update(values)
    return row


SAMPLE_SITES = [
    site_row("us-alpha", "Alpha Lithium", lat=41.7, lon=-118.07),
    site_row("us-beta", "Beta Rare Earths", commodities="REE;Nd", stage="separation/refining",
             status="producer", admin_area="Texas", lat=31.0, lon=-105.0),
    site_row("jp-gamma", "Gamma Magnet Works", country="Japan", admin_area="Fukui",
             stage="permanent magnet", commodities="Nd;Dy", status="producer",
             jointly_selected="true", lat=35.9, lon=136.17,
             position_quality="approximate (town)"),
    site_row("au-delta", "Delta Unlocated", country="Australia", admin_area="",
             commodities="Ni;Co", lat="", lon="", position_quality="unknown"),
    site_row("us-xss", XSS_NAME, operator=XSS_NAME, lat=36.0, lon=-115.0),
]
SAMPLE_DEPOSITS = [
    deposit_row("D1", "Deposit One"),
    deposit_row("D2", "Deposit Two", commodities="REE", dev_status="producer", lat=35.5,
                lon=-115.5),
]


def _row(columns: dict[str, object] | list[str] | tuple[str, ...], **values: object
         ) -> dict[str, object]:
    row: dict[str, object] = {c: "" for c in columns}
    row.update(values)
    return row


SOURCE = "https://example.org/permits"
# Alpha: an EIS whose NOI (2025-03-01) starts the 2-year clock (due 2027-03-01); the ROD's
# current target 2027-09-30 exceeds it by 213 days. A paused Section 404 permit. Beta: done.
SAMPLE_PROJECTS = [
    _row(PROJECT_COLUMNS, project_id="pm-alpha", site_id="us-alpha", title="Alpha Lithium Mine",
         status="In Progress", category="FAST-41 Transparency", lead_agency="BLM",
         dataset="permitmap-curated", source=SOURCE),
    _row(PROJECT_COLUMNS, project_id="pm-beta", site_id="us-beta", title="Beta Separation Plant",
         status="Complete", lead_agency="EPA", dataset="permitmap-curated", source=SOURCE),
]
SAMPLE_ACTIONS = [
    _row(ACTION_COLUMNS, action_id="pm-alpha-eis", project_id="pm-alpha",
         action_type="Environmental Impact Statement (EIS)", agency="BLM", status="In Progress",
         source=SOURCE),
    _row(ACTION_COLUMNS, action_id="pm-alpha-404", project_id="pm-alpha",
         action_type="Section 404 Clean Water Act", agency="USACE", status="Paused",
         pause_start="2026-01-15", pause_end="2027-06-30", pause_reason="Project Sponsor Factors",
         pause_next_steps="Sponsor to submit a revised mitigation plan.", source=SOURCE),
    _row(ACTION_COLUMNS, action_id="pm-beta-ea", project_id="pm-beta",
         action_type="Environmental Assessment (EA)", agency="EPA", status="Complete",
         outcome="FONSI", source=SOURCE),
]
SAMPLE_MILESTONES = [
    _row(MILESTONE_COLUMNS, milestone_id="pm-alpha-noi", action_id="pm-alpha-eis",
         project_id="pm-alpha", sequence=1, name="Notice of intent published",
         milestone_type="notice of intent", baseline_target="2025-03-01",
         current_target="2025-03-01", actual_completion="2025-03-01", complete="true",
         source=SOURCE),
    _row(MILESTONE_COLUMNS, milestone_id="pm-alpha-deis", action_id="pm-alpha-eis",
         project_id="pm-alpha", sequence=2, name="Draft EIS published",
         milestone_type="draft document", baseline_target="2026-03-01",
         current_target="2026-12-15", depends_on="pm-alpha-noi",
         reason_for_change="Additional analysis required", source=SOURCE),
    _row(MILESTONE_COLUMNS, milestone_id="pm-alpha-rod", action_id="pm-alpha-eis",
         project_id="pm-alpha", sequence=3, name="Record of decision signed",
         milestone_type="decision", baseline_target="2027-03-01", current_target="2027-09-30",
         depends_on="pm-alpha-deis", reason_for_change="Additional analysis required",
         final_milestone="true", source=SOURCE),
    _row(MILESTONE_COLUMNS, milestone_id="pm-alpha-404-permit", action_id="pm-alpha-404",
         project_id="pm-alpha", sequence=1, name="Section 404 permit issued",
         milestone_type="permit issued", baseline_target="2026-09-30",
         current_target="2026-09-30", baseline_target_precision="month",
         current_target_precision="month", source=SOURCE),  # "September 2026"
    _row(MILESTONE_COLUMNS, milestone_id="pm-beta-fonsi", action_id="pm-beta-ea",
         project_id="pm-beta", sequence=1, name="FONSI signed", milestone_type="decision",
         baseline_target="2024-05-01", current_target="2024-06-01",
         actual_completion="2024-06-20", complete="true",
         reason_for_change="Public comment period extended", source=SOURCE),
]
# The draft EIS target moved on 2025-09-01 (from its baseline to the current target).
SAMPLE_CHANGES = [
    _row(CHANGE_FILE_COLUMNS, changed_at="2025-09-01", entity="milestone",
         entity_id="pm-alpha-deis", field="current_target", before="2026-03-01",
         after="2026-12-15", reason="Additional analysis required", source=SOURCE),
]


def write_data_dir(folder: Path, sites: list[dict[str, object]] | None = None,
                   deposits: list[dict[str, object]] | None = None,
                   *, permits: bool = True) -> Path:
    """Write sites.csv, deposits.csv and (unless told not to) permits/ into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "sites.csv", SITE_COLUMNS, SAMPLE_SITES if sites is None else sites)
    _write(folder / "deposits.csv", DEPOSIT_COLUMNS,
           SAMPLE_DEPOSITS if deposits is None else deposits)
    if permits:
        (folder / "permits").mkdir(exist_ok=True)
        _write(folder / "permits" / "projects.csv", list(PROJECT_COLUMNS), SAMPLE_PROJECTS)
        _write(folder / "permits" / "actions.csv", list(ACTION_COLUMNS), SAMPLE_ACTIONS)
        _write(folder / "permits" / "milestones.csv", list(MILESTONE_COLUMNS), SAMPLE_MILESTONES)
        _write(folder / "permits" / "changes.csv", list(CHANGE_FILE_COLUMNS), SAMPLE_CHANGES)
    shutil.copytree(REPO_ROOT / "data" / "rulesets", folder / "rulesets", dirs_exist_ok=True)
    for name in ("vocab_ja.csv", "places_ja.csv"):  # Japanese names and place readings
        shutil.copy(REPO_ROOT / "data" / name, folder / name)
    return folder


def _write(path: Path, columns: list[str] | tuple[str, ...], rows: list[dict[str, object]]
           ) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
