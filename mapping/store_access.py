"""The process's store and the in-memory deposit index, shared by pages and HTTP routes."""

from __future__ import annotations

import functools
import threading

from sqlalchemy import Engine

from domain.settings import DATA_DIR, load_settings
from layers.point_index import PointIndex
from store.db import data_revision
from store.records import deposit_points
from store.seed import ensure_store

_lock = threading.Lock()
_index: tuple[int, PointIndex] | None = None


@functools.cache
def store_engine(database_url: str | None = None) -> Engine:
    """Create, migrate and seed the store once per process and URL."""
    return ensure_store(database_url or load_settings().database_url, DATA_DIR)


def engine() -> Engine:
    """The engine for the configured database."""
    return store_engine(load_settings().database_url)


def deposit_index() -> tuple[int, PointIndex]:
    """The deposit index for the current data revision; rebuilt after an import."""
    global _index
    eng = engine()
    revision = data_revision(eng)
    with _lock:
        if _index is None or _index[0] != revision:
            _index = (revision, PointIndex.from_frame(deposit_points(eng)))
        return _index
