"""Backup and restore of the store, on SQLite and on PostgreSQL.

- **Backup.** SQLite: Python's ``sqlite3`` online backup API, safe while the app runs (WAL),
  into a self-contained file (rollback journal, no ``-wal`` beside it). PostgreSQL:
  ``pg_dump -Fc`` of the configured database. Both write a temporary file first and rename it,
  so a failed backup leaves no half file under the name asked for.
- **Restore.** The file is checked before anything is touched: its kind (a SQLite backup for
  a SQLite store, a custom-format dump for PostgreSQL), that it is complete, that it is a
  permitmap store, and that its schema is not newer than this program's migrations. SQLite:
  the backup is staged beside the store, migrated there when older, and written into the
  store through the backup API (other connections see the new content at once). PostgreSQL:
  ``pg_restore --clean --if-exists --no-owner --single-transaction`` (a failed restore leaves
  the database as it was), then the migrations. The cache counters in ``store_meta`` are moved
  past every value a running app has seen, so no cache keyed on them answers with old data.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError

from domain.errors import InputError
from store.db import get_engine, migrate
from store.deposit_views import ensure_deposit_grid
from store.errors import StoreError
from store.transfer.counters import COUNTERS, advance_counters, counters_in, int_values
from store.transfer.pg_programs import pg_args, run_pg
from store.transfer.schema_check import (
    PG_ONLY_FUNCTIONS,
    PG_ONLY_TABLES,
    BackupFileError,
    existing_store,
    head_revision,
    refuse_newer,
    store_revision,
    store_tables,
    table_counts,
)
from store.transfer.urls import backend_name, sqlite_path, unreachable, where

_SQLITE_MAGIC = b"SQLite format 3\x00"
_PG_MAGIC = b"PGDMP"


@dataclass(frozen=True)
class BackupSummary:
    """What a backup wrote."""

    path: Path
    size_bytes: int
    revision: str
    counts: dict[str, int]
    seconds: float


@dataclass(frozen=True)
class RestoreSummary:
    """What a restore did: the backup's schema, the store's schema now, the rows it holds."""

    backup_revision: str
    revision: str
    counts: dict[str, int]
    seconds: float


# --- backup ----------------------------------------------------------------------------------


def backup_store(url: str, path: Path) -> BackupSummary:
    """Write a backup of the store at ``url`` to ``path`` (replaced when it exists)."""
    started = time.monotonic()
    engine, revision = existing_store(url)
    if path.is_dir():
        raise InputError(f"{path} is a folder; give the backup a file name.")
    if backend_name(url) == "sqlite" and path.resolve() == sqlite_path(url).resolve():
        raise InputError(f"{path} is the store itself; give the backup another file name.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        if backend_name(url) == "sqlite":
            _sqlite_backup(sqlite_path(url), partial)
        else:
            _pg_dump(engine.url, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return BackupSummary(path, path.stat().st_size, revision, table_counts(engine),
                         time.monotonic() - started)


def _sqlite_backup(store: Path, target: Path) -> None:
    """Copy a consistent snapshot through the online backup API (readers and writers of the
    running app carry on), into a file without WAL so it stands alone."""
    try:
        with closing(sqlite3.connect(store, timeout=30)) as source, \
                closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise StoreError(f"Could not back up {store}: {exc}.") from exc


def _pg_dump(url: URL, target: Path) -> None:
    run_pg("pg_dump", ["--format=custom", "--no-password", f"--file={target}",
                       *pg_args(url)], url, "back up")


# --- restore ---------------------------------------------------------------------------------


def restore_store(url: str, path: Path) -> RestoreSummary:
    """Replace the store at ``url`` with the backup ``path``, migrated to this program's
    schema; refuses (changing nothing) a file that is not a usable backup for this store."""
    started = time.monotonic()
    if not path.is_file():
        what = "a folder" if path.is_dir() else "not there"
        raise BackupFileError(f"{path} is {what}; give the backup file made by "
                              "`permitmap db backup`.")
    restore = _sqlite_restore if backend_name(url) == "sqlite" else _pg_restore
    revision = restore(url, path)
    engine = get_engine(url)
    return RestoreSummary(revision, store_revision(engine) or "", table_counts(engine),
                          time.monotonic() - started)


def describe_file(path: Path) -> str:
    """What a file is, in words (for messages about a file that is not the backup wanted)."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if not head:
        return "an empty file"
    if head.startswith(_SQLITE_MAGIC):
        return "a SQLite database"
    if head.startswith(_PG_MAGIC):
        return "a PostgreSQL dump in custom format (pg_dump -Fc)"
    if head.startswith(b"\x1f\x8b"):
        return "a gzip-compressed file (unpack it first)"
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive (unpack it first)"
    if head[257:262] == b"ustar":
        return "a tar archive (a pg_dump -Ft dump? restore takes the custom format, -Fc)"
    if b"\x00" not in head:
        words = head.decode("utf-8", errors="replace")
        if "PostgreSQL database dump" in words:
            return ("a plain-SQL PostgreSQL dump (restore takes the custom format made by "
                    "`permitmap db backup` or pg_dump -Fc)")
        return "a text file"
    return "a file of unknown kind"


def _wrong_kind(path: Path, backend: str) -> BackupFileError:
    kind = describe_file(path)
    if backend == "sqlite" and kind.startswith("a PostgreSQL dump in custom"):
        return BackupFileError(
            f"{path.name} is a backup of a PostgreSQL store (pg_dump custom format), but this "
            "store is SQLite. Restore it into a PostgreSQL store (set DATABASE_URL), then move "
            "it here with `permitmap db copy --to sqlite:///PATH`.")
    if backend == "postgresql" and kind == "a SQLite database":
        return BackupFileError(
            f"{path.name} is a SQLite database (a backup of a SQLite store), but this store "
            "is PostgreSQL. Restore it into a SQLite store (PERMITMAP_DB_PATH, no "
            "DATABASE_URL), then move it here with `permitmap db copy --to URL`.")
    wanted = ("a SQLite backup made by `permitmap db backup` from a SQLite store"
              if backend == "sqlite" else
              "a PostgreSQL backup made by `permitmap db backup` (pg_dump -Fc)")
    return BackupFileError(f"{path.name} is {kind}, not a permitmap backup. Give {wanted}.")


# SQLite


def _sqlite_restore(url: str, path: Path) -> str:
    if describe_file(path) != "a SQLite database":
        raise _wrong_kind(path, "sqlite")
    _refuse_truncated_sqlite(path)
    store = sqlite_path(url)
    store.parent.mkdir(parents=True, exist_ok=True)
    with _staged_copy(path, store.parent) as staged:
        revision = _check_sqlite_backup(staged, path)
        if revision != head_revision():
            staged_engine = create_engine(f"sqlite:///{staged}")
            try:
                migrate(staged_engine)
            finally:
                staged_engine.dispose()
        before = _sqlite_counters(store)
        try:
            with closing(sqlite3.connect(staged)) as source, \
                    closing(sqlite3.connect(store, timeout=30)) as target:
                _match_page_size(source, target)
                source.backup(target)
                target.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as exc:
            raise StoreError(f"Could not write the store at {store}: {exc}.") from exc
    advance_counters(get_engine(url), before)
    return revision


def _refuse_truncated_sqlite(path: Path) -> None:
    """A SQLite header states the page size and (when valid) the page count: a file shorter
    than that was cut short while being copied."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        header = handle.read(100)
    if len(header) < 100:
        raise BackupFileError(f"{path.name} is an incomplete SQLite database ({size} bytes, "
                              "less than its header). Use a complete copy of the backup.")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if header[92:96] == header[24:28] and pages and size < page_size * pages:
        raise BackupFileError(
            f"{path.name} is an incomplete SQLite database: it holds {size:,} of its "
            f"{page_size * pages:,} bytes (cut short while copying?). Use a complete copy of "
            "the backup.")


def _check_sqlite_backup(staged: Path, original: Path) -> str:
    """The staged backup's schema revision, after checking it is whole and a permitmap
    store no newer than this program."""
    try:
        with closing(sqlite3.connect(staged)) as connection:
            problems = [row[0] for row in connection.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise BackupFileError(f"{original.name} is a damaged SQLite database "
                                      f"({problems[0]}). Use another backup.")
            tables = {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            found = connection.execute("SELECT version_num FROM alembic_version").fetchone() \
                if {"alembic_version", "sites"} <= tables else None
    except sqlite3.DatabaseError as exc:
        raise BackupFileError(f"{original.name} is a damaged SQLite database ({exc}). Use "
                              "another backup.") from exc
    if found is None:
        raise BackupFileError(f"{original.name} is a SQLite database but not a permitmap store "
                              "(it has no sites table or no schema revision). Give a file made "
                              "by `permitmap db backup`.")
    refuse_newer(str(found[0]))
    return str(found[0])


@contextmanager
def _staged_copy(path: Path, folder: Path) -> Iterator[Path]:
    """A private copy of the backup beside the store (checked and migrated there, so the
    store is touched only once the backup is known to be good)."""
    staged = folder / f".restore-{uuid.uuid4().hex[:12]}.db"
    try:
        shutil.copyfile(path, staged)
        yield staged
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{staged}{suffix}").unlink(missing_ok=True)


def _match_page_size(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    """A store in WAL mode cannot change its page size: give the copy the store's."""
    wanted = target.execute("PRAGMA page_size").fetchone()[0]
    tables = target.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if tables and source.execute("PRAGMA page_size").fetchone()[0] != wanted:
        source.execute(f"PRAGMA page_size={int(wanted)}")
        source.execute("VACUUM")


def _sqlite_counters(store: Path) -> dict[str, int]:
    """The cache counters of the store being replaced (none when there is no store yet)."""
    if not store.is_file():
        return {}
    try:
        with closing(sqlite3.connect(store, timeout=30)) as connection:
            rows = connection.execute(
                f"SELECT key, value FROM store_meta WHERE key IN "
                f"({', '.join('?' for _ in COUNTERS)})", COUNTERS).fetchall()
    except sqlite3.Error:
        return {}
    return int_values(dict(rows))


# PostgreSQL


def _pg_restore(url: str, path: Path) -> str:
    if describe_file(path) != "a PostgreSQL dump in custom format (pg_dump -Fc)":
        raise _wrong_kind(path, "postgresql")
    toc = _pg_toc(path)
    tables = {name for kind, name in toc.entries if kind == "TABLE"}
    if not {"alembic_version", "sites"} <= tables:
        raise BackupFileError(f"{path.name} is a PostgreSQL dump but not of a permitmap store "
                              "(it has no sites table or no schema revision). Give a file made "
                              "by `permitmap db backup`.")
    revision = _pg_dump_revision(path)
    refuse_newer(revision)
    _pg_read_through(path)
    engine = get_engine(url)
    before = _pg_counters(engine)
    if ("EXTENSION", "postgis") in toc.entries:
        _ensure_postgis(engine)
    engine.dispose()  # no pooled connection of ours holds a lock pg_restore waits for
    with tempfile.TemporaryDirectory(prefix="permitmap-restore-") as folder:
        listing = Path(folder) / "restore.list"
        listing.write_text(toc.restorable(), encoding="utf-8")
        run_pg("pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction",
                              "--no-password", f"--use-list={listing}", *pg_args(engine.url),
                              str(path)], engine.url, "restore",
               failure="The restore failed and the database is as it was")
    engine.dispose()
    _drop_newer_tables(engine, tables, {name for kind, name in toc.entries if kind == "FUNCTION"})
    advance_counters(engine, before)
    migrate(engine)
    ensure_deposit_grid(engine)
    return revision


@dataclass(frozen=True)
class _Toc:
    """The table of contents of a custom-format dump (``pg_restore -l``)."""

    lines: list[str]
    entries: list[tuple[str, str]]  # (kind, name): ("TABLE", "sites"), ("EXTENSION", "postgis")

    def restorable(self) -> str:
        """The list without the extension and its catalog (the database keeps its own
        PostGIS: dropping it would need a superuser and would drop every geometry)."""
        kept = [line for line in self.lines if not _TOC_SKIP.search(line)]
        return "\n".join(kept) + "\n"


_TOC_ENTRY = re.compile(r"^\d+; \d+ \d+ (?P<kind>[A-Z][A-Z ]*?) (?P<schema>\S+) (?P<name>\S+)")
_TOC_SKIP = re.compile(r"^\d+; \d+ \d+ (EXTENSION - |COMMENT - EXTENSION |SCHEMA - public |"
                       r"COMMENT - SCHEMA public |TABLE DATA \S+ spatial_ref_sys )")


def _pg_toc(path: Path) -> _Toc:
    listing = run_pg("pg_restore", ["--list", str(path)], None, "read",
                     failure=_damaged_dump(path), error=BackupFileError)
    lines = listing.splitlines()
    entries = []
    for line in lines:
        found = _TOC_ENTRY.match(line)
        if found:
            entries.append((found["kind"], found["name"]))
    return _Toc(lines, entries)


def _pg_dump_revision(path: Path) -> str:
    """The schema revision inside a dump, read from its alembic_version data."""
    script = run_pg("pg_restore", ["--data-only", "--table=alembic_version", "--file=-",
                                   str(path)], None, "read",
                    failure=_damaged_dump(path), error=BackupFileError)
    rows = re.search(r"^COPY \S*alembic_version \(version_num\) FROM stdin;\n(.*?)^\\\.$",
                     script, re.MULTILINE | re.DOTALL)
    values = rows[1].split() if rows else []
    if len(values) != 1:
        raise BackupFileError(f"{path.name} is a PostgreSQL dump of a database without a schema "
                              "revision: not a permitmap backup. Give a file made by "
                              "`permitmap db backup`.")
    return values[0]


def _pg_read_through(path: Path) -> None:
    """Read every block of the dump (to nowhere): a cut-short or damaged file is told now,
    before the database is touched."""
    run_pg("pg_restore", ["--file=" + os.devnull, str(path)], None, "read",
           failure=_damaged_dump(path), error=BackupFileError)


def _damaged_dump(path: Path) -> str:
    return (f"{path.name} is a damaged or incomplete PostgreSQL dump (cut short while "
            "copying?); use a complete copy of the backup. pg_restore said")


def _pg_counters(engine: Engine) -> dict[str, int]:
    """The cache counters of the database being replaced (none when it holds no store)."""
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("store_meta"):
                return {}
            return counters_in(connection)
    except OperationalError as exc:
        raise unreachable(engine, exc, " Check DATABASE_URL.") from exc


def _ensure_postgis(engine: Engine) -> None:
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except DBAPIError as exc:
        raise StoreError(
            f"The PostgreSQL server at {where(engine)} has no PostGIS (or this user may not "
            "create it): install it (Debian: postgresql-15-postgis-3), or have a superuser run "
            "CREATE EXTENSION postgis in that database, then restore again.") from exc


def _drop_newer_tables(engine: Engine, in_backup: set[str], functions: set[str]) -> None:
    """Tables of a newer schema than the backup's stay behind pg_restore --clean (it drops
    only what the dump holds), and so do the functions of the migrations (the audit trail's
    guard): the migrations create them again from the restored revision."""
    ours = {t.name for t in store_tables()} | set(PG_ONLY_TABLES)
    with engine.begin() as connection:
        present = set(inspect(connection).get_table_names())
        quote = connection.dialect.identifier_preparer.quote
        for name in sorted((present & ours) - in_backup):
            connection.execute(text(f"DROP TABLE {quote(name)} CASCADE"))
        for function in sorted(set(PG_ONLY_FUNCTIONS) - functions):
            connection.execute(text(f"DROP FUNCTION IF EXISTS {function} CASCADE"))
