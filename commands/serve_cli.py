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
import subprocess
import sys
from pathlib import Path

from domain.errors import PermitmapError
from domain.settings import load_settings

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


def _serve(args: argparse.Namespace) -> int:
    command = streamlit_command(args.port, args.address, load_settings().max_upload_mb)
    _check_assets()
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":  # Streamlit takes this process over, so signals reach it
        os.execv(sys.executable, command)  # noqa: S606 (our interpreter, a fixed argument list)
    return subprocess.call(command)


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
