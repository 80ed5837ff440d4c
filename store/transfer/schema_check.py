"""A store's schema against this program's: the revisions its migrations know, a store's
revision (a newer one refused), the store's tables and the rows they hold."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Table, func, inspect, select
from sqlalchemy.exc import OperationalError

import store.permit_tables  # noqa: F401  (registers the permit tables in Base.metadata)
from domain.errors import InputError
from store.db import MIGRATIONS_DIR, get_engine, schema_revision
from store.errors import StoreError
from store.models import Base
from store.transfer.urls import backend_name, sqlite_path, unreachable, where

#: Tables PostgreSQL stores hold beside Base.metadata (derived, or the migrations' own).
PG_ONLY_TABLES = ("deposit_grid",)
#: Functions the migrations create on PostgreSQL (the audit trail's guard, 0006): they go with
#: the tables when a copy replaces a store, or when a restored backup predates them.
PG_ONLY_FUNCTIONS = ("audit_log_refuse()",)


class BackupFileError(InputError):
    """A file given to restore is not a backup this store can take, or a backup or store is
    of a newer schema than this program's; says what it is."""


def head_revision() -> str:
    """The newest schema revision this program's migrations know."""
    head = _scripts().get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    """Every schema revision this program's migrations know."""
    return {script.revision for script in _scripts().walk_revisions()}


def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS_DIR))


def refuse_newer(revision: str, what: str = "This backup") -> None:
    """Refuse a backup (or, named by ``what``, a store) made by a newer permitmap."""
    if revision not in known_revisions():
        raise BackupFileError(
            f"{what} was made by a newer permitmap (schema {revision}); this one knows schema "
            f"up to {head_revision()}. Upgrade permitmap, then "
            f"{'restore' if what == 'This backup' else 'try again'}.")


def store_revision(engine: Engine) -> str | None:
    """The store's schema revision (None: no store there); StoreError when unreachable."""
    try:
        return schema_revision(engine)
    except OperationalError as exc:
        raise unreachable(engine, exc, " Check DATABASE_URL or PERMITMAP_DB_PATH.") from exc


def existing_store(url: str) -> tuple[Engine, str]:
    """The engine of a store that exists, and its schema revision."""
    if backend_name(url) == "sqlite":
        path = sqlite_path(url)
        if not path.is_file():
            raise StoreError(f"There is no store at {path}: nothing to read. Check "
                             "PERMITMAP_DB_PATH or DATABASE_URL, or run `permitmap db init`.")
    engine = get_engine(url)
    revision = store_revision(engine)
    if revision is None:
        raise StoreError(f"The database at {where(engine)} holds no permitmap store. Check "
                         "DATABASE_URL or PERMITMAP_DB_PATH, or run `permitmap db init`.")
    return engine, revision


def store_tables() -> list[Table]:
    """Every table of the store, parents before the tables that refer to them."""
    return list(Base.metadata.sorted_tables)


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the store."""
    with engine.connect() as connection:
        return counts_in(connection)


def counts_in(connection: Connection) -> dict[str, int]:
    """Rows in every table of the store, read on ``connection``."""
    present = set(inspect(connection).get_table_names())  # an older schema lacks some
    return {table.name: int(connection.execute(
        select(func.count()).select_from(table)).scalar_one())
        for table in store_tables() if table.name in present}
