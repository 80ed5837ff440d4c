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
