"""Small site and deposit tables built in code, written as the bundled CSV layout."""

from __future__ import annotations

import csv
from pathlib import Path

from store.records import DEPOSIT_COLUMNS, SITE_COLUMNS

XSS_NAME = "<img src=x onerror=alert(1)>"


def site_row(ident: str, name: str, **values: object) -> dict[str, object]:
    """One site row with sensible defaults."""
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


def write_data_dir(folder: Path, sites: list[dict[str, object]] | None = None,
                   deposits: list[dict[str, object]] | None = None) -> Path:
    """Write sites.csv and deposits.csv into ``folder``; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "sites.csv", SITE_COLUMNS, SAMPLE_SITES if sites is None else sites)
    _write(folder / "deposits.csv", DEPOSIT_COLUMNS,
           SAMPLE_DEPOSITS if deposits is None else deposits)
    return folder


def _write(path: Path, columns: list[str], rows: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
