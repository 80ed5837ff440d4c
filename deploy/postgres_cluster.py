"""A PostgreSQL/PostGIS cluster of our own in a folder: ``initdb`` once, start, stop.

It listens on a Unix socket in its folder only (no TCP port), and trusts the local user it
runs as, so nothing outside this machine can reach it. PostgreSQL refuses to run as root;
when we are root the folder is handed to the unprivileged ``postgres`` user (Debian's
package creates it) and the server programs run as that user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from domain.errors import PermitmapError
from store.errors import StoreError
from store.transfer.pg_programs import pg_program

SERVER_USER = "postgres"
DATABASE = "permitmap"


def server_programs() -> Path | None:
    """The folder of the newest installed PostgreSQL server programs, if any (found as the
    client programs are)."""
    try:
        return pg_program("initdb").parent
    except StoreError:
        return None


@dataclass(frozen=True)
class Cluster:
    """A running cluster: its folder and the SQLAlchemy URL of a database on it."""

    folder: Path
    port: int

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        """A URL over the cluster's Unix socket (the port names the socket file)."""
        return f"{driver}://{SERVER_USER}@/{database}?host={self.folder}&port={self.port}"


@contextmanager
def running_cluster(folder: Path, *, port: int = 5432, durable: bool = True,
                    remove: bool = False, max_connections: int = 200) -> Iterator[Cluster]:
    """Start the cluster in ``folder`` (created by ``initdb`` the first time) until the block
    ends. ``durable=False`` turns off fsync (tests: faster, and nothing to keep);
    ``remove`` deletes the folder afterwards. Each app process keeps a pool of up to 15
    connections (SQLAlchemy's default 5 + 10 overflow)."""
    programs = server_programs()
    if programs is None:
        raise PermitmapError("PostgreSQL's server programs are not installed: install "
                             "postgresql-15 and postgresql-15-postgis-3 (Debian), e.g. with "
                             "`make serve-shared`, which installs them.")
    folder.mkdir(parents=True, exist_ok=True)
    as_user = _as_server_user(folder)
    data = folder / "data"
    if not (data / "PG_VERSION").exists():
        _run([*as_user, str(programs / "initdb"), "-D", str(data), "-A", "trust", "-U",
              SERVER_USER, "-E", "UTF8", "--no-sync"])
    options = f"-k {folder} -c listen_addresses='' -p {port} -c max_connections={max_connections}"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    _run([*as_user, str(programs / "pg_ctl"), "-D", str(data), "-o", options, "-w",
          "-t", "60", "-l", str(folder / "server.log"), "start"])
    try:
        yield Cluster(folder, port)
    finally:
        mode = "immediate" if not durable else "fast"
        _run([*as_user, str(programs / "pg_ctl"), "-D", str(data), "-m", mode, "stop"])
        if remove:
            shutil.rmtree(folder, ignore_errors=True)


def create_database(cluster: Cluster, name: str = DATABASE) -> str:
    """Create database ``name`` unless it exists; return its URL."""
    from sqlalchemy import create_engine, text  # only here: the rest is process work

    engine = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                        {"n": name}).scalar()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return cluster.url(name)


def _as_server_user(folder: Path) -> list[str]:
    """The command prefix that runs a server program as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return []
    shutil.chown(folder, user=SERVER_USER, group=SERVER_USER)
    prefix = ["runuser", "-u", SERVER_USER, "--"]
    if subprocess.run([*prefix, "test", "-w", str(folder)], check=False).returncode != 0:
        raise PermitmapError(f"The database folder {folder} is inside a folder the "
                             f"{SERVER_USER} user cannot enter (PostgreSQL runs as that user, "
                             "never as root): choose a folder it can reach, e.g. under /srv "
                             "or /tmp.")
    return prefix


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    if result.returncode != 0:
        raise PermitmapError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
