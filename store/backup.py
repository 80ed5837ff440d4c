"""Backup, restore and copy of the store, on SQLite and on PostgreSQL.

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
- **Copy.** Every table of ``Base.metadata`` from one store into another (created and
  migrated first, never seeded), streamed in batches inside one transaction on the target;
  PostGIS computes its ``geom`` columns, sequences are set to the copied ids and the deposit
  grid is recounted after the commit.

Passwords never reach a command line: ``pg_dump`` and ``pg_restore`` get them in PGPASSWORD.
"""

from __future__ import annotations

import glob
import io
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    LargeBinary,
    Table,
    create_engine,
    func,
    inspect,
    make_url,
    select,
    text,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

import store.permit_tables  # noqa: F401  (registers the permit tables in Base.metadata)
from domain.errors import InputError
from store.db import MIGRATIONS_DIR, REVISION_KEY, get_engine, migrate
from store.deposit_views import DEPOSITS_REVISION, GRID_OF, ensure_deposit_grid
from store.errors import StoreError
from store.layer_repo import LAYER_REVISION_KEY
from store.models import Base

#: store_meta counters that caches key on: restore and copy --replace move them forward.
COUNTERS = (REVISION_KEY, DEPOSITS_REVISION, LAYER_REVISION_KEY)
#: Tables PostgreSQL stores hold beside Base.metadata (derived, or the migrations' own).
_PG_ONLY_TABLES = ("deposit_grid",)
_SQLITE_MAGIC = b"SQLite format 3\x00"
_PG_MAGIC = b"PGDMP"
BATCH_ROWS = 10_000


class BackupFileError(InputError):
    """A file given to restore is not a backup this store can take; says what it is."""


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


@dataclass
class CopySummary:
    """Rows copied per table, and how long it took."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    replaced: dict[str, int] = field(default_factory=dict)


# --- schema revisions ------------------------------------------------------------------------


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


def _refuse_newer(revision: str, what: str = "This backup") -> None:
    if revision not in known_revisions():
        raise BackupFileError(
            f"{what} was made by a newer permitmap (schema {revision}); this one knows schema "
            f"up to {head_revision()}. Upgrade permitmap, then "
            f"{'restore' if what == 'This backup' else 'try again'}.")


def _store_revision(engine: Engine) -> str | None:
    """The store's schema revision (None: no store there); StoreError when unreachable."""
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except OperationalError as exc:
        raise StoreError(f"Cannot open the database at {_where(engine)}: {_first_line(exc)}. "
                         "Check DATABASE_URL or PERMITMAP_DB_PATH.") from exc


def _existing_store(url: str) -> tuple[Engine, str]:
    """The engine of a store that exists, and its schema revision."""
    if _backend(url) == "sqlite":
        path = _sqlite_path(url)
        if not path.is_file():
            raise StoreError(f"There is no store at {path}: nothing to read. Check "
                             "PERMITMAP_DB_PATH or DATABASE_URL, or run `permitmap db init`.")
    engine = get_engine(url)
    revision = _store_revision(engine)
    if revision is None:
        raise StoreError(f"The database at {_where(engine)} holds no permitmap store. Check "
                         "DATABASE_URL or PERMITMAP_DB_PATH, or run `permitmap db init`.")
    return engine, revision


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the store."""
    with engine.connect() as connection:
        return _counts(connection)


def _counts(connection: Connection) -> dict[str, int]:
    present = set(inspect(connection).get_table_names())  # an older schema lacks some
    return {table.name: int(connection.execute(
        select(func.count()).select_from(table)).scalar_one())
        for table in _tables() if table.name in present}


def _tables() -> list[Table]:
    """Every table of the store, parents before the tables that refer to them."""
    return list(Base.metadata.sorted_tables)


# --- backup ----------------------------------------------------------------------------------


def backup_store(url: str, path: Path) -> BackupSummary:
    """Write a backup of the store at ``url`` to ``path`` (replaced when it exists)."""
    started = time.monotonic()
    engine, revision = _existing_store(url)
    if path.is_dir():
        raise InputError(f"{path} is a folder; give the backup a file name.")
    if _backend(url) == "sqlite" and path.resolve() == _sqlite_path(url).resolve():
        raise InputError(f"{path} is the store itself; give the backup another file name.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        if _backend(url) == "sqlite":
            _sqlite_backup(_sqlite_path(url), partial)
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
    _run_pg("pg_dump", ["--format=custom", "--no-password", f"--file={target}",
                        *_pg_args(url)], url, "back up")


# --- restore ---------------------------------------------------------------------------------


def restore_store(url: str, path: Path) -> RestoreSummary:
    """Replace the store at ``url`` with the backup ``path``, migrated to this program's
    schema; refuses (changing nothing) a file that is not a usable backup for this store."""
    started = time.monotonic()
    if not path.is_file():
        what = "a folder" if path.is_dir() else "not there"
        raise BackupFileError(f"{path} is {what}; give the backup file made by "
                              "`permitmap db backup`.")
    restore = _sqlite_restore if _backend(url) == "sqlite" else _pg_restore
    revision = restore(url, path)
    engine = get_engine(url)
    return RestoreSummary(revision, _store_revision(engine) or "", table_counts(engine),
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
    store = _sqlite_path(url)
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
    _advance_counters(get_engine(url), before)
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
    _refuse_newer(str(found[0]))
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
    if not store.is_file():
        return {}
    keys = (*COUNTERS, GRID_OF)
    try:
        with closing(sqlite3.connect(store, timeout=30)) as connection:
            rows = connection.execute(
                f"SELECT key, value FROM store_meta WHERE key IN ({', '.join('?' for _ in keys)})",
                keys).fetchall()
    except sqlite3.Error:
        return {}
    return _numbers(dict(rows))


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
    _refuse_newer(revision)
    _pg_read_through(path)
    engine = get_engine(url)
    before = _pg_counters(engine)
    if ("EXTENSION", "postgis") in toc.entries:
        _ensure_postgis(engine)
    engine.dispose()  # no pooled connection of ours holds a lock pg_restore waits for
    with tempfile.TemporaryDirectory(prefix="permitmap-restore-") as folder:
        listing = Path(folder) / "restore.list"
        listing.write_text(toc.restorable(), encoding="utf-8")
        _run_pg("pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction",
                               "--no-password", f"--use-list={listing}", *_pg_args(engine.url),
                               str(path)], engine.url, "restore",
                failure="The restore failed and the database is as it was")
    engine.dispose()
    _drop_newer_tables(engine, tables)
    _advance_counters(engine, before)
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
    listing = _run_pg("pg_restore", ["--list", str(path)], None, "read",
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
    script = _run_pg("pg_restore", ["--data-only", "--table=alembic_version", "--file=-",
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
    _run_pg("pg_restore", ["--file=" + os.devnull, str(path)], None, "read",
            failure=_damaged_dump(path), error=BackupFileError)


def _damaged_dump(path: Path) -> str:
    return (f"{path.name} is a damaged or incomplete PostgreSQL dump (cut short while "
            "copying?); use a complete copy of the backup. pg_restore said")


def _pg_counters(engine: Engine) -> dict[str, int]:
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("store_meta"):
                return {}
            rows = connection.execute(text("SELECT key, value FROM store_meta")).all()
    except OperationalError as exc:
        raise StoreError(f"Cannot open the database at {_where(engine)}: {_first_line(exc)}. "
                         "Check DATABASE_URL.") from exc
    return _numbers({key: value for key, value in rows if key in (*COUNTERS, GRID_OF)})


def _ensure_postgis(engine: Engine) -> None:
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except DBAPIError as exc:
        raise StoreError(
            f"The PostgreSQL server at {_where(engine)} has no PostGIS (or this user may not "
            "create it): install it (Debian: postgresql-15-postgis-3), or have a superuser run "
            "CREATE EXTENSION postgis in that database, then restore again.") from exc


def _drop_newer_tables(engine: Engine, in_backup: set[str]) -> None:
    """Tables of a newer schema than the backup's stay behind pg_restore --clean (it drops
    only what the dump holds); the migrations create them again from the restored revision."""
    ours = {t.name for t in _tables()} | set(_PG_ONLY_TABLES)
    with engine.begin() as connection:
        present = set(inspect(connection).get_table_names())
        quote = connection.dialect.identifier_preparer.quote
        for name in sorted((present & ours) - in_backup):
            connection.execute(text(f"DROP TABLE {quote(name)} CASCADE"))


# --- copy ------------------------------------------------------------------------------------


def copy_store(source_url: str, target_url: str, *, replace: bool = False,
               batch_rows: int = BATCH_ROWS,
               progress: Callable[[str, int, float], None] | None = None) -> CopySummary:
    """Copy every table of the store at ``source_url`` into ``target_url`` (created and
    migrated first, not seeded), in one transaction on the target.

    A target holding data is refused unless ``replace``: then it is emptied in the same
    transaction. ``progress(table, rows, seconds)`` is told after each table.
    """
    started = time.monotonic()
    if _same_database(source_url, target_url):
        raise InputError("The target is the configured store itself; give another --to.")
    source, revision = _existing_store(source_url)
    _refuse_newer(revision, "The configured store")
    migrate(source)
    target = _target_engine(target_url)
    summary = CopySummary()
    with _snapshot(source) as reading, target.begin() as writing:
        held = {name: n for name, n in _counts(writing).items() if n and name != "store_meta"}
        if held and not replace:
            raise InputError(
                f"The target {_where(target)} already holds {_count_words(held)}. Give "
                "--replace to empty it first (in the same transaction as the copy).")
        before = _numbers({key: value for key, value in writing.execute(
            text("SELECT key, value FROM store_meta"))})
        _empty(writing)
        summary.replaced = held
        for table in _tables():
            table_started = time.monotonic()
            summary.counts[table.name] = _copy_table(reading, writing, table, batch_rows)
            if progress is not None:
                progress(table.name, summary.counts[table.name],
                         time.monotonic() - table_started)
        if target.dialect.name == "postgresql":
            _reset_sequences(writing)
            # the grid was not copied: say it is behind, ensure_deposit_grid counts it
            writing.execute(text("DELETE FROM store_meta WHERE key = :key"), {"key": GRID_OF})
        if held:  # a store someone may be using: its caches must not meet old keys
            _advance_counters_in(writing, before)
    ensure_deposit_grid(target)
    summary.seconds = time.monotonic() - started
    return summary


def _target_engine(url: str) -> Engine:
    """The target's engine, its database created when the server lacks it, at the newest
    schema; refuses a target of a newer permitmap."""
    if _backend(url) == "postgresql":
        _create_pg_database(url)
    engine = get_engine(url)
    revision = _store_revision(engine)
    if revision is not None:
        _refuse_newer(revision, "The target")
    migrate(engine)
    return engine


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection reading one consistent state of the store, whatever others write."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ",
                                                      postgresql_readonly=True)
        else:
            connection.exec_driver_sql("BEGIN")  # pysqlite starts none for a SELECT
        try:
            yield connection
        finally:
            connection.rollback()


def _copy_table(reading: Connection, writing: Connection, table: Table,
                batch_rows: int) -> int:
    """Stream ``table`` in batches (a server-side cursor on PostgreSQL); into PostgreSQL
    with COPY, into SQLite with one executemany per batch."""
    columns = list(table.columns)  # Base.metadata: PostGIS's generated geom is not among them
    fixes = _value_fixes(table, writing.dialect.name)
    query = select(*columns).order_by(*table.primary_key.columns)
    result = reading.execution_options(yield_per=batch_rows).execute(query)
    write = _pg_copy(writing, table) if writing.dialect.name == "postgresql" \
        else _inserts(writing, table)
    copied = 0
    for batch in result.partitions():
        rows = [list(row) for row in batch]
        for index, fix in fixes.items():
            for row in rows:
                row[index] = fix(row[index])
        write(rows)
        copied += len(rows)
    return copied


def _inserts(writing: Connection, table: Table) -> Callable[[list[list[Any]]], None]:
    """One driver-level executemany per batch into SQLite, the values converted column-wise
    by the dialect's own bind processors (SQLAlchemy's per-row handling costs more than
    SQLite's work)."""
    dialect = writing.dialect
    quote = dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in table.columns)}) "
           f"VALUES ({', '.join('?' for _ in table.columns)})")
    processors = {index: process for index, column in enumerate(table.columns)
                  if (process := column.type.bind_processor(dialect)) is not None}

    def write(rows: list[list[Any]]) -> None:
        for index, process in processors.items():
            for row in rows:
                row[index] = process(row[index])
        writing.exec_driver_sql(sql, [tuple(row) for row in rows])
    return write


def _pg_copy(writing: Connection, table: Table) -> Callable[[list[list[Any]]], None]:
    """COPY ... FROM STDIN in text format (five times the speed of INSERTs), through the
    connection of the target's transaction, with psycopg 3 or psycopg2."""
    quote = writing.dialect.identifier_preparer.quote
    sql = (f"COPY {quote(table.name)} ({', '.join(quote(c.name) for c in table.columns)}) "
           "FROM STDIN")
    formats = [_copy_format(c.type) for c in table.columns]
    raw: Any = writing.connection.dbapi_connection

    def write(rows: list[list[Any]]) -> None:
        data = "".join("\t".join("\\N" if value is None else form(value)
                                  for form, value in zip(formats, row, strict=True)) + "\n"
                       for row in rows)
        cursor = raw.cursor()
        try:
            if hasattr(cursor, "copy_expert"):  # psycopg2
                cursor.copy_expert(sql, io.StringIO(data))
            else:  # psycopg 3
                with cursor.copy(sql) as copy:
                    copy.write(data)
        finally:
            cursor.close()
    return write


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]").search


def _copy_text(value: Any) -> str:
    """Text for COPY: backslash, tab, newline and carriage return escaped (the check first:
    a search costs a tenth of a translate, and few values hold any of them)."""
    words = value if isinstance(value, str) else str(value)
    return words.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE(words) else words


def _copy_format(sql_type: Any) -> Callable[[Any], str]:
    """One value as COPY's text format writes it (None is handled by the caller)."""
    if isinstance(sql_type, Boolean):
        return lambda value: "t" if value else "f"
    if isinstance(sql_type, LargeBinary):
        return lambda value: "\\\\x" + bytes(value).hex()
    if isinstance(sql_type, Date | DateTime):
        return lambda value: value.isoformat()
    if isinstance(sql_type, Float):
        return lambda value: repr(float(value))
    if isinstance(sql_type, Integer):
        return lambda value: str(int(value))
    return _copy_text


def _value_fixes(table: Table, target: str) -> dict[int, Callable[[Any], Any]]:
    """Times with a zone are UTC everywhere: SQLite keeps them without their zone,
    PostgreSQL must be told it (a naive time would be read in the session's zone)."""
    def to_utc(value: datetime | None) -> datetime | None:
        if value is None:
            return None
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.replace(tzinfo=None) if target == "sqlite" else moment
    return {i: to_utc for i, c in enumerate(table.columns)
            if isinstance(c.type, DateTime) and c.type.timezone}


def _empty(connection: Connection) -> None:
    quote = connection.dialect.identifier_preparer.quote
    if connection.dialect.name == "postgresql":
        names = [t.name for t in _tables()] + list(_PG_ONLY_TABLES)
        connection.execute(text(f"TRUNCATE {', '.join(quote(n) for n in names)}"))
        return
    for table in reversed(_tables()):
        connection.execute(table.delete())


def _reset_sequences(connection: Connection) -> None:
    """Serial ids continue after the copied ones (deposits.id, dataset_imports.id, ...)."""
    quote = connection.dialect.identifier_preparer.quote
    for table in _tables():
        column = table.autoincrement_column
        if column is None:
            continue
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence(:table, :column), "
            f"coalesce(max({quote(column.name)}), 1), max({quote(column.name)}) IS NOT NULL) "
            f"FROM {quote(table.name)}"), {"table": table.name, "column": column.name})


def _create_pg_database(url: str) -> None:
    """CREATE DATABASE when the server has none of that name (needs the CREATEDB right)."""
    wanted = make_url(url)
    probe = create_engine(wanted)
    try:
        with probe.connect():
            return
    except OperationalError as exc:
        if "does not exist" not in str(exc.orig):
            raise StoreError(f"Cannot open the database at {_where(probe)}: "
                             f"{_first_line(exc)}.") from exc
    finally:
        probe.dispose()
    server = create_engine(wanted.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            quote = connection.dialect.identifier_preparer.quote
            connection.execute(text(f"CREATE DATABASE {quote(wanted.database or '')}"))
    except DBAPIError as exc:
        raise StoreError(f"The database {wanted.database!r} does not exist and cannot be "
                         f"created ({_first_line(exc)}): create it, then copy again.") from exc
    finally:
        server.dispose()


def _same_database(first: str, second: str) -> bool:
    a, b = store_url(first), store_url(second)
    if _backend(first) != _backend(second):
        return False
    if _backend(first) == "sqlite":
        return Path(a.database or "").resolve() == Path(b.database or "").resolve()
    return (_pg_host(a), _pg_port(a), a.database) == (_pg_host(b), _pg_port(b), b.database)


def _count_words(counts: Mapping[str, int]) -> str:
    words = [f"{n:,} rows of {name}" for name, n in counts.items()]
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else words[0]


# --- cache counters --------------------------------------------------------------------------


def _numbers(values: Mapping[str, Any]) -> dict[str, int]:
    out = {}
    for key, value in values.items():
        with suppress(TypeError, ValueError):
            out[key] = int(value)
    return out


def _advance_counters(engine: Engine, before: Mapping[str, int]) -> None:
    with engine.begin() as connection:
        _advance_counters_in(connection, before)


def _advance_counters_in(connection: Connection, before: Mapping[str, int]) -> None:
    """Set each cache counter past both the replaced store's and the new content's value:
    an app caching on (database, counter) then never meets a key it has seen with other
    data. A deposit grid that was current stays marked current."""
    meta: dict[str, str] = {
        key: value for key, value in connection.execute(text("SELECT key, value FROM store_meta"))}
    grid_current = meta.get(GRID_OF) is not None and meta.get(GRID_OF) == meta.get(
        DEPOSITS_REVISION)
    values = {key: str(max(_numbers(meta).get(key, 0), before[key]) + 1)
              for key in COUNTERS if key in before}
    if grid_current and DEPOSITS_REVISION in values:
        values[GRID_OF] = values[DEPOSITS_REVISION]
    for key, value in values.items():
        params = {"key": key, "value": value}
        if key in meta:
            connection.execute(text("UPDATE store_meta SET value = :value WHERE key = :key"),
                               params)
        else:
            connection.execute(text("INSERT INTO store_meta (key, value) VALUES (:key, :value)"),
                               params)


# --- PostgreSQL client programs --------------------------------------------------------------


def pg_program(name: str) -> Path:
    """``pg_dump`` or ``pg_restore``: the newest in /usr/lib/postgresql/*/bin, else on PATH."""
    def version(found: str) -> tuple[int, ...]:
        digits = re.findall(r"\d+", Path(found).parent.parent.name)
        return tuple(int(d) for d in digits)
    installed = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    if installed:
        return Path(installed[-1])
    on_path = shutil.which(name)
    if on_path:
        return Path(on_path)
    raise StoreError(f"{name} was not found: install the PostgreSQL client programs (Debian: "
                     "postgresql-client, of the server's version or newer), then try again.")


def pg_connection(url: URL | str) -> tuple[list[str], dict[str, str]]:
    """Command-line options and environment for pg_dump/pg_restore from a SQLAlchemy URL:
    host (a Unix socket folder may come as ``?host=``), port (also ``?port=``), user and
    database as options; the password only in PGPASSWORD, never on the command line."""
    url = make_url(url)
    args = []
    host, port = _pg_host(url), _pg_port(url)
    if host:
        args.append(f"--host={host}")
    if port:
        args.append(f"--port={port}")
    if url.username:
        args.append(f"--username={url.username}")
    if url.database:
        args.append(f"--dbname={_conninfo_dbname(url.database)}")
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    for key, variable in _LIBPQ_ENV.items():
        value = url.query.get(key)
        if isinstance(value, str):
            env[variable] = value
    return args, env


_LIBPQ_ENV = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
              "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT",
              "application_name": "PGAPPNAME", "options": "PGOPTIONS"}


def _pg_args(url: URL) -> list[str]:
    return pg_connection(url)[0]


def _pg_host(url: URL) -> str:
    host = url.host or url.query.get("host") or ""
    return host if isinstance(host, str) else ""


def _pg_port(url: URL) -> str:
    port = url.port or url.query.get("port") or ""
    return str(port) if isinstance(port, str | int) else ""


def _conninfo_dbname(name: str) -> str:
    """A database name as a conninfo value (a bare name with ``=`` would be read as one)."""
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    return f"dbname='{escaped}'"


def _run_pg(program: str, args: list[str], url: URL | None, doing: str, *,
            failure: str = "", error: type[Exception] = StoreError) -> str:
    env = pg_connection(url)[1] if url is not None else dict(os.environ)
    try:
        result = subprocess.run([str(pg_program(program)), *args], capture_output=True,
                                env=env, check=False)
    except OSError as exc:
        raise StoreError(f"Cannot run {program}: {exc}.") from exc
    if result.returncode != 0:
        said = _pg_message(result.stderr.decode("utf-8", errors="replace"))
        where = f" {url.render_as_string(hide_password=True)}" if url is not None else ""
        if "unsupported version" in said or "version mismatch" in said:
            raise StoreError(f"{program} ({pg_program(program)}) could not {doing}{where}: "
                             f"{said} Install the PostgreSQL client programs of the server's "
                             "(or the dump's) version or newer, then try again.")
        lead = failure or f"{program} could not {doing}{where}"
        raise error(f"{lead}: {said}")
    return result.stdout.decode("utf-8", errors="replace")


def _pg_message(stderr: str) -> str:
    """The first error line of pg_dump/pg_restore, without the program's prefix."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line] or lines or ["(no message)"]
    return re.sub(r"^\S+: (error: )?", "", errors[0]).rstrip(".") + "."


# --- small helpers ---------------------------------------------------------------------------


def store_url(url: str | URL) -> URL:
    """A store's URL, checked: SQLite (sqlite:///PATH) or PostgreSQL through psycopg 3 or
    psycopg2; anything else is refused in words."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InputError(f"{url!r} is not a database URL: give sqlite:///PATH or "
                         "postgresql://USER:PASSWORD@HOST/NAME.") from exc
    drivers = {"sqlite": ("pysqlite",), "postgresql": ("psycopg", "psycopg2")}
    backend = parsed.get_backend_name()
    if parsed.get_driver_name() not in drivers.get(backend, ()):
        raise InputError(f"permitmap stores live in SQLite or PostgreSQL (driver psycopg or "
                         f"psycopg2), not {parsed.drivername!r}: give sqlite:///PATH or "
                         "postgresql://USER:PASSWORD@HOST/NAME.")
    return parsed


def _backend(url: str) -> str:
    return store_url(url).get_backend_name()


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise InputError("A SQLite store needs a file: give sqlite:///PATH.")
    return Path(database)


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc).__name__
