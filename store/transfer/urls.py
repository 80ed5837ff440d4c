"""Store URLs: checked (SQLite or PostgreSQL), their backend and SQLite file, and a database
named in messages without its password."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError

from domain.errors import InputError
from store.errors import StoreError


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


def backend_name(url: str) -> str:
    """``sqlite`` or ``postgresql``, of a checked store URL."""
    return store_url(url).get_backend_name()


def sqlite_path(url: str) -> Path:
    """The file of a SQLite store (an in-memory database is refused)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise InputError("A SQLite store needs a file: give sqlite:///PATH.")
    return Path(database)


def where(engine: Engine) -> str:
    """The engine's database for a message (no password)."""
    return engine.url.render_as_string(hide_password=True)


def first_line(exc: DBAPIError) -> str:
    """The first line of what the database driver said (its later lines are hints)."""
    return str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc).__name__


def unreachable(engine: Engine, exc: DBAPIError, advice: str = "") -> StoreError:
    """The error for a database that cannot be opened, with ``advice`` after it."""
    return StoreError(f"Cannot open the database at {where(engine)}: {first_line(exc)}.{advice}")
