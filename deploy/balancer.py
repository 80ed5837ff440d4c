"""HAProxy in front of the app processes: sticky sessions and WebSockets.

Why HAProxy and not nginx: a Streamlit session lives in one process (its WebSocket, its
uploaded files, its media), so every request of a browser must reach the same process.
HAProxy pins a browser with a cookie it inserts itself (``cookie ... insert``), which nginx
offers only in its commercial edition (the free one pins by client address, and every
browser behind an office's proxy has the same address). HAProxy also passes WebSocket
upgrades in plain HTTP mode and checks each process's health route, sending new sessions
elsewhere when one stops answering.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from deploy.processes import http_get, stop
from domain.errors import PermitmapError

STICKY_COOKIE = "permitmap_server"
SERVED_BY = "X-Permitmap-Server"  # the response header naming the process that answered


def haproxy_config(port: int, backends: Sequence[int], address: str = "127.0.0.1") -> str:
    """The configuration: ``address:port`` in front, one server per backend port.

    >>> config = haproxy_config(8500, [8601, 8602])
    >>> "server app2 127.0.0.1:8602 cookie app2" in config, "option forwardfor" in config
    (True, True)
    """
    servers = "\n".join(
        f"    server app{i} 127.0.0.1:{p} cookie app{i} check inter 2s fall 2 rise 1"
        for i, p in enumerate(backends, start=1))
    return f"""global
    maxconn 2000

defaults
    mode http
    option httplog
    timeout connect 5s
    timeout client 60s
    timeout server 300s
    # A session's WebSocket stays open as long as its browser tab.
    timeout tunnel 1h
    # A failed process's sessions move to another one (they start a new Streamlit session).
    option redispatch
    retries 2
    # The browser's address in X-Forwarded-For (appended last, after any the client sent):
    # the app limits sign-in attempts per address and audits it, and sees only ours without.
    option forwardfor

frontend permitmap
    bind {address}:{port}
    default_backend apps

backend apps
    balance roundrobin
    cookie {STICKY_COOKIE} insert indirect nocache httponly
    option httpchk GET /_stcore/health
    # Which process answered: for the operator reading a browser's network log, and tests.
    http-response set-header {SERVED_BY} %s
{servers}
"""


def haproxy_program() -> Path:
    """The installed ``haproxy``; PermitmapError naming the package when missing."""
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy"
                                        if Path("/usr/sbin/haproxy").exists() else None)
    if found is None:
        raise PermitmapError("HAProxy is not installed: install the Debian package haproxy "
                             "(`make serve-shared` installs it).")
    return Path(found)


@contextmanager
def running_balancer(folder: Path, port: int, backends: Sequence[int],
                     address: str = "127.0.0.1") -> Iterator[str]:
    """HAProxy on ``address:port`` until the block ends; yields its base URL."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "haproxy.cfg"
    config.write_text(haproxy_config(port, backends, address))
    check = subprocess.run([str(haproxy_program()), "-c", "-f", str(config)],
                           capture_output=True, text=True, check=False)
    if check.returncode != 0:
        raise PermitmapError(f"HAProxy refused its configuration: {check.stdout}{check.stderr}")
    log = folder / "haproxy.log"
    with log.open("wb") as out:
        process = subprocess.Popen([str(haproxy_program()), "-db", "-f", str(config)],
                                   stdout=out, stderr=subprocess.STDOUT)
    wildcard = address in ("0.0.0.0", "")  # noqa: S104 (every interface: the user's choice)
    url = f"http://{'127.0.0.1' if wildcard else address}:{port}"
    try:
        _wait_for(url, process, log)
        yield url
    finally:
        stop(process)


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while http_get(url + "/_stcore/health", timeout=5)[0] != 200:
        if process.poll() is not None or time.monotonic() > deadline:
            raise PermitmapError(f"HAProxy did not start:\n{log.read_text()}")
        time.sleep(0.2)  # polling interval of a bounded loop
