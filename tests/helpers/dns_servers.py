"""Real DNS peers on 127.0.0.1 answering with dnspython: plain DNS (UDP and TCP on one port), DoT and DoH."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import cast

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

DOH_PATH = '/dns-query'


@dataclass(frozen=True, kw_only=True)
class Zone:
    """What a peer answers: addresses per name (NXDOMAIN for other names), names it REFUSES, names whose UDP
    answer is truncated (the full answer only over TCP), or nothing at all when silent."""

    records: dict[str, list[str]]
    refused: Collection[str] = ()
    truncated: Collection[str] = ()
    silent: bool = False

    def answer(self, wire: bytes, *, udp: bool) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        if name in self.refused:
            response.set_rcode(dns.rcode.REFUSED)
        elif name not in self.records:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif udp and name in self.truncated:
            response.flags |= dns.flags.TC
        else:
            version = 4 if question.rdtype == dns.rdatatype.A else 6
            found = [text for text in self.records[name] if ipaddress.ip_address(text).version == version]
            if found:
                response.answer.append(dns.rrset.from_text_list(question.name, 300, 'IN', question.rdtype, found))
        return response.to_wire()


@asynccontextmanager
async def dns_server(
    records: dict[str, list[str]],
    *,
    silent: bool = False,
    refused: Collection[str] = (),
    truncated: Collection[str] = (),
) -> AsyncIterator[int]:
    """Plain DNS on one port over UDP and TCP, answering A/AAAA from `records`; yields the port."""
    zone = Zone(records=records, refused=refused, truncated=truncated, silent=silent)
    loop = asyncio.get_running_loop()
    for _ in range(20):  # the UDP port may be taken for TCP by someone else: pick another
        transport, _ = await loop.create_datagram_endpoint(lambda: _UdpPeer(zone), local_addr=('127.0.0.1', 0))
        port: int = transport.get_extra_info('sockname')[1]
        try:
            server = await asyncio.start_server(partial(_serve_stream, zone), '127.0.0.1', port)
        except OSError:
            transport.close()
            continue
        break
    else:
        raise AssertionError('no loopback port free for UDP and TCP at once')
    try:
        async with server:
            yield port
    finally:
        transport.close()


@asynccontextmanager
async def dot_server(records: dict[str, list[str]], tls: ssl.SSLContext, *, silent: bool = False) -> AsyncIterator[int]:
    """DNS over TLS (length-prefixed messages in a TLS stream) with the server side `tls`; yields the port."""
    zone = Zone(records=records, silent=silent)
    server = await asyncio.start_server(partial(_serve_stream, zone), '127.0.0.1', 0, ssl=tls)
    async with server:
        yield server.sockets[0].getsockname()[1]


@asynccontextmanager
async def doh_server(records: dict[str, list[str]], tls: ssl.SSLContext) -> AsyncIterator[int]:
    """DNS over HTTPS: POST /dns-query answers application/dns-message; /not-dns answers HTML, others 404."""
    zone = Zone(records=records)
    server = await asyncio.start_server(partial(_serve_https, zone), '127.0.0.1', 0, ssl=tls)
    async with server:
        yield server.sockets[0].getsockname()[1]


class _UdpPeer(asyncio.DatagramProtocol):
    def __init__(self, zone: Zone) -> None:
        self.zone = zone
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # not a subclass in 3.11's selector loop

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.transport is not None and not self.zone.silent:
            self.transport.sendto(self.zone.answer(data, udp=True), addr)


async def _serve_stream(zone: Zone, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
        while True:
            size = int.from_bytes(await reader.readexactly(2), 'big')
            wire = await reader.readexactly(size)
            if zone.silent:
                continue
            reply = zone.answer(wire, udp=False)
            writer.write(len(reply).to_bytes(2, 'big') + reply)
            await writer.drain()
    writer.close()


async def _serve_https(zone: Zone, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
        while True:  # keep-alive: one request after another on the connection
            head = (await reader.readuntil(b'\r\n\r\n')).decode('latin-1')
            method, path, _ = head.split('\r\n', 1)[0].split(' ', 2)
            headers = dict(
                (key.strip().lower(), value.strip())
                for key, _, value in (line.partition(':') for line in head.split('\r\n')[1:] if line)
            )
            body = await reader.readexactly(int(headers.get('content-length', '0')))
            if path == '/not-dns':
                status, kind, content = '200 OK', 'text/html', b'<html>a login page</html>'
            elif (method, path, headers.get('content-type')) == ('POST', DOH_PATH, 'application/dns-message'):
                status, kind, content = '200 OK', 'application/dns-message', zone.answer(body, udp=False)
            else:
                status, kind, content = '404 Not Found', 'text/plain', b'not here'
            writer.write(
                f'HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(content)}\r\n\r\n'.encode()
                + content
            )
            await writer.drain()
    writer.close()
