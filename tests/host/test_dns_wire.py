"""The probe's own DNS client: resolver addresses and replies it must not trust blindly."""

from __future__ import annotations

import struct

import pytest

from ops.host.dns import QTYPE_A, DnsError, build_query, encode_name, parse_resolver, parse_response


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


@pytest.mark.parametrize('text', ['192.0.2.53:dns', '192.0.2.53:0', ':53', '[2001:db8::53]:99999'])
def test_bad_resolver_addresses(text: str) -> None:
    with pytest.raises(DnsError):
        parse_resolver(text)


@pytest.mark.parametrize('name', ['', '.', 'a' * 64 + '.example', 'x.' * 130 + 'org'])
def test_bad_names(name: str) -> None:
    with pytest.raises(DnsError):
        encode_name(name)


def test_a_reply_to_another_query_is_ignored_and_garbage_is_an_error() -> None:
    query = build_query(0x1234, 'nas.homelab.test', QTYPE_A)
    reply = struct.pack('!HHHHHH', 0x4321, 0x8180, 1, 0, 0, 0) + query[12:]
    assert parse_response(reply, 0x1234, QTYPE_A) is None
    assert parse_response(query, 0x1234, QTYPE_A) is None  # our own question echoed back is not an answer
    with pytest.raises(DnsError):
        parse_response(b'\x12\x34\x81\x80\x00\x01\x00\x01', 0x1234, QTYPE_A)
    truncated = (
        struct.pack('!HHHHHH', 0x1234, 0x8180, 1, 1, 0, 0) + query[12:] + struct.pack('!HHHIH', 0xC00C, 1, 1, 60, 4)
    )
    with pytest.raises(DnsError):
        parse_response(truncated + b'\x01', 0x1234, QTYPE_A)
