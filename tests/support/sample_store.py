"""The app's settings pointed at a SQLite store of the sample data in a test's folder: what
the page, command-line and upload tests share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from store.startup import ensure_store
from tests.support.fixtures_data import write_data_dir


def use_sample_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_name: str = "app.db",
                     **data: Any) -> Path:
    """Point the settings at ``tmp_path/db_name`` (created and seeded on first use) with the
    sample data (``write_data_dir(**data)``) and a folder for layer files; the data folder."""
    data_dir = write_data_dir(tmp_path / "data", **data)
    monkeypatch.setenv("PERMITMAP_DB_PATH", str(tmp_path / db_name))
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PERMITMAP_LAYER_DIR", str(tmp_path / "layer_files"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return data_dir


def sample_engine(tmp_path: Path, db_name: str = "app.db") -> Engine:
    """The store :func:`use_sample_store` points at, opened (and seeded) now."""
    return ensure_store(f"sqlite:///{tmp_path / db_name}", tmp_path / "data")


def seeded_store(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A store at ``database_url`` (either backend) seeded with the sample data, the settings
    pointed at it."""
    data_dir = write_data_dir(tmp_path / "data")
    monkeypatch.setenv("PERMITMAP_DATA_DIR", str(data_dir))
    monkeypatch.setenv("DATABASE_URL", database_url)
    return ensure_store(database_url, data_dir)


def crosswalk_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The sample store plus a site named like deposit D1 beside it, its cross-walk found."""
    from domain.access import OPEN_ACCESS
    from services.crosswalk import refresh_crosswalk
    from tests.support.fixtures_data import SAMPLE_SITES, site_row

    use_sample_store(tmp_path, monkeypatch, "cw.db",
                     sites=[*SAMPLE_SITES, site_row("us-one", "Deposit One",
                                                    lat=39.001, lon=-116.0)])
    engine = sample_engine(tmp_path, "cw.db")
    refresh_crosswalk(engine, principal=OPEN_ACCESS)
    return engine
