"""``permitmap serve``: the web app, as ``streamlit run`` of the entry script the package ships
(``mapping/serve.py``, with its ``.streamlit/config.toml``), wherever it is installed.

The upload limit comes from ``PERMITMAP_MAX_UPLOAD_MB`` (the same number the app states and
enforces). Streamlit replaces this process, so stopping it (Ctrl-C, SIGTERM) stops the server.
The command line stays free of UI libraries: the entry script is found by its module name
and run in a new interpreter, never imported here.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from domain.errors import PermitmapError
from domain.settings import load_settings, var_dir

ENTRY_MODULE = "mapping.serve"
ASSETS_MODULE = "mapping.webmap.assets"


def add_commands(groups: argparse._SubParsersAction) -> None:
    """Register ``serve``."""
    serve = groups.add_parser(
        "serve", help="serve the web app (Streamlit); the map's assets must be installed "
                      f"(python -m {ASSETS_MODULE})")
    serve.add_argument("--port", type=_port, help="port to listen on (default 8501, from the "
                                                   "packaged .streamlit/config.toml)")
    serve.add_argument("--address", help="address to listen on (default: every interface)")
    serve.set_defaults(run=_serve)
    shared = groups.add_parser(
        "serve-shared", help="serve an office: a PostgreSQL/PostGIS cluster, several app "
                             "processes and HAProxy in front of them")
    shared.add_argument("--processes", type=int, default=2, help="app processes (default 2)")
    shared.add_argument("--port", type=_port, default=8500,
                        help="the balancer's port (default 8500)")
    shared.add_argument("--address", default="127.0.0.1",
                        help="the balancer's address (default 127.0.0.1; 0.0.0.0 for the "
                             "office network)")
    shared.add_argument("--folder", type=Path, help="where the database, the layer files and "
                                                    "the logs live (default var/shared)")
    shared.set_defaults(run=_serve_shared)


def entry_script() -> Path:
    """The installed ``mapping/serve.py``, the file Streamlit runs."""
    spec = importlib.util.find_spec(ENTRY_MODULE)
    if spec is None or spec.origin is None:
        raise PermitmapError(f"{ENTRY_MODULE} is not installed: reinstall permitmap.")
    return Path(spec.origin)


def streamlit_command(port: int | None, address: str | None, max_upload_mb: int) -> list[str]:
    """The ``python -m streamlit run`` command line that serves the app."""
    command = [sys.executable, "-m", "streamlit", "run", str(entry_script()),
               "--server.maxUploadSize", str(max_upload_mb)]
    if port is not None:
        command += ["--server.port", str(port)]
    if address:
        command += ["--server.address", address]
    return command


def serve_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment the Streamlit process runs in: ``environ`` plus what it needs."""
    env = dict(environ)
    secret = env.get("PERMITMAP_COOKIE_SECRET", "").strip()
    if secret:  # every process behind one balancer signs cookies alike (not on the command line)
        env["STREAMLIT_SERVER_COOKIE_SECRET"] = secret
    # glibc gives each thread that allocates its own heap arena; Streamlit runs every session
    # in a thread, so a busy process kept ~12 MB more resident (shared_bench) for no speed.
    env.setdefault("MALLOC_ARENA_MAX", "2")
    return env


def _serve(args: argparse.Namespace) -> int:
    command = streamlit_command(args.port, args.address, load_settings().max_upload_mb)
    _check_assets()
    sys.stdout.flush()
    sys.stderr.flush()
    env = serve_environment(os.environ)
    if os.name == "posix":  # Streamlit takes this process over, so signals reach it
        os.execve(sys.executable, command, env)  # noqa: S606 (our interpreter, fixed arguments)
    return subprocess.call(command, env=env)


def _serve_shared(args: argparse.Namespace) -> int:
    from deploy.shared import running_shared  # the cluster and balancer code only when asked

    if args.processes < 1:
        raise PermitmapError("--processes must be 1 or more.")
    _check_assets()
    folder = args.folder or var_dir() / "shared"
    # SIGTERM ends the block like Ctrl-C, so the processes, the balancer and the database
    # are stopped in order.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        with running_shared(folder, processes=args.processes, port=args.port,
                            address=args.address) as shared:
            print(f"permitmap is served at {shared.url} by {args.processes} processes "
                  f"({', '.join(shared.backends)}); database {shared.database_url}; layer "
                  f"files in {shared.layer_dir}; logs in {folder}. Ctrl-C stops it all.",
                  flush=True)
            signal.pause()
    except KeyboardInterrupt:
        print("stopping…", flush=True)
    return 0


def _check_assets() -> None:
    """Refuse to start a map without its scripts (Leaflet and plugins, installed after the
    package, never shipped in it)."""
    check = subprocess.run([sys.executable, "-m", ASSETS_MODULE, "--check"],
                           capture_output=True, text=True, check=False)
    if check.returncode != 0:
        detail = (check.stderr or check.stdout).strip().replace("\n", "; ")
        raise PermitmapError(
            f"the map's scripts are not installed ({detail}): run "
            f"`{sys.executable} -m {ASSETS_MODULE}` (or with "
            f"--copy-from FOLDER to copy them from another installation), then serve again."
        )


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (1 to 65535)")
    return port
