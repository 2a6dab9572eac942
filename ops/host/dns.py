"""Ask one named resolver through dnspython: plain DNS (UDP, TCP when truncated), DNS over TLS and over HTTPS.

The system resolver cannot be pointed at a particular server, and a probe of "does my Pi-hole answer?" must
not be answered by a fallback resolver instead. Every failure leaves this module as a DnsError in words (or a
TimeoutError), never as a dnspython, ssl or httpx exception.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import dns.asyncbackend
import dns.asyncquery
import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import httpx

Transport = Literal['dns', 'dot', 'doh']
DEFAULT_PORT: dict[Transport, int] = {'dns': 53, 'dot': 853, 'doh': 443}
DNS_MESSAGE = 'application/dns-message'
USER_AGENT = 'homelab-control-plane-probe'
# The largest DNS message there is; a DoH answer longer than this is not one.
MAX_MESSAGE = 65535
# What dnspython advertises over UDP (EDNS, the DNS flag day's size): a longer answer comes truncated, then over TCP.
UDP_PAYLOAD = 1232
_HOST = re.compile(r'^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252})$')
# What can go wrong on the way to an answer (ssl errors are OSErrors; httpx wraps what happens below it).
_FAILURES = (OSError, EOFError, dns.exception.DNSException, httpx.HTTPError, httpx.InvalidURL)
AskOne = Callable[[dns.message.QueryMessage], Coroutine[Any, Any, tuple[dns.message.Message, bool]]]


class DnsError(Exception):
    """No usable answer: unreachable resolver, refused TLS, malformed or foreign reply, or a bad name."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Resolver:
    """Where a probe's questions go: host and port, and for DNS over HTTPS the URL."""

    transport: Transport
    host: str
    port: int
    url: str | None = None

    @property
    def where(self) -> str:
        """host:port as results name it (never the DoH URL's path or credentials)."""
        return f'[{self.host}]:{self.port}' if ':' in self.host else f'{self.host}:{self.port}'


@dataclass(frozen=True, kw_only=True, slots=True)
class DnsAnswer:
    """What the resolver said about one name: its response code, the A/AAAA addresses, whether plain DNS needed TCP."""

    rcode: str
    addresses: tuple[str, ...]
    over_tcp: bool = False


def parse_resolver(text: str, default_port: int = 53) -> tuple[str, int]:
    """'192.0.2.53', '192.0.2.53:5353', '[2001:db8::53]:53', '2001:db8::53' or 'pihole.lan' -> (host, port)."""
    text = text.strip()
    if text.startswith('['):
        host, _, rest = text[1:].partition(']')
        port = rest.removeprefix(':') or str(default_port)
    elif text.count(':') == 1:
        host, port = text.split(':')
    else:
        host, port = text, str(default_port)
    if not _is_host(host) or not port.isdigit() or not 0 < int(port) < 65536:
        raise DnsError(f'not a resolver address like host or host:port: {text!r}')
    return host, int(port)


def resolver_for(transport: Transport, text: str) -> Resolver:
    """The configured resolver of a dns, dot or doh probe."""
    if transport != 'doh':
        host, port = parse_resolver(text, DEFAULT_PORT[transport])
        return Resolver(transport=transport, host=host, port=port)
    try:
        url = urlsplit(text.strip())
        port = url.port or DEFAULT_PORT['doh']
    except ValueError as err:
        raise DnsError(f'not a resolver address like https://host[:port]/path: {err}') from err
    if url.scheme != 'https' or not url.hostname:
        raise DnsError(f'a doh resolver is an https:// URL like https://dns.home.lan/dns-query: {text!r}')
    return Resolver(transport='doh', host=url.hostname, port=port, url=text.strip())


async def resolve(
    name: str, resolver: Resolver, *, timeout: float, tls_name: str | None = None, ca_file: str | None = None
) -> DnsAnswer:
    """Ask `resolver` for the A and AAAA records of `name`; the worse response code of the two wins.

    Raises TimeoutError when no answer came within `timeout`, DnsError for every other failure.
    """
    qname = _domain_name(name)
    try:
        async with asyncio.timeout(timeout):
            if resolver.transport == 'doh':
                replies = await _over_https(qname, resolver, timeout, ca_file)
            else:
                replies = await _both(qname, await _asker(resolver, timeout, tls_name, ca_file))
    except TimeoutError:
        raise  # an OSError too, but not a failure to put in words
    except (dns.exception.Timeout, httpx.TimeoutException) as err:
        raise TimeoutError(str(err)) from err
    except _FAILURES as err:
        raise _in_words(err) from err
    codes = [dns.rcode.to_text(reply.rcode()) for reply, _ in replies]
    rcode = next((code for code in codes if code != 'NOERROR'), 'NOERROR')
    addresses = tuple(address for reply, _ in replies for address in _addresses(reply))
    return DnsAnswer(rcode=rcode, addresses=addresses, over_tcp=any(tcp for _, tcp in replies))


async def _asker(resolver: Resolver, timeout: float, tls_name: str | None, ca_file: str | None) -> AskOne:
    address = await _address_of(resolver)
    port = resolver.port
    if resolver.transport == 'dot':
        context = _tls_context(ca_file, alpn='dot')
        # Always checked against a name: the resolver's host (an IP address is matched against the certificate's
        # IP entries) unless tls_name says which name its certificate carries.
        server_hostname = tls_name or resolver.host

        async def over_tls(query: dns.message.QueryMessage) -> tuple[dns.message.Message, bool]:
            reply = await dns.asyncquery.tls(
                query, address, timeout=timeout, port=port, ssl_context=context, server_hostname=server_hostname
            )
            return reply, False  # always TCP, so "over TCP" would say nothing

        return over_tls

    async def plain(query: dns.message.QueryMessage) -> tuple[dns.message.Message, bool]:
        family = socket.AF_INET6 if ':' in address else socket.AF_INET
        # A connected UDP socket takes datagrams only from the resolver and hears its "port unreachable".
        backend = dns.asyncbackend.get_default_backend()
        udp = await backend.make_socket(family, socket.SOCK_DGRAM, 0, None, (address, port))  # type: ignore[no-untyped-call]
        async with udp:
            return await dns.asyncquery.udp_with_fallback(query, address, timeout=timeout, port=port, udp_sock=udp)

    return plain


async def _over_https(
    qname: dns.name.Name, resolver: Resolver, timeout: float, ca_file: str | None
) -> tuple[tuple[dns.message.Message, bool], ...]:
    # RFC 8484 by POST through httpx (already the project's HTTP client): dnspython's own DoH needs a second HTTP
    # stack (its `doh` extra), for the same few lines.
    url = resolver.url or ''
    headers = {'accept': DNS_MESSAGE, 'content-type': DNS_MESSAGE, 'user-agent': USER_AGENT}
    async with httpx.AsyncClient(
        verify=_tls_context(ca_file), timeout=timeout, trust_env=False, follow_redirects=False, headers=headers
    ) as client:

        async def post(query: dns.message.QueryMessage) -> tuple[dns.message.Message, bool]:
            async with client.stream('POST', url, content=query.to_wire()) as response:
                if not 200 <= response.status_code < 300:
                    raise DnsError(f'HTTP {response.status_code} {response.reason_phrase}')
                kind = response.headers.get('content-type', '').partition(';')[0].strip().lower()
                if kind != DNS_MESSAGE:
                    raise DnsError(f'the answer is {kind or "untyped"}, not a DNS message')
                wire = b''
                async for chunk in response.aiter_bytes():
                    wire += chunk
                    if len(wire) > MAX_MESSAGE:
                        raise DnsError('the answer is longer than any DNS message')
            reply = dns.message.from_wire(wire)
            if not query.is_response(reply):
                raise dns.query.BadResponse
            return reply, False

        return await _both(qname, post)


async def _both(qname: dns.name.Name, ask: AskOne) -> tuple[tuple[dns.message.Message, bool], ...]:
    """A and AAAA at once; the first failure cancels the other question."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(ask(_query(qname, rdtype))) for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA)]
    except ExceptionGroup as errors:
        first = errors.exceptions[0]
    else:
        return tuple(task.result() for task in tasks)
    raise first  # outside the handler, so its own cause (the TLS or socket error) stays its cause


def _query(qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> dns.message.QueryMessage:
    # A fresh random id per question, recursion desired.
    return dns.message.make_query(qname, rdtype, use_edns=0, payload=UDP_PAYLOAD)


def _addresses(reply: dns.message.Message) -> list[str]:
    # CNAME records on the way are skipped; the addresses at the end of the chain are what counts.
    return [
        rdata.to_text()
        for rrset in reply.answer
        if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA)
        for rdata in rrset
    ]


def _domain_name(name: str) -> dns.name.Name:
    """A domain name from the config (IDNA for non-ASCII labels), or DnsError."""
    try:
        if not name.strip('.'):
            raise ValueError('empty')
        return dns.name.from_text(name)
    except (dns.exception.DNSException, ValueError, UnicodeError) as err:
        raise DnsError(f'not a valid domain name: {name!r}') from err


async def _address_of(resolver: Resolver) -> str:
    """The resolver's IP address (a host name is looked up once, by the system resolver)."""
    if _is_address(resolver.host):
        return resolver.host
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(resolver.host, resolver.port, type=socket.SOCK_STREAM)
    except OSError as err:
        raise DnsError(f'cannot look up the resolver {resolver.host}: {err.strerror or err}') from err
    return str(infos[0][4][0])


def _tls_context(ca_file: str | None, alpn: str | None = None) -> ssl.SSLContext:
    """Certificates and host names verified, against ca_file if given, else the system's authorities."""
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as err:
        raise DnsError(f'cannot use ca_file {ca_file}: {getattr(err, "strerror", None) or err}') from err
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if alpn:
        context.set_alpn_protocols([alpn])
    return context


def _in_words(err: BaseException) -> DnsError:
    """A failure from the socket, TLS, HTTP or dnspython layer, said once for the probe's detail."""
    for cause in _chain(err):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return DnsError(f'TLS certificate not accepted: {cause.verify_message}')
        if isinstance(cause, ssl.SSLError):
            return DnsError(f'TLS failed: {cause.reason or cause}')
        if isinstance(cause, ConnectionRefusedError):
            return DnsError('nothing listens on that port')
    if isinstance(err, dns.query.BadResponse):
        return DnsError('the reply does not answer the question that was asked')
    if isinstance(err, dns.exception.DNSException):
        return DnsError(f'malformed reply from the resolver ({err})')
    if isinstance(err, EOFError):
        return DnsError('the resolver closed the connection without an answer')
    if isinstance(err, (httpx.HTTPError, httpx.InvalidURL)):
        return DnsError(f'request failed: {err}')
    if isinstance(err, OSError):
        return DnsError(str(err.strerror or err))
    return DnsError(f'{type(err).__name__}: {err}')


def _chain(err: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cause: BaseException | None = err
    while cause is not None and cause not in seen:
        seen.append(cause)
        cause = cause.__cause__ or cause.__context__
    return seen


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_host(text: str) -> bool:
    return _is_address(text) or bool(_HOST.match(text))
