"""Answer every HTTP request at once, not 40 ms late.

Streamlit's server (1.67, ``starlette_server._bind_socket``) binds its listening socket as
``socket.socket(family)``, whose protocol number is 0. asyncio turns Nagle's algorithm off
only for sockets whose protocol is ``IPPROTO_TCP``, so every connection the server accepts
keeps it on: on a kept-alive connection the response body waits for the client's delayed
acknowledgement of the headers, 40 ms per request. The browser loads Streamlit's sixty
scripts, the map's scripts (one after another) and every deposit view that way.

The app module is imported after Streamlit has bound the socket, so :func:`answer_without_delay`
runs when the server starts (``routes.lifespan``): it sets ``TCP_NODELAY`` on the process's
listening TCP sockets, which Linux and macOS hand on to every connection accepted after.
"""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path


def answer_without_delay() -> int:
    """Set ``TCP_NODELAY`` on every listening TCP socket of this process; how many."""
    fds = Path("/proc/self/fd") if Path("/proc/self/fd").is_dir() else Path("/dev/fd")
    if not fds.is_dir():
        return 0
    done = 0
    for name in os.listdir(fds):
        try:
            if stat.S_ISSOCK(os.fstat(int(name)).st_mode) and _set_if_listening(int(name)):
                done += 1
        except OSError:
            continue  # closed meanwhile, or not a TCP socket
    return done


def _set_if_listening(fd: int) -> bool:
    duplicate = os.dup(fd)  # the option belongs to the socket both descriptors share
    try:
        sock = socket.socket(fileno=duplicate)  # family, type and protocol read from it
    except OSError:
        os.close(duplicate)
        raise
    with sock:
        if (sock.family not in (socket.AF_INET, socket.AF_INET6)
                or sock.type != socket.SOCK_STREAM
                or not sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)):
            return False
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return True
