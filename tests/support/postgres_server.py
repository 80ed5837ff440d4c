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
