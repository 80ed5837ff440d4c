"""The process's store and the in-memory deposit index, shared by pages and HTTP routes."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from sqlalchemy import Engine

from domain.settings import load_settings
from layers.point_index import PointIndex
from store.db import data_revision
from store.records import deposit_points
from store.seed import ensure_store

_lock = threading.Lock()
_index: tuple[int, PointIndex] | None = None


@functools.cache
def store_engine(database_url: str, data_dir: Path) -> Engine:
    """Create, migrate and seed the store once per process, URL and data folder."""
    return ensure_store(database_url, data_dir)


def engine() -> Engine:
    """The engine for the configured database."""
    settings = load_settings()
    return store_engine(settings.database_url, settings.data_dir)


def deposit_index() -> tuple[int, PointIndex]:
    """The deposit index for the current data revision; rebuilt after an import."""
    global _index
    eng = engine()
    revision = data_revision(eng)
    with _lock:
        if _index is None or _index[0] != revision:
            _index = (revision, PointIndex.from_frame(deposit_points(eng)))
        return _index
