"""A throwaway PostgreSQL/PostGIS server for the store tests: a cluster in a temporary folder
(``deploy.postgres_cluster``), a Unix socket only, fsync off, removed at the end of the session.

``PERMITMAP_TEST_POSTGRES_URL`` points the tests at an existing server instead (it needs
PostGIS installed).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from deploy.postgres_cluster import running_cluster
from store.db import get_engine


@contextmanager
def running_server() -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh PostgreSQL server's ``postgres`` database."""
    existing = os.environ.get("PERMITMAP_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    folder = Path(tempfile.mkdtemp(prefix="permitmap-pg-"))
    # Every test's engine keeps its pool open for the session (engines are cached per URL).
    with running_cluster(folder, durable=False, remove=True, max_connections=2000) as cluster:
        yield cluster.url(driver="postgresql+psycopg2")


def fresh_database(server_url: str) -> str:
    """Create an empty database on the server; return its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def release_database(server_url: str, url: str) -> None:
    """Drop the test database at ``url``, closing every connection to it first (the cached
    engine's pool, and any other engine's). An idle backend that loaded PostGIS keeps some
    35 MB and a database some 20 MB: a session of hundreds of them, all kept to its end, once
    filled the memory (the kernel killed pytest, whose cluster then stayed behind) and /tmp."""
    get_engine(url).dispose()
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            name = make_url(url).database
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()
