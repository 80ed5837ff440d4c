"""Engine, migrations and store metadata (data revision, seed checksum)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, Integer, Text, cast, create_engine, event, select, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from domain.i18n import tr
from store.errors import StoreError
from store.models import StoreMeta

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
REVISION_KEY = "data_revision"


@functools.cache
def get_engine(url: str) -> Engine:
    """One engine per database URL and process; SQLite gets WAL and a busy timeout."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    try:
        with engine.begin() as connection:
            migrate_on(connection)
    except DBAPIError as exc:
        where = engine.url.render_as_string(hide_password=True)
        if "postgis" in str(exc.orig).lower():
            raise StoreError(tr(
                "The PostgreSQL server at {where} has no PostGIS: install it (Debian: "
                "postgresql-15-postgis-3), or have a superuser run CREATE EXTENSION postgis "
                "in that database, then start again.").format(where=where)) from exc
        if not isinstance(exc, OperationalError):
            raise
        raise cannot_open(engine, exc) from exc


def migrate_on(connection: Connection) -> None:
    """Bring the schema to the newest revision inside the caller's transaction on
    ``connection`` (a failure leaves the database as the transaction found it)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def cannot_open(engine: Engine, exc: DBAPIError) -> StoreError:
    """The message for a database that cannot be reached or opened."""
    where = engine.url.render_as_string(hide_password=True)
    return StoreError(tr("Cannot open the database at {where}: {error}. Check DATABASE_URL or "
                         "PERMITMAP_DB_PATH.").format(where=where, error=exc.orig))


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or None before the first migration."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def get_meta(session: Session, key: str) -> str | None:
    """Read one metadata value."""
    return session.scalar(select(StoreMeta.value).where(StoreMeta.key == key))


def set_meta(session: Session, key: str, value: str) -> None:
    """Write one metadata value (insert or replace)."""
    row = session.get(StoreMeta, key)
    if row is None:
        session.add(StoreMeta(key=key, value=value))
    else:
        row.value = value


def data_revision(engine: Engine) -> int:
    """A counter bumped by every change to sites or deposits: caches key on it."""
    with Session(engine) as session:
        return int(get_meta(session, REVISION_KEY) or 0)


def bump_revision(session: Session) -> None:
    """Mark the data as changed (inside the transaction that changed it)."""
    bump_counter(session, REVISION_KEY)


def bump_counter(session: Session, key: str) -> int:
    """Add one to a counter in the database itself and return it: two processes saving at
    once both count (read, add and write in Python, one of the two would be lost)."""
    plus_one = cast(cast(StoreMeta.value, Integer) + 1, Text)
    value = session.execute(update(StoreMeta).where(StoreMeta.key == key)
                            .values(value=plus_one).returning(StoreMeta.value)).scalar()
    if value is None:  # the first time
        session.add(StoreMeta(key=key, value="1"))
        session.flush()
        return 1
    return int(value)
