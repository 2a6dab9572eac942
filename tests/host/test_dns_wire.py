"""The probe's DNS client: resolver addresses, names, and replies it must not trust (real peers on loopback)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import cast

import dns.message
import dns.rrset
import pytest

from ops.host.dns import DnsError, Resolver, parse_resolver, resolve, resolver_for
from tests.helpers.dns_servers import dns_server


@pytest.mark.parametrize(
    ('text', 'expected'),
    [
        ('192.0.2.53', ('192.0.2.53', 53)),
        ('192.0.2.53:5353', ('192.0.2.53', 5353)),
        ('[2001:db8::53]:5300', ('2001:db8::53', 5300)),
        ('2001:db8::53', ('2001:db8::53', 53)),
        ('pihole.lan', ('pihole.lan', 53)),
    ],
)
def test_resolver_addresses(text: str, expected: tuple[str, int]) -> None:
    assert parse_resolver(text) == expected


@pytest.mark.parametrize(
    'text', ['192.0.2.53:dns', '192.0.2.53:0', ':53', '[2001:db8::53]:99999', 'tls://192.0.2.53', 'pi hole:53']
)
def test_bad_resolver_addresses(text: str) -> None:
    with pytest.raises(DnsError, match='not a resolver address'):
        parse_resolver(text)


@pytest.mark.parametrize(
    ('kind', 'text', 'expected'),
    [
        ('dns', 'pihole.lan', Resolver(transport='dns', host='pihole.lan', port=53)),
        ('dot', '192.0.2.53', Resolver(transport='dot', host='192.0.2.53', port=853)),
        ('dot', '[2001:db8::53]:8853', Resolver(transport='dot', host='2001:db8::53', port=8853)),
        (
            'doh',
            'https://adguard.lan/dns-query',
            Resolver(transport='doh', host='adguard.lan', port=443, url='https://adguard.lan/dns-query'),
        ),
    ],
)
def test_resolvers_per_kind(kind: str, text: str, expected: Resolver) -> None:
    assert resolver_for(kind, text) == expected  # type: ignore[arg-type]


def test_where_a_resolver_is_named_in_results() -> None:
    assert resolver_for('dot', '[2001:db8::53]:8853').where == '[2001:db8::53]:8853'
    assert resolver_for('doh', 'https://user:secret@adguard.lan:8443/dns-query/client-id').where == 'adguard.lan:8443'


@pytest.mark.parametrize(
    'text', ['http://adguard.lan/dns-query', 'adguard.lan', 'https:///dns-query', 'https://[::1/dns-query']
)
def test_a_doh_resolver_is_an_https_url(text: str) -> None:
    with pytest.raises(DnsError, match='https://'):
        resolver_for('doh', text)


@pytest.mark.parametrize('name', ['', '.', 'a' * 64 + '.example', 'x.' * 130 + 'org', 'bad..name'])
async def test_bad_names_are_refused_before_asking(name: str) -> None:
    async with dns_server({}) as port:
        with pytest.raises(DnsError, match='not a valid domain name'):
            await resolve(name, resolver_for('dns', f'127.0.0.1:{port}'), timeout=2)


def _garbage(query: dns.message.Message) -> bytes:
    return b'\x12\x34\x81\x80\x00\x01'


def _forged(query: dns.message.Message) -> bytes:
    # A well-formed answer with an address, but for another query id: an off-path guess, not the resolver's reply.
    reply = _answer(query)
    reply.id = (query.id + 1) % 65536
    return reply.to_wire()


def _other_question(query: dns.message.Message) -> bytes:
    other = dns.message.make_query('bank.example', query.question[0].rdtype)
    other.id = query.id
    return _answer(other).to_wire()


def _answer(query: dns.message.Message) -> dns.message.Message:
    reply = dns.message.make_response(query)
    if query.question[0].rdtype == 1:
        reply.answer.append(dns.rrset.from_text_list(query.question[0].name, 60, 'IN', 'A', ['203.0.113.66']))
    return reply


@pytest.mark.parametrize(
    ('reply', 'problem'),
    [(_garbage, 'malformed reply'), (_forged, 'does not answer the question'), (_other_question, 'does not answer')],
)
async def test_a_reply_that_is_not_the_answer_is_never_taken(
    reply: Callable[[dns.message.Message], bytes], problem: str
) -> None:
    async with rogue_server(reply) as port:
        with pytest.raises(DnsError, match=problem):
            await resolve('nas.homelab.test', resolver_for('dns', f'127.0.0.1:{port}'), timeout=2)


class _Rogue(asyncio.DatagramProtocol):
    def __init__(self, reply: Callable[[dns.message.Message], bytes]) -> None:
        self.reply = reply
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        self.transport.sendto(self.reply(dns.message.from_wire(data)), addr)


@asynccontextmanager
async def rogue_server(reply: Callable[[dns.message.Message], bytes]) -> AsyncIterator[int]:
    """A UDP "resolver" that answers every question with reply(question); yields its port."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: _Rogue(reply), local_addr=('127.0.0.1', 0))
    try:
        yield transport.get_extra_info('sockname')[1]
    finally:
        transport.close()
