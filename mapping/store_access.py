"""The process's store and the in-memory deposit index, shared by pages and HTTP routes."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from sqlalchemy import Engine

from domain.settings import load_settings
from sites.point_index import PointIndex
from store.db import data_revision
from store.records import deposit_points
from store.seed import ensure_store

_lock = threading.Lock()
_indexes: dict[str, tuple[int, PointIndex]] = {}  # database URL -> (data revision, index)


_engine_lock = threading.Lock()


@functools.cache
def _ensured(database_url: str, data_dir: Path) -> Engine:
    return ensure_store(database_url, data_dir)


def store_engine(database_url: str, data_dir: Path) -> Engine:
    """Create, migrate and seed the store once per process, URL and data folder (the warm-up
    thread and the first page may ask at the same time)."""
    with _engine_lock:
        return _ensured(database_url, data_dir)


def engine() -> Engine:
    """The engine for the configured database."""
    settings = load_settings()
    return store_engine(settings.database_url, settings.data_dir)


def data_version() -> tuple[str, int]:
    """The cache key of the stored data: which database, at which revision (bumped by any
    process that changes sites or deposits, since the revision lives in the database)."""
    eng = engine()
    return eng.url.render_as_string(hide_password=False), data_revision(eng)


def deposit_index() -> tuple[int, PointIndex]:
    """The deposit index for the current data revision; rebuilt after an import."""
    key, revision = data_version()
    with _lock:
        cached = _indexes.get(key)
        if cached is None or cached[0] != revision:
            cached = _indexes[key] = (revision, PointIndex.from_frame(deposit_points(engine())))
        return cached
