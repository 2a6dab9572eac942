"""host_network_probe against real listeners on loopback: TCP, HTTP, a UDP DNS responder, and ping."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

import ops.host.network
from ops.config import HomelabConfig, ProbeConfig
from ops.errors import Refused
from ops.services import Services
from tests.helpers.host_ops import host_services, run_operation
from tests.helpers.loopback_servers import closed_port, dns_server, http_server, tcp_server
from tests.helpers.rig import missing


def with_probes(tmp_path: Path, **probes: ProbeConfig) -> Services:
    return host_services(tmp_path, HomelabConfig(probes=probes))


async def probe(services: Services, name: str) -> dict[str, object]:
    result, ctx = await run_operation('host_network_probe', services, target=name)
    assert ctx.lines[0].startswith(f'probe {name}:')
    return result


async def test_tcp_open_and_closed(tmp_path: Path) -> None:
    async with tcp_server() as port:
        services = with_probes(
            tmp_path,
            nas=ProbeConfig(kind='tcp', target='127.0.0.1', port=port),
            gone=ProbeConfig(kind='tcp', target='127.0.0.1', port=closed_port()),
        )
        up = await probe(services, 'nas')
        down = await probe(services, 'gone')
    assert (up['ok'], up['method'], up['detail']) == (True, 'tcp', f'connected to 127.0.0.1:{port}')
    assert isinstance(up['latency_ms'], float) and up['latency_ms'] >= 0
    assert down['ok'] is False and 'refused' in str(down['detail'])


async def test_http_status_and_latency(tmp_path: Path) -> None:
    async with http_server() as port:
        base = f'http://127.0.0.1:{port}'
        services = with_probes(
            tmp_path,
            web=ProbeConfig(kind='http', target=f'{base}/'),
            moved=ProbeConfig(kind='http', target=f'{base}/moved'),
            missing=ProbeConfig(kind='http', target=f'{base}/missing'),
        )
        web, moved, absent = [await probe(services, name) for name in ('web', 'moved', 'missing')]
    assert (web['ok'], web['status'], web['detail']) == (True, 200, 'HTTP 200 OK')
    assert isinstance(web['latency_ms'], float)
    assert (moved['ok'], moved['status']) == (True, 301)  # an answer, not followed elsewhere
    assert (absent['ok'], absent['status'], absent['detail']) == (False, 404, 'HTTP 404 Not Found')


async def test_http_nobody_listening(tmp_path: Path) -> None:
    services = with_probes(tmp_path, web=ProbeConfig(kind='http', target=f'http://127.0.0.1:{closed_port()}/'))
    result = await probe(services, 'web')
    assert result['ok'] is False and result['status'] is None
    assert 'refused' in str(result['detail']).lower()


async def test_dns_against_the_configured_resolver(tmp_path: Path) -> None:
    records = {'nas.homelab.test': ['192.0.2.10', '2001:db8::10']}
    async with dns_server(records) as port:
        services = with_probes(
            tmp_path,
            nas=ProbeConfig(kind='dns', target='nas.homelab.test', resolver=f'127.0.0.1:{port}'),
            typo=ProbeConfig(kind='dns', target='nsa.homelab.test', resolver=f'127.0.0.1:{port}'),
        )
        found = await probe(services, 'nas')
        unknown = await probe(services, 'typo')
    assert found['ok'] is True and found['method'] == 'dns'
    assert found['addresses'] == ['192.0.2.10', '2001:db8::10']
    assert found['detail'] == f'127.0.0.1:{port} answered NOERROR: 192.0.2.10, 2001:db8::10'
    assert unknown['ok'] is False and unknown['addresses'] == []
    assert unknown['detail'] == f'127.0.0.1:{port} answered NXDOMAIN'


async def test_dns_resolver_that_never_answers_times_out(tmp_path: Path) -> None:
    async with dns_server({}, silent=True) as port:
        services = with_probes(
            tmp_path, pihole=ProbeConfig(kind='dns', target='example.org', resolver=f'127.0.0.1:{port}', timeout=0.5)
        )
        result = await probe(services, 'pihole')
    assert result['ok'] is False and 'did not answer in time' in str(result['detail'])


async def test_dns_resolver_port_closed(tmp_path: Path) -> None:
    services = with_probes(
        tmp_path, pihole=ProbeConfig(kind='dns', target='example.org', resolver=f'127.0.0.1:{closed_port()}', timeout=2)
    )
    result = await probe(services, 'pihole')
    assert result['ok'] is False
    assert 'nothing listens' in str(result['detail']) or 'did not answer' in str(result['detail'])


async def test_dns_with_the_system_resolver(tmp_path: Path) -> None:
    services = with_probes(tmp_path, me=ProbeConfig(kind='dns', target='localhost'))
    result = await probe(services, 'me')
    assert result['ok'] is True and result['method'] == 'system-resolver'
    assert isinstance(result['addresses'], list)
    assert {'127.0.0.1', '::1'} & set(result['addresses'])


async def test_ping_loopback(tmp_path: Path) -> None:
    if shutil.which('ping') is None:
        missing('ping is not installed (bash scripts/host-tools.sh)')
    services = with_probes(tmp_path, me=ProbeConfig(kind='ping', target='127.0.0.1', timeout=2))
    result = await probe(services, 'me')
    assert (result['ok'], result['method']) == (True, 'icmp')
    assert isinstance(result['latency_ms'], float) and result['latency_ms'] < 1000


async def test_ping_a_name_that_does_not_resolve(tmp_path: Path) -> None:
    if shutil.which('ping') is None:
        missing('ping is not installed (bash scripts/host-tools.sh)')
    # .invalid never resolves (RFC 6761), so ping itself fails and says why.
    services = with_probes(tmp_path, void=ProbeConfig(kind='ping', target='nas.invalid', timeout=1))
    result = await probe(services, 'void')
    assert (result['ok'], result['method'], result['latency_ms']) == (False, 'icmp', None)
    assert str(result['detail']).startswith('no ping answer: ping: nas.invalid')


async def test_without_ping_it_falls_back_to_tcp_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ops.host.network, 'PING', str(tmp_path / 'no-ping-here'))
    async with tcp_server() as port:
        services = with_probes(
            tmp_path,
            listening=ProbeConfig(kind='ping', target='127.0.0.1', port=port),
            refusing=ProbeConfig(kind='ping', target='127.0.0.1', port=closed_port()),
        )
        listening = await probe(services, 'listening')
        refusing = await probe(services, 'refusing')
    assert (listening['ok'], listening['method']) == (True, 'tcp')
    assert str(listening['detail']).startswith('ping cannot run')
    assert 'TCP connect instead' in str(listening['detail'])
    # A refused connection is the host answering: for a reachability check, that is up.
    assert (refusing['ok'], refusing['method']) == (True, 'tcp')
    assert 'refused' in str(refusing['detail'])


async def test_an_unknown_probe_is_refused(tmp_path: Path) -> None:
    services = with_probes(tmp_path, nas=ProbeConfig(kind='tcp', target='127.0.0.1', port=22))
    with pytest.raises(Refused, match="probe 'router' is not configured"):
        await run_operation('host_network_probe', services, target='router')


@pytest.mark.parametrize(
    ('config', 'reason'),
    [
        (ProbeConfig(kind='tcp', target='127.0.0.1'), 'needs a port'),
        (ProbeConfig(kind='http', target='ftp://192.0.2.1/'), 'http:// or https://'),
        (ProbeConfig(kind='http', target='file:///etc/passwd'), 'http:// or https://'),
        (ProbeConfig(kind='dns', target='example.org', resolver='1.1.1.1:dns'), 'resolver address'),
    ],
)
async def test_a_probe_that_cannot_run_as_configured_is_refused(
    tmp_path: Path, config: ProbeConfig, reason: str
) -> None:
    services = with_probes(tmp_path, broken=config)
    with pytest.raises(Refused, match=reason):
        await run_operation('host_network_probe', services, target='broken')


@pytest.mark.parametrize('args', [{'target': '../etc/hosts'}, {'target': '-c100'}, {}, {'target': 'a', 'port': 1}])
async def test_malformed_arguments_are_refused_by_the_schema(tmp_path: Path, args: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        await run_operation('host_network_probe', with_probes(tmp_path), **args)
