"""A minimal DNS client (RFC 1035, A and AAAA over UDP), so a probe can ask one named resolver directly.

The system resolver cannot be pointed at a particular server, and a probe of "does my Pi-hole answer?" must
not be answered by a fallback resolver instead.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import socket
import struct
from dataclasses import dataclass

QTYPE_A = 1
QTYPE_AAAA = 28
RCODES = {0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED'}
_HEADER = struct.Struct('!HHHHHH')
_RR_FIXED = struct.Struct('!HHIH')


class DnsError(Exception):
    """No usable answer: timeout, unreachable resolver, malformed reply or a bad name."""


@dataclass(frozen=True, kw_only=True, slots=True)
class DnsAnswer:
    """What the resolver said about one name: its response code and the A/AAAA addresses."""

    rcode: str
    addresses: tuple[str, ...]


def parse_resolver(text: str) -> tuple[str, int]:
    """'192.0.2.53', '192.0.2.53:5353', '[2001:db8::53]:53' or '2001:db8::53' -> (host, port)."""
    text = text.strip()
    if text.startswith('['):
        host, _, rest = text[1:].partition(']')
        port = rest.removeprefix(':') or '53'
    elif text.count(':') == 1:
        host, port = text.split(':')
    else:
        host, port = text, '53'
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise DnsError(f'not a resolver address like host or host:port: {text!r}')
    return host, int(port)


async def resolve(name: str, *, resolver: tuple[str, int], timeout: float) -> DnsAnswer:
    """Ask `resolver` for the A and AAAA records of `name`; the worse response code of the two wins."""
    async with asyncio.timeout(timeout):
        answers = await asyncio.gather(_ask(name, QTYPE_A, resolver), _ask(name, QTYPE_AAAA, resolver))
    codes = [answer.rcode for answer in answers]
    rcode = next((code for code in codes if code != 'NOERROR'), 'NOERROR')
    return DnsAnswer(rcode=rcode, addresses=tuple(a for answer in answers for a in answer.addresses))


async def _ask(name: str, qtype: int, resolver: tuple[str, int]) -> DnsAnswer:
    loop = asyncio.get_running_loop()
    family, _, _, _, address = (await loop.getaddrinfo(*resolver, type=socket.SOCK_DGRAM))[0]
    qid = secrets.randbits(16)
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        # A connected UDP socket only accepts datagrams from the resolver itself.
        sock.connect(address)
        await loop.sock_sendall(sock, build_query(qid, name, qtype))
        while True:
            try:
                data = await loop.sock_recv(sock, 4096)
            except ConnectionRefusedError as err:
                raise DnsError(f'nothing listens on {resolver[0]}:{resolver[1]}') from err
            answer = parse_response(data, qid, qtype)
            if answer is not None:
                return answer


def build_query(qid: int, name: str, qtype: int) -> bytes:
    """One question, recursion desired."""
    return _HEADER.pack(qid, 0x0100, 1, 0, 0, 0) + encode_name(name) + struct.pack('!HH', qtype, 1)


def encode_name(name: str) -> bytes:
    """A domain name in DNS wire form (IDNA for non-ASCII labels)."""
    try:
        labels = name.rstrip('.').encode('idna').split(b'.')
    except UnicodeError as err:
        raise DnsError(f'not a valid domain name: {name!r}') from err
    if not name.strip('.') or any(not 0 < len(label) < 64 for label in labels) or len(name) > 253:
        raise DnsError(f'not a valid domain name: {name!r}')
    return b''.join(bytes([len(label)]) + label for label in labels) + b'\0'


def parse_response(data: bytes, qid: int, qtype: int) -> DnsAnswer | None:
    """The addresses of type `qtype` in a reply to query `qid`; None for a datagram that is not that reply."""
    try:
        rid, flags, qdcount, ancount, _, _ = _HEADER.unpack_from(data)
        if rid != qid or not flags & 0x8000:
            return None
        offset = _HEADER.size
        for _ in range(qdcount):
            offset = _skip_name(data, offset) + 4
        addresses: list[str] = []
        for _ in range(ancount):
            offset = _skip_name(data, offset)
            rtype, _, _, length = _RR_FIXED.unpack_from(data, offset)
            offset += _RR_FIXED.size
            rdata = data[offset : offset + length]
            if len(rdata) != length:
                raise DnsError('truncated record')
            offset += length
            # CNAME records on the way are skipped; the addresses at the end of the chain are what counts.
            if rtype == qtype == QTYPE_A and length == 4:
                addresses.append(str(ipaddress.IPv4Address(rdata)))
            elif rtype == qtype == QTYPE_AAAA and length == 16:
                addresses.append(str(ipaddress.IPv6Address(rdata)))
    except (struct.error, IndexError) as err:
        raise DnsError('malformed reply from the resolver') from err
    return DnsAnswer(rcode=RCODES.get(flags & 0x000F, f'RCODE{flags & 0x000F}'), addresses=tuple(addresses))


def _skip_name(data: bytes, offset: int) -> int:
    while True:
        length = data[offset]
        if length & 0xC0 == 0xC0:
            return offset + 2  # a compression pointer ends the name
        if length == 0:
            return offset + 1
        offset += 1 + length
