"""Open the store for a process: create or migrate the database, and seed it from the bundled
``data/`` files when they changed since the last seed (``store.seed``).

Light on purpose: every process opens the store before it answers its first request (the
sign-in gate needs it), and a restart with unchanged files only compares a checksum, so the
readers and pandas that a seed needs are imported only when one is due.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from store.db import cannot_open, get_engine, get_meta, migrate
from store.deposit_views import ensure_deposit_grid

SEED_KEY = "seed_checksum"
PERMIT_FILES = ("permits/projects.csv", "permits/actions.csv", "permits/milestones.csv",
                "permits/changes.csv")
SEED_FILES = ("sites.csv", "deposits.csv", *PERMIT_FILES)
STARTUP_LOCK = 0x7065726D  # "perm": the advisory lock key of migrating and seeding


def ensure_store(database_url: str, data_dir: Path) -> Engine:
    """Create or migrate the database and seed it from ``data_dir``; return the engine."""
    engine = get_engine(database_url)
    with _one_at_a_time(engine):
        migrate(engine)
        if not seed_is_current(engine, data_dir):
            from store.seed import seed

            seed(engine, data_dir)
        ensure_deposit_grid(engine)
    return engine


def seed_is_current(engine: Engine, data_dir: Path) -> bool:
    """Whether the store holds the bundled files as they are now."""
    with Session(engine) as session:
        return get_meta(session, SEED_KEY) == seed_checksum(data_dir)


def seed_checksum(data_dir: Path) -> str:
    """The bundled files' checksum, as the store keeps it after a seed."""
    digest = hashlib.sha256()
    for name in SEED_FILES:
        path = data_dir / name
        if path.exists():
            digest.update(name.encode() + path.read_bytes())
    return digest.hexdigest()


@contextmanager
def _one_at_a_time(engine: Engine) -> Iterator[None]:
    """Several app processes starting together on one PostgreSQL database migrate and seed
    it in turn (a lock held on its own connection); SQLite's writers queue by themselves."""
    if engine.dialect.name != "postgresql":
        yield
        return
    try:
        connection = engine.connect()
    except OperationalError as exc:
        raise cannot_open(engine, exc) from exc
    with connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK})
            connection.commit()
