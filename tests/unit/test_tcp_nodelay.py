"""Streamlit binds its socket without a protocol number, so asyncio leaves Nagle's algorithm
on and a kept-alive response waits 40 ms for the client's delayed acknowledgement;
``answer_without_delay`` turns it off on the listening socket, for every connection after."""

from __future__ import annotations

import socket

from mapping.web.tcp_nodelay import answer_without_delay


def _nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_connections_accepted_after_it_send_without_delay() -> None:
    # as Streamlit 1.67's starlette_server._bind_socket makes it: protocol 0
    with socket.socket(socket.AF_INET) as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        assert listening.proto == 0 and not _nodelay(listening)
        with socket.create_connection(listening.getsockname()) as _before:
            accepted_before, _ = listening.accept()
        assert answer_without_delay() >= 1
        assert _nodelay(listening)
        with socket.create_connection(listening.getsockname()) as _client:
            accepted, _ = listening.accept()
            with accepted, accepted_before:
                assert _nodelay(accepted)
                assert not _nodelay(accepted_before)  # only what is accepted after


def test_sockets_that_do_not_listen_are_left_alone() -> None:
    with socket.socket(socket.AF_INET) as listening, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagram:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        client = socket.create_connection(listening.getsockname())
        with client:
            answer_without_delay()
            assert not _nodelay(client)  # a connection of ours, not a server's
            assert datagram.type == socket.SOCK_DGRAM  # and a UDP socket raised nothing


def test_the_process_keeps_its_descriptors() -> None:
    """It looks at every descriptor through a duplicate: none is closed or leaked."""
    import os

    before = sorted(os.listdir("/proc/self/fd"))
    with socket.socket(socket.AF_INET) as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        answer_without_delay()
        answer_without_delay()
        assert listening.fileno() >= 0 and listening.getsockname()[1] > 0
    assert sorted(os.listdir("/proc/self/fd")) == before
