"""A server started on this machine: a free port, a GET that answers (status, body) whatever
happens, waiting until both health routes answer, and stopping it."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    """The status and body of ``url``; status 0 when nothing answered."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP address: {url}")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (checked)
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path,
                       seconds: float) -> dict[str, Any]:
    """Poll Streamlit's health, then ours, until both answer ok; return our health JSON.
    RuntimeError with the server's log when it exits or does not answer in ``seconds``."""
    deadline = time.monotonic() + seconds
    pending = ["/_stcore/health", "/api/health"]
    body = b""
    while pending:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n"
                               f"{log.read_text()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{base_url} not healthy after {seconds:.0f} s (waiting for "
                               f"{', '.join(pending)}):\n{log.read_text()}")
        status, body = http_get(base_url + pending[0], timeout=5)
        if status == 200:
            pending.pop(0)
        else:
            time.sleep(0.2)  # polling interval of a bounded loop, not a wait for a condition
    health = dict(json.loads(body))
    if health.get("status") != "ok":
        raise RuntimeError(f"{base_url}/api/health answered {health}:\n{log.read_text()}")
    return health


def stop(process: subprocess.Popen[bytes], seconds: float = 15) -> None:
    """Terminate the server; kill it when it does not end in ``seconds``."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=seconds)
