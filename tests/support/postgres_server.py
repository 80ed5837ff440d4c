"""A throwaway PostgreSQL server for the store tests: initdb in a temporary folder, a Unix
socket only (no TCP port), stopped at the end of the session.

``PERMITMAP_TEST_POSTGRES_URL`` points the tests at an existing server instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text


def postgres_bin() -> Path | None:
    """The folder of the newest installed PostgreSQL server programs, if any."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    found = shutil.which("initdb")
    if candidates:
        return Path(candidates[-1]).parent
    return Path(found).parent if found else None


@contextmanager
def running_server() -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh PostgreSQL server's ``postgres`` database."""
    existing = os.environ.get("PERMITMAP_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server programs not found: run `make test`, which "
                           "installs Debian's postgresql, or set PERMITMAP_TEST_POSTGRES_URL.")
    folder = Path(tempfile.mkdtemp(prefix="permitmap-pg-"))
    data, socket_dir = folder / "data", folder
    as_user = _run_as_postgres(folder)
    _run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
          "--no-sync", "-E", "UTF8"])
    options = f"-k {socket_dir} -c listen_addresses='' -c fsync=off -p 5432"
    _run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-t", "60",
          "-l", str(folder / "server.log"), "start"])
    try:
        yield f"postgresql+psycopg2://postgres@/postgres?host={socket_dir}&port=5432"
    finally:
        _run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(server_url: str) -> str:
    """Create an empty database on the server; return its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    base, _, query = server_url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


def _run_as_postgres(folder: Path) -> list[str]:
    """PostgreSQL refuses to run as root: hand the folder to the postgres user."""
    if os.geteuid() != 0:
        return []
    shutil.chown(folder, user="postgres", group="postgres")
    return ["runuser", "-u", "postgres", "--"]


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
