"""Tiny real servers on 127.0.0.1 for the network probes: TCP and HTTP (DNS peers: tests.helpers.dns_servers)."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port: int = sock.getsockname()[1]
    return port


@asynccontextmanager
async def tcp_server() -> AsyncIterator[int]:
    """Accepts connections and closes them; yields its port."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(handle, '127.0.0.1', 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


@asynccontextmanager
async def http_server(tls: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    """GET / -> 200, /moved -> 301 to /, anything else -> 404 (over TLS with a server side `tls`); yields its port."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b'\r\n\r\n')
        path = request.split(b' ')[1]
        status = {b'/': b'200 OK', b'/moved': b'301 Moved Permanently'}.get(path, b'404 Not Found')
        writer.write(b'HTTP/1.1 ' + status + b'\r\nLocation: /\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok')
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, '127.0.0.1', 0, ssl=tls)
    async with server:
        yield server.sockets[0].getsockname()[1]
