"""Network probes of configured targets: ping, DNS (plain, DoT, DoH), TCP connect and HTTP GET, each time-bounded."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import socket
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from ops.config import ProbeConfig
from ops.proc import ProcError, run_process

if TYPE_CHECKING:
    from ops.host.dns import Transport

# dnspython and httpx are imported by the first probe that needs them: a console without dns, dot, doh or http
# probes never loads them (a few MB).

# Where ping lives; a container without it (or without CAP_NET_RAW) falls back to a TCP connect.
PING = 'ping'
FALLBACK_PORT = 80
_PING_TIME = re.compile(r'time[=<]([\d.]+) ?ms')
_NOT_PERMITTED = ('Operation not permitted', 'Permission denied', 'socket:')
# An http probe that follows redirects (only when configured) gives up after this many.
MAX_REDIRECTS = 5

Method = Literal['icmp', 'tcp', 'dns', 'system-resolver', 'http', 'dot', 'doh']
# The probe kinds that ask a DNS resolver, and how they ask it.
DNS_KINDS: dict[str, Transport] = {'dns': 'dns', 'dot': 'dot', 'doh': 'doh'}


@dataclass(frozen=True, kw_only=True, slots=True)
class ProbeResult:
    """The outcome of one probe: did the target answer, how fast, and in words what happened."""

    probe: str
    kind: str
    target: str
    method: Method
    ok: bool
    latency_ms: float | None
    detail: str
    addresses: tuple[str, ...] = ()
    status: int | None = None


def probe_problem(probe: ProbeConfig) -> str | None:
    """Why a configured probe cannot run as written (checked before the run), or None."""
    if probe.kind == 'tcp' and probe.port is None:
        return 'a tcp probe needs a port'
    if probe.kind == 'http':
        url = urlsplit(probe.target)
        if url.scheme not in ('http', 'https') or not url.hostname:
            return 'an http probe needs an http:// or https:// URL as its target'
    if probe.kind in DNS_KINDS and probe.resolver:
        from ops.host import dns

        try:
            dns.resolver_for(DNS_KINDS[probe.kind], probe.resolver)
        except dns.DnsError as err:
            return str(err)
    if probe.ca_file and not Path(probe.ca_file).is_file():
        return f'its ca_file {probe.ca_file} is not a file'
    return None


async def run_probe(name: str, probe: ProbeConfig) -> ProbeResult:
    """Run the probe `name` as configured; failures to reach the target are results, not exceptions."""
    if probe.kind == 'ping':
        return await _ping(name, probe)
    if probe.kind in DNS_KINDS:
        return await _dns(name, probe)
    if probe.kind == 'http':
        return await _http(name, probe)
    assert probe.port is not None  # probe_problem refused a tcp probe without one
    ok, latency, detail = await tcp_connect(probe.target, probe.port, probe.timeout)
    return _result(name, probe, 'tcp', ok=ok, latency_ms=latency, detail=detail)


async def tcp_connect(
    host: str, port: int, timeout: float, *, refused_means_up: bool = False
) -> tuple[bool, float, str]:
    """Open and close a TCP connection: (ok, milliseconds, what happened)."""
    start = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        return False, _ms(start), f'no answer from {host}:{port} within {timeout:g} s'
    except ConnectionRefusedError:
        # A refusal is the host itself answering (with a reset): alive, even though nothing listens.
        return refused_means_up, _ms(start), f'{host}:{port} refused the connection'
    except OSError as err:
        return False, _ms(start), f'cannot connect to {host}:{port}: {err.strerror or err}'
    latency = _ms(start)
    writer.close()
    with contextlib.suppress(OSError):  # the connection was made, which is all the probe asked
        await writer.wait_closed()
    return True, latency, f'connected to {host}:{port}'


async def _ping(name: str, probe: ProbeConfig) -> ProbeResult:
    wait = str(max(1, math.ceil(probe.timeout)))
    start = time.perf_counter()
    try:
        # `--` so a target can never be read as an option.
        result = await run_process([PING, '-c1', '-n', '-W', wait, '--', probe.target], timeout=probe.timeout + 2)
    except ProcError as err:
        return await _tcp_instead(name, probe, f'ping cannot run ({err})')
    if result.returncode == 2 and any(marker in result.output for marker in _NOT_PERMITTED):
        return await _tcp_instead(name, probe, 'ICMP is not permitted here')
    found = _PING_TIME.search(result.output)
    latency = float(found.group(1)) if found else _ms(start)
    if result.ok:
        return _result(name, probe, 'icmp', ok=True, latency_ms=latency, detail=f'{probe.target} answered the ping')
    if result.timed_out:
        reason = f'ping did not finish within {probe.timeout + 2:g} s'
    else:
        reason = _last_line(result.output) or f'ping exited with status {result.returncode}'
    return _result(name, probe, 'icmp', ok=False, latency_ms=None, detail=f'no ping answer: {reason}')


async def _tcp_instead(name: str, probe: ProbeConfig, why: str) -> ProbeResult:
    port = probe.port or FALLBACK_PORT
    ok, latency, detail = await tcp_connect(probe.target, port, probe.timeout, refused_means_up=True)
    return _result(
        name, probe, 'tcp', ok=ok, latency_ms=latency if ok else None, detail=f'{why}; TCP connect instead: {detail}'
    )


async def _dns(name: str, probe: ProbeConfig) -> ProbeResult:
    if not probe.resolver:
        return await _system_resolver(name, probe)  # only a dns probe may go without one (the config says so)
    from ops.host import dns

    transport = DNS_KINDS[probe.kind]
    resolver = dns.resolver_for(transport, probe.resolver)
    where = resolver.where
    start = time.perf_counter()
    try:
        answer = await dns.resolve(
            probe.target, resolver, timeout=probe.timeout, tls_name=probe.tls_name, ca_file=probe.ca_file
        )
    except TimeoutError:
        return _result(name, probe, transport, ok=False, latency_ms=None, detail=f'{where} did not answer in time')
    except (dns.DnsError, OSError) as err:
        return _result(name, probe, transport, ok=False, latency_ms=None, detail=f'{where}: {err}')
    ok = answer.rcode == 'NOERROR' and bool(answer.addresses)
    detail = f'{where} answered {answer.rcode}' + (' over TCP' if answer.over_tcp else '')
    detail += f': {", ".join(answer.addresses)}' if answer.addresses else ''
    return _result(name, probe, transport, ok=ok, latency_ms=_ms(start), detail=detail, addresses=answer.addresses)


async def _system_resolver(name: str, probe: ProbeConfig) -> ProbeResult:
    start = time.perf_counter()
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(probe.timeout):
            infos = await loop.getaddrinfo(probe.target, None, type=socket.SOCK_STREAM)
    except TimeoutError:
        return _result(name, probe, 'system-resolver', ok=False, latency_ms=None, detail='no answer in time')
    except OSError as err:
        return _result(name, probe, 'system-resolver', ok=False, latency_ms=None, detail=str(err.strerror or err))
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    detail = f'system resolver: {", ".join(addresses)}'
    return _result(name, probe, 'system-resolver', ok=True, latency_ms=_ms(start), detail=detail, addresses=addresses)


async def _http(name: str, probe: ProbeConfig) -> ProbeResult:
    import httpx

    start = time.perf_counter()
    try:
        async with asyncio.timeout(probe.timeout):
            status, reason, redirects = await _http_get(probe)
    except (TimeoutError, httpx.TimeoutException):
        return _result(name, probe, 'http', ok=False, latency_ms=None, detail=f'no answer within {probe.timeout:g} s')
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as err:
        return _result(name, probe, 'http', ok=False, latency_ms=None, detail=f'request failed: {_why(err)}')
    ok = 200 <= status < 400
    detail = f'HTTP {status} {reason}'
    if redirects:
        detail += f' after {redirects} redirect{"s" if redirects > 1 else ""}'
    return _result(name, probe, 'http', ok=ok, latency_ms=_ms(start), detail=detail, status=status)


async def _http_get(probe: ProbeConfig) -> tuple[int, str, int]:
    """(status, reason, redirects followed) of a GET; the body is never read."""
    # Probes measure the direct path, so environment proxies are ignored (trust_env=False). A redirect is an
    # answer, reported with its own status, unless the probe says to follow it.
    import httpx

    from ops.host.dns import USER_AGENT

    async with (
        httpx.AsyncClient(
            verify=ssl.create_default_context(cafile=probe.ca_file),
            timeout=probe.timeout,
            follow_redirects=probe.follow_redirects,
            max_redirects=MAX_REDIRECTS,
            trust_env=False,
            headers={'user-agent': USER_AGENT},
        ) as client,
        client.stream('GET', probe.target) as response,
    ):
        return response.status_code, response.reason_phrase, len(response.history)


def _why(err: BaseException) -> str:
    """The most telling reason in an error's chain (anyio words every failed connect 'All connection attempts
    failed'; the refused or unreachable connection below it says more)."""
    reason = str(err) or type(err).__name__
    cause: BaseException | None = err
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f'TLS certificate not accepted: {cause.verify_message}'
        if isinstance(cause, OSError) and isinstance(cause.errno, int) and cause.errno > 0:
            reason = os.strerror(cause.errno)
        cause = cause.__cause__ or cause.__context__
    return reason


def _result(
    name: str,
    probe: ProbeConfig,
    method: Method,
    *,
    ok: bool,
    latency_ms: float | None,
    detail: str,
    addresses: tuple[str, ...] = (),
    status: int | None = None,
) -> ProbeResult:
    return ProbeResult(
        probe=name,
        kind=probe.kind,
        target=probe.target,
        method=method,
        ok=ok,
        latency_ms=latency_ms,
        detail=detail,
        addresses=addresses,
        status=status,
    )


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ''
