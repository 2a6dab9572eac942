"""Network probes of configured targets: ping, DNS, TCP connect and HTTP GET, each bounded by the probe's timeout."""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from ops.config import ProbeConfig
from ops.host import dns
from ops.proc import ProcError, run_process

# Where ping lives; a container without it (or without CAP_NET_RAW) falls back to a TCP connect.
PING = 'ping'
FALLBACK_PORT = 80
_PING_TIME = re.compile(r'time[=<]([\d.]+) ?ms')
_NOT_PERMITTED = ('Operation not permitted', 'Permission denied', 'socket:')

Method = Literal['icmp', 'tcp', 'dns', 'system-resolver', 'http']


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
    if probe.kind == 'dns' and probe.resolver:
        try:
            dns.parse_resolver(probe.resolver)
        except dns.DnsError as err:
            return str(err)
    return None


async def run_probe(name: str, probe: ProbeConfig) -> ProbeResult:
    """Run the probe `name` as configured; failures to reach the target are results, not exceptions."""
    if probe.kind == 'ping':
        return await _ping(name, probe)
    if probe.kind == 'dns':
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
    start = time.perf_counter()
    if probe.resolver:
        resolver = dns.parse_resolver(probe.resolver)
        where = f'{resolver[0]}:{resolver[1]}'
        try:
            answer = await dns.resolve(probe.target, resolver=resolver, timeout=probe.timeout)
        except TimeoutError:
            return _result(name, probe, 'dns', ok=False, latency_ms=None, detail=f'{where} did not answer in time')
        except (dns.DnsError, OSError) as err:
            return _result(name, probe, 'dns', ok=False, latency_ms=None, detail=f'{where}: {err}')
        ok = answer.rcode == 'NOERROR' and bool(answer.addresses)
        detail = f'{where} answered {answer.rcode}' + (f': {", ".join(answer.addresses)}' if answer.addresses else '')
        return _result(name, probe, 'dns', ok=ok, latency_ms=_ms(start), detail=detail, addresses=answer.addresses)
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
    start = time.perf_counter()
    try:
        async with asyncio.timeout(probe.timeout):
            status, reason = await asyncio.to_thread(_http_get, probe.target, probe.timeout)
    except TimeoutError:
        return _result(name, probe, 'http', ok=False, latency_ms=None, detail=f'no answer within {probe.timeout:g} s')
    except (urllib.error.URLError, OSError) as err:
        why = getattr(err, 'reason', None) or err
        return _result(name, probe, 'http', ok=False, latency_ms=None, detail=f'request failed: {why}')
    ok = 200 <= status < 400
    return _result(name, probe, 'http', ok=ok, latency_ms=_ms(start), detail=f'HTTP {status} {reason}', status=status)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer: report its status instead of probing somewhere else.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _http_get(url: str, timeout: float) -> tuple[int, str]:
    # Probes measure the direct path, so environment proxies are ignored.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())
    request = urllib.request.Request(url, headers={'User-Agent': 'homelab-control-plane-probe'})  # noqa: S310
    try:
        with opener.open(request, timeout=timeout) as response:
            return int(response.status), str(response.reason)
    except urllib.error.HTTPError as err:
        return err.code, str(err.reason)


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
