"""Tiny real servers on 127.0.0.1 for the network probes: TCP, HTTP and a UDP DNS responder."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast


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
async def http_server() -> AsyncIterator[int]:
    """GET / -> 200, /moved -> 301, anything else -> 404; yields its port."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b'\r\n\r\n')
        path = request.split(b' ')[1]
        status = {b'/': b'200 OK', b'/moved': b'301 Moved Permanently'}.get(path, b'404 Not Found')
        writer.write(b'HTTP/1.1 ' + status + b'\r\nLocation: /\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok')
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, '127.0.0.1', 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


class _DnsResponder(asyncio.DatagramProtocol):
    def __init__(self, records: dict[str, list[str]], silent: bool) -> None:
        self.records = records
        self.silent = silent
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # not a subclass in 3.11's selector loop

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.silent or self.transport is None:
            return
        qid, _, _, _, _, _ = struct.unpack_from('!HHHHHH', data)
        labels, offset = [], 12
        while data[offset]:
            labels.append(data[offset + 1 : offset + 1 + data[offset]].decode())
            offset += 1 + data[offset]
        qtype = struct.unpack_from('!H', data, offset + 1)[0]
        question = data[12 : offset + 5]
        name = '.'.join(labels).lower()
        if name not in self.records:
            self.transport.sendto(struct.pack('!HHHHHH', qid, 0x8183, 1, 0, 0, 0) + question, addr)  # NXDOMAIN
            return
        answers = b''
        count = 0
        for text in self.records[name]:
            address = ipaddress.ip_address(text)
            if (address.version, qtype) in ((4, 1), (6, 28)):
                # The owner name as a compression pointer to the question, as real servers write it.
                answers += struct.pack('!HHHIH', 0xC00C, qtype, 1, 300, len(address.packed)) + address.packed
                count += 1
        self.transport.sendto(struct.pack('!HHHHHH', qid, 0x8180, 1, count, 0, 0) + question + answers, addr)


@asynccontextmanager
async def dns_server(records: dict[str, list[str]], *, silent: bool = False) -> AsyncIterator[int]:
    """Answers A/AAAA from `records` (NXDOMAIN for other names), or never answers when silent; yields its port."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _DnsResponder(records, silent), local_addr=('127.0.0.1', 0)
    )
    try:
        yield transport.get_extra_info('sockname')[1]
    finally:
        transport.close()
