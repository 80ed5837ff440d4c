"""The store: migrations, seeding (idempotent), deposit imports (idempotent), lookups."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import IntegrityError

from domain.access import OPEN_ACCESS
from domain.errors import NotFoundError
from domain.settings import DATA_DIR
from store.db import data_revision, migrate, schema_revision
from store.errors import SeedDataError
from store.records import (
    DEPOSIT_COLUMNS,
    deposit_points,
    get_deposit,
    get_site,
    import_deposits,
    load_sites,
    store_counts,
)
from store.seed import read_sites, seed
from store.startup import ensure_store
from store.transfer.schema_check import head_revision
from tests.support.fixtures_data import (
    SAMPLE_SITES,
    XSS_NAME,
    deposit_row,
    site_row,
    write_data_dir,
)


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    return write_data_dir(tmp_path / "data")


@pytest.fixture()
def url(database_url: str) -> str:
    """Every store test runs on SQLite and on PostgreSQL."""
    return database_url


def test_migration_creates_tables(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    assert schema_revision(engine) is None
    migrate(engine)
    assert schema_revision(engine) == head_revision()
    assert {"sites", "deposits", "dataset_imports", "store_meta", "permit_projects",
            "permit_actions", "permit_milestones", "permit_changes"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def test_sqlite_store_uses_wal(tmp_path: Path) -> None:
    engine = ensure_store(f"sqlite:///{tmp_path / 'wal.db'}", write_data_dir(tmp_path / "d"))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_seed_is_idempotent(url: str, data_dir: Path) -> None:
    engine = ensure_store(url, data_dir)
    first = store_counts(engine)
    assert first["sites"] == len(SAMPLE_SITES) and first["deposits"] == 2
    revision = data_revision(engine)
    assert seed(engine, data_dir) is False  # unchanged files: nothing written
    assert store_counts(engine) == first
    assert data_revision(engine) == revision


def test_changed_seed_updates_without_duplicates(url: str, data_dir: Path) -> None:
    engine = ensure_store(url, data_dir)
    changed = [*SAMPLE_SITES[:-1], site_row("us-xss", "Renamed site")]
    write_data_dir(data_dir, sites=changed)
    assert seed(engine, data_dir) is True
    assert store_counts(engine)["sites"] == len(SAMPLE_SITES)
    assert get_site(engine, "us-xss")["name"] == "Renamed site"


def test_site_values_round_trip(url: str, data_dir: Path) -> None:
    engine = ensure_store(url, data_dir)
    site = get_site(engine, "jp-gamma")
    assert site["jointly_selected"] is True
    assert (site["lat"], site["lon"]) == (35.9, 136.17)
    assert get_site(engine, "au-delta")["lat"] is None
    assert get_site(engine, "us-alpha")["jointly_selected"] is None
    assert get_site(engine, "us-xss")["name"] == XSS_NAME
    with pytest.raises(NotFoundError, match="no-such-site"):
        get_site(engine, "no-such-site")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stage": "smelting"}, "stage 'smelting' is not one of"),
        ({"status": "active"}, "status 'active'"),
        ({"commodities": "Li;Kryptonite"}, "unknown commodity codes"),
        ({"lat": "96", "lon": "10"}, "out of range"),
        ({"jointly_selected": "maybe"}, "jointly_selected must be"),
    ],
)
def test_bad_seed_rows_are_named(tmp_path: Path, change: dict[str, str], message: str) -> None:
    folder = write_data_dir(tmp_path / "bad", sites=[site_row("x", "X", **change)])
    with pytest.raises(SeedDataError, match=message) as info:
        read_sites(folder / "sites.csv")
    assert "row 2" in str(info.value)


def _records(n: int, offset: float = 0.0) -> pd.DataFrame:
    rows = [deposit_row(f"R{i}", f"Deposit {i}", dataset="test-table", lat=10 + i * 0.01 + offset,
                        lon=20.0) for i in range(n)]
    return pd.DataFrame(rows)[DEPOSIT_COLUMNS]


def test_a_curated_deposit_taken_out_of_the_seed_leaves_the_store(url: str,
                                                                  data_dir: Path) -> None:
    engine = ensure_store(url, data_dir)
    kwargs = {"dataset": "test-table", "file_name": "t.csv", "checksum": "0" * 64,
              "rows_read": 2, "report": {"skipped": []}}
    import_deposits(engine, _records(2), **kwargs, principal=OPEN_ACCESS)
    write_data_dir(data_dir, deposits=[deposit_row("D2", "Deposit Two")])
    assert seed(engine, data_dir) is True
    names = sorted(deposit_points(engine)["name"])
    assert names == ["Deposit 0", "Deposit 1", "Deposit Two"]  # D1 gone, imports kept


def test_import_deposits_is_idempotent(url: str, data_dir: Path) -> None:
    engine = ensure_store(url, data_dir)
    kwargs = {"dataset": "test-table", "file_name": "t.csv", "checksum": "0" * 64,
              "rows_read": 12, "report": {"skipped": []}}
    first = import_deposits(engine, _records(10), **kwargs, principal=OPEN_ACCESS)
    assert (first.inserted, first.updated, first.rows_skipped) == (10, 0, 2)
    second = import_deposits(engine, _records(10, offset=1.0), **kwargs, principal=OPEN_ACCESS)
    assert (second.inserted, second.updated) == (0, 10)
    points = deposit_points(engine)
    assert len(points) == 12  # 10 imported + 2 curated
    moved = points[points["name"] == "Deposit 0"].iloc[0]
    assert moved["lat"] == pytest.approx(11.0)
    assert store_counts(engine)["imports"] == 2
    assert get_deposit(engine, int(moved["id"]), principal=OPEN_ACCESS)["dataset"] == "test-table"


def test_failed_import_leaves_store_as_it_was(url: str, data_dir: Path) -> None:
    engine = ensure_store(url, data_dir)
    before = store_counts(engine)
    broken = _records(3)
    broken.loc[2, "lat"] = None  # violates NOT NULL inside the transaction
    with pytest.raises(IntegrityError, match=r"(?i)not.null"):
        import_deposits(engine, broken, dataset="test-table", file_name="t.csv",
                        checksum="0" * 64, rows_read=3, report={}, principal=OPEN_ACCESS)
    assert store_counts(engine) == before


def test_bundled_data_seeds(url: str) -> None:
    engine = ensure_store(url, DATA_DIR)
    sites = load_sites(engine)
    assert len(sites) >= 60
    assert sites["source"].str.strip().ne("").all()
    assert sites["id"].is_unique


def test_revisions_count_every_writer_when_many_save_at_once(url: str, tmp_path: Path) -> None:
    """Twelve writers bump the data revision at the same moment: each counts (a revision
    read in Python and written back would lose some, and another process would then keep
    showing data it thinks current)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from sqlalchemy.orm import Session

    from store.db import bump_revision

    engine = ensure_store(url, write_data_dir(tmp_path / "data"))
    before = data_revision(engine)
    start = Barrier(12)

    def save(_: int) -> None:
        with Session(engine) as session, session.begin():
            start.wait()
            bump_revision(session)

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(save, range(12)))
    assert data_revision(engine) == before + 12
