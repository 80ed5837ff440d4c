"""Seed the store from the bundled ``data/`` files, idempotently.

The seed files' checksum is kept in ``store_meta``: a restart with unchanged files does
nothing (``store.startup`` compares it before importing this module); changed files are
upserted by id, so nothing is ever duplicated.
"""

from __future__ import annotations

import csv
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from domain.i18n import tr
from domain.vocab import COMMODITY_NAMES, DevStatus, PositionQuality, Stage, split_codes
from store.db import get_meta, set_meta
from store.deposit_views import deposits_changed
from store.errors import SeedDataError
from store.models import Deposit
from store.permit_seed import read_permit_seed, write_permit_seed
from store.records import (
    CURATED_DATASET,
    DEPOSIT_COLUMNS,
    SITE_COLUMNS,
    upsert_rows,
    upsert_sites,
)
from store.startup import SEED_KEY, seed_checksum


def seed(engine: Engine, data_dir: Path) -> bool:
    """Load the bundled sites, deposits and permits unless already loaded; True when it wrote."""
    checksum = seed_checksum(data_dir)
    with Session(engine) as session, session.begin():
        if get_meta(session, SEED_KEY) == checksum:
            return False
        sites = read_sites(data_dir / "sites.csv")
        permits, sourced_changes = read_permit_seed(data_dir, (s["id"] for s in sites))
        upsert_sites(session, sites)
        deposits = read_deposits(data_dir / "deposits.csv")
        if deposits:
            upsert_rows(session, Deposit, deposits, ("dataset", "source_record_id"))
        _drop_withdrawn_deposits(session, deposits)
        deposits_changed(session)
        write_permit_seed(session, permits, sourced_changes)
        set_meta(session, SEED_KEY, checksum)
    return True


def _drop_withdrawn_deposits(session: Session, deposits: list[dict[str, Any]]) -> None:
    """A curated deposit taken out of the bundled file leaves the store too (a correction,
    e.g. a record the facts cite only as NOT the named project); imported tables stay."""
    kept = {row["source_record_id"] for row in deposits}
    session.execute(delete(Deposit).where(Deposit.dataset == CURATED_DATASET,
                                          Deposit.source_record_id.not_in(kept)))


#: Columns a ``sites.csv`` may leave out (empty then): the Japanese names, added in 0009, so a
#: data folder written before them still loads.
OPTIONAL_SITE_COLUMNS = ("name_ja", "operator_ja", "admin_area_ja", "locality_ja",
                         "names_ja_source")


def read_sites(path: Path) -> list[dict[str, Any]]:
    """Read and check ``sites.csv``; SeedDataError names the row and field that is wrong."""
    rows = []
    required = [c for c in SITE_COLUMNS if c not in OPTIONAL_SITE_COLUMNS]
    for line, raw in _read_csv(path, required):
        row: dict[str, Any] = {c: (raw.get(c) or "").strip() for c in SITE_COLUMNS}
        _check(path, line, "stage", row["stage"], Stage)
        for stage in split_codes(row["other_stages"]):
            _check(path, line, "other_stages", stage, Stage)
        _check(path, line, "status", row["status"], DevStatus)
        _check(path, line, "position_quality", row["position_quality"], PositionQuality)
        _check_commodities(path, line, row["commodities"])
        row["jointly_selected"] = _optional_bool(path, line, row["jointly_selected"])
        row["lat"], row["lon"] = _optional_point(path, line, row["lat"], row["lon"])
        rows.append(row)
    return rows


def read_deposits(path: Path) -> list[dict[str, Any]]:
    """Read and check ``deposits.csv`` (curated deposits with sourced coordinates)."""
    if not path.exists():
        return []
    rows = []
    for line, raw in _read_csv(path, DEPOSIT_COLUMNS):
        row: dict[str, Any] = {c: (raw.get(c) or "").strip() for c in DEPOSIT_COLUMNS}
        _check(path, line, "dev_status", row["dev_status"], DevStatus)
        _check(path, line, "position_quality", row["position_quality"], PositionQuality)
        _check_commodities(path, line, row["commodities"])
        row["lat"], row["lon"] = _optional_point(path, line, row["lat"], row["lon"])
        if row["lat"] is None:
            raise SeedDataError(tr("{file} row {row}: a deposit needs lat and lon.").format(
                file=path.name, row=line))
        rows.append(row)
    return rows


def _read_csv(path: Path, columns: list[str]) -> list[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise SeedDataError(tr("{file} lacks the columns {columns}.").format(
                file=path.name, columns=", ".join(missing)))
        return [(n, raw) for n, raw in enumerate(reader, start=2)]


def _check(path: Path, line: int, field: str, value: str, vocab: type[StrEnum]) -> None:
    allowed = [m.value for m in vocab]
    if value not in allowed:
        raise SeedDataError(
            tr("{file} row {row}: {field} {value} is not one of {allowed}.").format(
                file=path.name, row=line, field=field, value=repr(value),
                allowed=", ".join(allowed))
        )


def _check_commodities(path: Path, line: int, value: str) -> None:
    unknown = [c for c in split_codes(value) if c not in COMMODITY_NAMES]
    if unknown:
        raise SeedDataError(tr("{file} row {row}: unknown commodity codes {codes}.").format(
            file=path.name, row=line, codes=unknown))


def _optional_bool(path: Path, line: int, value: str) -> bool | None:
    if value == "":
        return None
    if value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise SeedDataError(tr("{file} row {row}: jointly_selected must be true, false or "
                           "empty.").format(file=path.name, row=line))


def _optional_point(path: Path, line: int, lat: str, lon: str) -> tuple[float | None, ...]:
    if lat == "" and lon == "":
        return None, None
    try:
        y, x = float(lat), float(lon)
    except ValueError as exc:
        raise SeedDataError(tr("{file} row {row}: lat/lon {lat}, {lon} are not numbers.").format(
            file=path.name, row=line, lat=repr(lat), lon=repr(lon))) from exc
    if not (-90 <= y <= 90 and -180 <= x <= 180):
        raise SeedDataError(tr("{file} row {row}: lat/lon {lat}, {lon} are out of range.").format(
            file=path.name, row=line, lat=y, lon=x))
    return y, x
