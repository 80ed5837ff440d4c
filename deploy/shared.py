"""The shared deployment on one machine: a PostgreSQL/PostGIS cluster, several app processes
(``permitmap serve``) and HAProxy in front of them, started and stopped together.

Every process reads the same database (``DATABASE_URL``), the same layer folder (the COGs of
uploaded rasters, ``PERMITMAP_LAYER_DIR``) and the same cookie secret, so a browser that a
failed process's sessions are moved from can go on with another. The data revision lives in
the database, so an edit through one process shows in the others on their next rerun.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from deploy.balancer import running_balancer
from deploy.postgres_cluster import create_database, running_cluster
from deploy.processes import free_port, stop, wait_until_healthy
from domain.settings import load_settings
from store.startup import ensure_store

STARTUP_SECONDS = 90.0


@dataclass
class SharedDeployment:
    """What is running: the balancer's URL, each process's URL and handle, the store."""

    url: str
    database_url: str
    layer_dir: Path
    backends: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)


def cookie_secret(folder: Path) -> str:
    """The secret every process signs its cookies with: ``PERMITMAP_COOKIE_SECRET``, else one
    made once and kept in the deployment's folder (readable by its owner only)."""
    given = os.environ.get("PERMITMAP_COOKIE_SECRET", "").strip()
    if given:
        return given
    path = folder / "cookie_secret"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


@contextmanager
def running_shared(folder: Path, *, processes: int = 2, port: int = 8500,
                   address: str = "127.0.0.1", durable: bool = True,
                   data_dir: Path | None = None) -> Iterator[SharedDeployment]:
    """Start the cluster, ``processes`` app processes and the balancer; stop them all when
    the block ends. ``folder`` keeps the database, the layer files and the logs; the store
    is seeded from ``data_dir`` (default: the settings', i.e. the bundled data)."""
    data_dir = data_dir or load_settings().data_dir
    with ExitStack() as stack:
        cluster = stack.enter_context(running_cluster(folder / "postgres", durable=durable))
        database_url = create_database(cluster)
        # Migrated and seeded once, before any process starts.
        ensure_store(database_url, data_dir).dispose()
        layer_dir = folder / "layers"
        layer_dir.mkdir(parents=True, exist_ok=True)
        shared = SharedDeployment("", database_url, layer_dir)
        process_env = {**os.environ, "DATABASE_URL": database_url,
                       "PERMITMAP_DATA_DIR": str(data_dir), "PERMITMAP_LAYER_DIR": str(layer_dir),
                       "PERMITMAP_COOKIE_SECRET": cookie_secret(folder),
                       "PYTHONUNBUFFERED": "1"}
        stack.callback(_stop_all, shared)
        for number in range(1, processes + 1):
            backend_port = free_port()
            log = folder / f"app{number}.log"
            with log.open("wb") as out:
                shared.processes.append(subprocess.Popen(
                    [sys.executable, "-m", "commands", "serve", "--port", str(backend_port),
                     "--address", "127.0.0.1"], env=process_env, stdout=out,
                    stderr=subprocess.STDOUT))
            shared.backends.append(f"http://127.0.0.1:{backend_port}")
        for backend, process, number in zip(shared.backends, shared.processes,
                                            range(1, processes + 1), strict=True):
            wait_until_healthy(backend, process, folder / f"app{number}.log", STARTUP_SECONDS)
        ports = [int(b.rsplit(":", 1)[1]) for b in shared.backends]
        shared.url = stack.enter_context(running_balancer(folder / "haproxy", port, ports,
                                                          address))
        yield shared


def _stop_all(shared: SharedDeployment) -> None:
    for process in shared.processes:
        if process.poll() is None:
            stop(process)
