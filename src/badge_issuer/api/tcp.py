"""The HTTP/1.1 protocol ``badge-issuer serve`` runs: uvicorn's httptools protocol (the C parser;
h11, pure Python, cost ~0.9 ms of CPU per request) with Nagle's algorithm off on every connection.

asyncio turns Nagle off only for sockets it knows to be TCP; uvicorn's worker processes receive the
listening socket rebuilt with protocol number 0, so their connections kept Nagle on and each
response waited for the client's delayed ACK: 40 ms on every request with ``--workers 2``
(`/healthz` 1 ms → 44 ms). Setting TCP_NODELAY here makes one and N workers answer alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def no_delay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):  # not a TCP socket after all: nothing to turn off
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        no_delay(transport)
        super().connection_made(transport)


class NoDelayH11Protocol(H11Protocol):
    """The pure-Python protocol, Nagle off likewise (for a platform without httptools' wheel)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        no_delay(transport)
        super().connection_made(transport)
