"""PostgreSQL's client programs (pg_dump, pg_restore): finding them, their connection
options and environment from a SQLAlchemy URL, running them, and their stderr in plain words.

Passwords never reach a command line: the programs get them in PGPASSWORD.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.engine import URL

from store.errors import StoreError

#: URL query options libpq also reads from the environment, and the variable of each.
_LIBPQ_ENV = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
              "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT",
              "application_name": "PGAPPNAME", "options": "PGOPTIONS"}


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
    host, port = pg_host(url), pg_port(url)
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


def pg_args(url: URL) -> list[str]:
    """The connection options of :func:`pg_connection` alone."""
    return pg_connection(url)[0]


def pg_host(url: URL) -> str:
    """The server's host, or the folder of its Unix socket ('' for libpq's default)."""
    host = url.host or url.query.get("host") or ""
    return host if isinstance(host, str) else ""


def pg_port(url: URL) -> str:
    """The server's port ('' for libpq's default)."""
    port = url.port or url.query.get("port") or ""
    return str(port) if isinstance(port, str | int) else ""


def _conninfo_dbname(name: str) -> str:
    """A database name as a conninfo value (a bare name with ``=`` would be read as one)."""
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    return f"dbname='{escaped}'"


def run_pg(program: str, args: list[str], url: URL | None, doing: str, *,
           failure: str = "", error: type[Exception] = StoreError) -> str:
    """Run ``program`` with ``args`` (the connection's environment when ``url`` is given) and
    return its output; a failure is raised as ``error`` in plain words: ``failure``, or
    "<program> could not <doing> <url>", then what the program said."""
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
