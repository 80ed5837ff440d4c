"""The process's store and what answers its deposit views, shared by pages and HTTP routes.

On SQLite the deposits are indexed in memory; on PostGIS the database answers each view, so
a process's memory does not grow with the number of deposits.

The sign-in gate opens the store before the browser may have the first page's HTML, so
opening it imports little; the index and the record readers (numpy, pandas) come with the
first deposit view (the warm-up thread asks for one at start)."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from sqlalchemy import Engine

from domain.access import Principal, Role
from domain.deposit_view import DepositViewer
from domain.settings import load_settings
from store.db import data_revision
from store.deposit_views import DepositViews
from store.startup import ensure_store

_lock = threading.Lock()
_indexes: dict[str, tuple[int, DepositViewer]] = {}  # database URL -> (data revision, index)
_viewers: dict[str, DepositViews] = {}  # database URL -> the PostGIS viewer


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


def deposit_views() -> tuple[int, DepositViewer]:
    """What answers deposit views at the current data revision: the database itself on
    PostGIS; on SQLite an in-memory index, rebuilt after an import."""
    key, revision = data_version()
    eng = engine()
    if eng.dialect.name == "postgresql":
        with _lock:  # one per database: it keeps the counts of the filters asked
            return revision, _viewers.setdefault(key, DepositViews(eng))
    from sites.point_index import PointIndex
    from store.records import deposit_points

    with _lock:
        cached = _indexes.get(key)
        if cached is None or cached[0] != revision:
            cached = _indexes[key] = (revision, PointIndex.from_frame(deposit_points(eng)))
        return cached


def withheld_deposits(principal: Principal) -> dict[int, set[str]]:
    """Deposit id -> the attributes ``principal`` may not receive; empty at the highest
    clearance. Kept per clearance and data revision (marking an attribute bumps it)."""
    return _withheld(principal.clearance, *data_version())


@functools.lru_cache(maxsize=16)
def _withheld(clearance: str, _database: str, _revision: int) -> dict[int, set[str]]:
    from store.records import withheld_deposit_attributes

    return withheld_deposit_attributes(engine(), Principal("reader", Role.VIEWER, clearance))
