"""Copy of the store into another database: every table of ``Base.metadata``, into a target
created and migrated first (never seeded), read from one snapshot of the source and written in
batches inside one transaction on the target (COPY into PostgreSQL, executemany into SQLite).
PostGIS computes its ``geom`` columns, sequences are set to the copied ids and the deposit grid
is recounted after the commit. A target replaced (``--replace``) has its tables dropped and
created again in that transaction: its audit trail refuses DELETE and TRUNCATE.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
    inspect,
    make_url,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError, OperationalError

from domain.errors import InputError
from store.db import get_engine, migrate, migrate_on
from store.deposit_views import GRID_OF, ensure_deposit_grid
from store.errors import StoreError
from store.transfer.counters import advance_counters_in, counters_in
from store.transfer.pg_programs import pg_host, pg_port
from store.transfer.schema_check import (
    PG_ONLY_FUNCTIONS,
    PG_ONLY_TABLES,
    counts_in,
    existing_store,
    refuse_newer,
    store_revision,
    store_tables,
)
from store.transfer.urls import backend_name, first_line, store_url, unreachable, where

BATCH_ROWS = 10_000


@dataclass
class CopySummary:
    """Rows copied per table, and how long it took."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    replaced: dict[str, int] = field(default_factory=dict)


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
    source, revision = existing_store(source_url)
    refuse_newer(revision, "The configured store")
    migrate(source)
    target = _target_engine(target_url)
    summary = CopySummary()
    with _snapshot(source) as reading, target.begin() as writing:
        if target.dialect.name == "sqlite":  # pysqlite starts none before DDL: _empty's
            writing.exec_driver_sql("BEGIN IMMEDIATE")  # DROP and CREATE belong to the copy
        held = {name: n for name, n in counts_in(writing).items() if n and name != "store_meta"}
        if held and not replace:
            raise InputError(
                f"The target {where(target)} already holds {_count_words(held)}. Give "
                "--replace to empty it first (in the same transaction as the copy).")
        before = counters_in(writing)
        _empty(writing, held)
        summary.replaced = held
        for table in store_tables():
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
            advance_counters_in(writing, before)
    ensure_deposit_grid(target)
    summary.seconds = time.monotonic() - started
    return summary


def _target_engine(url: str) -> Engine:
    """The target's engine, its database created when the server lacks it, at the newest
    schema; refuses a target of a newer permitmap."""
    if backend_name(url) == "postgresql":
        _create_pg_database(url)
    engine = get_engine(url)
    revision = store_revision(engine)
    if revision is not None:
        refuse_newer(revision, "The target")
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


def _empty(connection: Connection, held: Mapping[str, int]) -> None:
    """Leave the target without a row. A target holding data has every table dropped and
    created again at the newest schema: not DELETE or TRUNCATE, which the audit trail refuses
    (nothing may delete an audit row), while a store replaced whole takes its trail with it.
    All of it inside the copy's transaction."""
    quote = connection.dialect.identifier_preparer.quote
    postgres = connection.dialect.name == "postgresql"
    if held:
        present = set(inspect(connection).get_table_names())
        names = [t.name for t in reversed(store_tables())] + list(PG_ONLY_TABLES) + \
            ["alembic_version"]
        for name in (n for n in names if n in present):
            connection.execute(text(f"DROP TABLE {quote(name)}{' CASCADE' if postgres else ''}"))
        if postgres:
            for function in PG_ONLY_FUNCTIONS:
                connection.execute(text(f"DROP FUNCTION IF EXISTS {function} CASCADE"))
        migrate_on(connection)
    # what the migrations wrote (store_meta) and, on PostgreSQL, the deposit grid; the other
    # tables (the audit trail too) hold no row here
    for name in ["store_meta"] + (list(PG_ONLY_TABLES) if postgres else []):
        connection.execute(text(f"DELETE FROM {quote(name)}"))


def _reset_sequences(connection: Connection) -> None:
    """Serial ids continue after the copied ones (deposits.id, dataset_imports.id, ...)."""
    quote = connection.dialect.identifier_preparer.quote
    for table in store_tables():
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
            raise unreachable(probe, exc) from exc
    finally:
        probe.dispose()
    server = create_engine(wanted.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            quote = connection.dialect.identifier_preparer.quote
            connection.execute(text(f"CREATE DATABASE {quote(wanted.database or '')}"))
    except DBAPIError as exc:
        raise StoreError(f"The database {wanted.database!r} does not exist and cannot be "
                         f"created ({first_line(exc)}): create it, then copy again.") from exc
    finally:
        server.dispose()


def _same_database(first: str, second: str) -> bool:
    """Whether two URLs name one store (the same file, or the same database on one server)."""
    a, b = store_url(first), store_url(second)
    if backend_name(first) != backend_name(second):
        return False
    if backend_name(first) == "sqlite":
        return Path(a.database or "").resolve() == Path(b.database or "").resolve()
    return (pg_host(a), pg_port(a), a.database) == (pg_host(b), pg_port(b), b.database)


def _count_words(counts: Mapping[str, int]) -> str:
    """Counts for a message: "5 rows of sites and 3 rows of deposits"."""
    words = [f"{n:,} rows of {name}" for name, n in counts.items()]
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else words[0]
