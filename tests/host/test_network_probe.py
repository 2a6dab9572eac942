"""host_network_probe against real listeners on loopback: TCP, HTTP(S), DNS over UDP/TCP, TLS and HTTPS, and ping."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from pydantic import ValidationError

import ops.host.network
from ops.adapters import Adapters
from ops.config import ConfigError, HomelabConfig, ProbeConfig, load_config
from ops.errors import Refused
from tests.helpers.certs import SERVER_NAME, PeerCertificates, make_certificates
from tests.helpers.console import REPO
from tests.helpers.dns_servers import DOH_PATH, dns_server, doh_server, dot_server
from tests.helpers.host_ops import host_services, run_operation
from tests.helpers.loopback_servers import closed_port, http_server, tcp_server
from tests.helpers.rig import missing


def with_probes(tmp_path: Path, **probes: ProbeConfig) -> Adapters:
    return host_services(tmp_path, HomelabConfig(probes=probes))


async def probe(adapters: Adapters, name: str) -> dict[str, object]:
    result, ctx = await run_operation('host_network_probe', adapters, target=name)
    assert ctx.lines[0].startswith(f'probe {name}:')
    return result


async def test_tcp_open_and_closed(tmp_path: Path) -> None:
    async with tcp_server() as port:
        adapters = with_probes(
            tmp_path,
            nas=ProbeConfig(kind='tcp', target='127.0.0.1', port=port),
            gone=ProbeConfig(kind='tcp', target='127.0.0.1', port=closed_port()),
        )
        up = await probe(adapters, 'nas')
        down = await probe(adapters, 'gone')
    assert (up['ok'], up['method'], up['detail']) == (True, 'tcp', f'connected to 127.0.0.1:{port}')
    assert isinstance(up['latency_ms'], float) and up['latency_ms'] >= 0
    assert down['ok'] is False and 'refused' in str(down['detail'])


async def test_http_status_and_latency(tmp_path: Path) -> None:
    async with http_server() as port:
        base = f'http://127.0.0.1:{port}'
        adapters = with_probes(
            tmp_path,
            web=ProbeConfig(kind='http', target=f'{base}/'),
            moved=ProbeConfig(kind='http', target=f'{base}/moved'),
            missing=ProbeConfig(kind='http', target=f'{base}/missing'),
        )
        web, moved, absent = [await probe(adapters, name) for name in ('web', 'moved', 'missing')]
    assert (web['ok'], web['status'], web['detail']) == (True, 200, 'HTTP 200 OK')
    assert isinstance(web['latency_ms'], float)
    assert (moved['ok'], moved['status']) == (True, 301)  # an answer, not followed elsewhere
    assert (absent['ok'], absent['status'], absent['detail']) == (False, 404, 'HTTP 404 Not Found')


async def test_http_nobody_listening(tmp_path: Path) -> None:
    adapters = with_probes(tmp_path, web=ProbeConfig(kind='http', target=f'http://127.0.0.1:{closed_port()}/'))
    result = await probe(adapters, 'web')
    assert result['ok'] is False and result['status'] is None
    assert 'refused' in str(result['detail']).lower()


async def test_http_follows_redirects_only_when_configured(tmp_path: Path) -> None:
    async with http_server() as port:
        adapters = with_probes(
            tmp_path,
            moved=ProbeConfig(kind='http', target=f'http://127.0.0.1:{port}/moved'),
            follow=ProbeConfig(kind='http', target=f'http://127.0.0.1:{port}/moved', follow_redirects=True),
        )
        moved, follow = await probe(adapters, 'moved'), await probe(adapters, 'follow')
    assert (moved['status'], moved['detail']) == (301, 'HTTP 301 Moved Permanently')
    assert (follow['ok'], follow['status'], follow['detail']) == (True, 200, 'HTTP 200 OK after 1 redirect')


@pytest.fixture
def certificates(tmp_path: Path) -> PeerCertificates:
    return make_certificates(tmp_path / 'tls')


async def test_https_verifies_the_certificate_against_ca_file(tmp_path: Path, certificates: PeerCertificates) -> None:
    async with http_server(tls=certificates.server_context) as port:
        url = f'https://127.0.0.1:{port}/'
        adapters = with_probes(
            tmp_path,
            trusted=ProbeConfig(kind='http', target=url, ca_file=str(certificates.ca_file)),
            stranger=ProbeConfig(kind='http', target=url),
        )
        trusted, stranger = await probe(adapters, 'trusted'), await probe(adapters, 'stranger')
    assert (trusted['ok'], trusted['status'], trusted['detail']) == (True, 200, 'HTTP 200 OK')
    # TLS verification is on: a certificate from an authority the probe was not told to trust is a failure.
    assert (stranger['ok'], stranger['status'], stranger['latency_ms']) == (False, None, None)
    assert str(stranger['detail']).startswith('request failed: TLS certificate not accepted: ')


async def test_http_server_that_never_answers_times_out(tmp_path: Path) -> None:
    async with silent_server() as port:
        adapters = with_probes(tmp_path, web=ProbeConfig(kind='http', target=f'http://127.0.0.1:{port}/', timeout=0.5))
        result = await probe(adapters, 'web')
    assert (result['ok'], result['status'], result['detail']) == (False, None, 'no answer within 0.5 s')


@asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """Accepts connections, reads, never answers."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(handle, '127.0.0.1', 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def test_dns_against_the_configured_resolver(tmp_path: Path) -> None:
    records = {'nas.homelab.test': ['192.0.2.10', '2001:db8::10']}
    async with dns_server(records) as port:
        adapters = with_probes(
            tmp_path,
            nas=ProbeConfig(kind='dns', target='nas.homelab.test', resolver=f'127.0.0.1:{port}'),
            typo=ProbeConfig(kind='dns', target='nsa.homelab.test', resolver=f'127.0.0.1:{port}'),
        )
        found = await probe(adapters, 'nas')
        unknown = await probe(adapters, 'typo')
    assert found['ok'] is True and found['method'] == 'dns'
    assert found['addresses'] == ['192.0.2.10', '2001:db8::10']
    assert found['detail'] == f'127.0.0.1:{port} answered NOERROR: 192.0.2.10, 2001:db8::10'
    assert unknown['ok'] is False and unknown['addresses'] == []
    assert unknown['detail'] == f'127.0.0.1:{port} answered NXDOMAIN'


async def test_dns_resolver_that_never_answers_times_out(tmp_path: Path) -> None:
    async with dns_server({}, silent=True) as port:
        adapters = with_probes(
            tmp_path, pihole=ProbeConfig(kind='dns', target='example.org', resolver=f'127.0.0.1:{port}', timeout=0.5)
        )
        result = await probe(adapters, 'pihole')
    assert result['ok'] is False and 'did not answer in time' in str(result['detail'])


async def test_dns_resolver_port_closed(tmp_path: Path) -> None:
    adapters = with_probes(
        tmp_path, pihole=ProbeConfig(kind='dns', target='example.org', resolver=f'127.0.0.1:{closed_port()}', timeout=2)
    )
    result = await probe(adapters, 'pihole')
    assert result['ok'] is False
    assert 'nothing listens' in str(result['detail']) or 'did not answer' in str(result['detail'])


async def test_dns_with_the_system_resolver(tmp_path: Path) -> None:
    adapters = with_probes(tmp_path, me=ProbeConfig(kind='dns', target='localhost'))
    result = await probe(adapters, 'me')
    assert result['ok'] is True and result['method'] == 'system-resolver'
    assert isinstance(result['addresses'], list)
    assert {'127.0.0.1', '::1'} & set(result['addresses'])


async def test_a_truncated_udp_answer_is_asked_again_over_tcp(tmp_path: Path) -> None:
    # Forty addresses: more than a resolver puts in one UDP answer, so it sets TC and the client must use TCP.
    many = [f'192.0.2.{n}' for n in range(1, 41)]
    async with dns_server({'pool.homelab.test': many}, truncated={'pool.homelab.test'}) as port:
        adapters = with_probes(
            tmp_path, pool=ProbeConfig(kind='dns', target='pool.homelab.test', resolver=f'127.0.0.1:{port}')
        )
        result = await probe(adapters, 'pool')
    assert (result['ok'], result['method']) == (True, 'dns')
    assert isinstance(result['addresses'], list) and sorted(result['addresses']) == sorted(many)  # servers rotate
    assert str(result['detail']).startswith(f'127.0.0.1:{port} answered NOERROR over TCP: 192.0.2.')


async def test_dns_resolver_that_refuses(tmp_path: Path) -> None:
    async with dns_server({'nas.homelab.test': ['192.0.2.10']}, refused={'nas.homelab.test'}) as port:
        adapters = with_probes(
            tmp_path, nas=ProbeConfig(kind='dns', target='nas.homelab.test', resolver=f'127.0.0.1:{port}')
        )
        result = await probe(adapters, 'nas')
    assert (result['ok'], result['addresses'], result['detail']) == (False, [], f'127.0.0.1:{port} answered REFUSED')


RECORDS = {'nas.homelab.test': ['192.0.2.10', '2001:db8::10']}


async def test_dns_over_tls(tmp_path: Path, certificates: PeerCertificates) -> None:
    ca_file = str(certificates.ca_file)
    async with dot_server(RECORDS, certificates.server_context) as port:
        resolver = f'127.0.0.1:{port}'
        adapters = with_probes(
            tmp_path,
            # The certificate names 127.0.0.1 as well as dns.homelab.test: either may be checked.
            by_address=ProbeConfig(kind='dot', target='nas.homelab.test', resolver=resolver, ca_file=ca_file),
            by_name=ProbeConfig(
                kind='dot', target='nas.homelab.test', resolver=resolver, tls_name=SERVER_NAME, ca_file=ca_file
            ),
            typo=ProbeConfig(kind='dot', target='nsa.homelab.test', resolver=resolver, ca_file=ca_file),
        )
        by_address, by_name, typo = [await probe(adapters, name) for name in ('by_address', 'by_name', 'typo')]
    for found in (by_address, by_name):
        assert (found['ok'], found['method'], found['addresses']) == (True, 'dot', ['192.0.2.10', '2001:db8::10'])
        assert found['detail'] == f'127.0.0.1:{port} answered NOERROR: 192.0.2.10, 2001:db8::10'
        assert isinstance(found['latency_ms'], float)
    assert (typo['ok'], typo['detail']) == (False, f'127.0.0.1:{port} answered NXDOMAIN')


async def test_dns_over_tls_refuses_a_certificate_it_cannot_verify(
    tmp_path: Path, certificates: PeerCertificates
) -> None:
    async with dot_server(RECORDS, certificates.server_context) as port:
        resolver = f'127.0.0.1:{port}'
        adapters = with_probes(
            tmp_path,
            stranger=ProbeConfig(kind='dot', target='nas.homelab.test', resolver=resolver),
            other_name=ProbeConfig(
                kind='dot',
                target='nas.homelab.test',
                resolver=resolver,
                tls_name='pihole.homelab.test',
                ca_file=str(certificates.ca_file),
            ),
        )
        stranger, other_name = await probe(adapters, 'stranger'), await probe(adapters, 'other_name')
    for result in (stranger, other_name):
        assert (result['ok'], result['method'], result['addresses']) == (False, 'dot', [])
        assert str(result['detail']).startswith(f'127.0.0.1:{port}: TLS certificate not accepted: ')
    assert 'pihole.homelab.test' in str(other_name['detail'])


async def test_dns_over_tls_that_never_answers_times_out(tmp_path: Path, certificates: PeerCertificates) -> None:
    async with dot_server(RECORDS, certificates.server_context, silent=True) as port:
        adapters = with_probes(
            tmp_path,
            quiet=ProbeConfig(
                kind='dot',
                target='nas.homelab.test',
                resolver=f'127.0.0.1:{port}',
                ca_file=str(certificates.ca_file),
                timeout=0.5,
            ),
        )
        result = await probe(adapters, 'quiet')
    assert (result['ok'], result['detail']) == (False, f'127.0.0.1:{port} did not answer in time')


async def test_dns_over_https(tmp_path: Path, certificates: PeerCertificates) -> None:
    ca_file = str(certificates.ca_file)
    async with doh_server(RECORDS, certificates.server_context) as port:
        base = f'https://127.0.0.1:{port}'
        adapters = with_probes(
            tmp_path,
            nas=ProbeConfig(kind='doh', target='nas.homelab.test', resolver=f'{base}{DOH_PATH}', ca_file=ca_file),
            typo=ProbeConfig(kind='doh', target='nsa.homelab.test', resolver=f'{base}{DOH_PATH}', ca_file=ca_file),
            wrong_path=ProbeConfig(kind='doh', target='nas.homelab.test', resolver=f'{base}/query', ca_file=ca_file),
            login_page=ProbeConfig(kind='doh', target='nas.homelab.test', resolver=f'{base}/not-dns', ca_file=ca_file),
            stranger=ProbeConfig(kind='doh', target='nas.homelab.test', resolver=f'{base}{DOH_PATH}'),
        )
        nas, typo, wrong_path, login_page, stranger = [
            await probe(adapters, name) for name in ('nas', 'typo', 'wrong_path', 'login_page', 'stranger')
        ]
    where = f'127.0.0.1:{port}'
    assert (nas['ok'], nas['method'], nas['addresses']) == (True, 'doh', ['192.0.2.10', '2001:db8::10'])
    assert nas['detail'] == f'{where} answered NOERROR: 192.0.2.10, 2001:db8::10'
    assert (typo['ok'], typo['detail']) == (False, f'{where} answered NXDOMAIN')
    assert (wrong_path['ok'], wrong_path['detail']) == (False, f'{where}: HTTP 404 Not Found')
    assert (login_page['ok'], login_page['detail']) == (False, f'{where}: the answer is text/html, not a DNS message')
    assert stranger['ok'] is False
    assert str(stranger['detail']).startswith(f'{where}: TLS certificate not accepted: ')


@pytest.mark.parametrize(
    ('text', 'rule'),
    [
        ('kind = "dot"\ntarget = "example.org"', 'a dot probe needs a resolver'),
        ('kind = "doh"\ntarget = "example.org"', 'a doh probe needs a resolver'),
        ('kind = "doh"\ntarget = "example.org"\nresolver = "http://192.0.2.53/dns-query"', 'https:// URL'),
        ('kind = "doh"\ntarget = "example.org"\nresolver = "192.0.2.53"', 'https:// URL'),
        ('kind = "dot"\ntarget = "example.org"\nresolver = "https://dns.example/dns-query"', 'host or host:port'),
        ('kind = "dns"\ntarget = "example.org"\ntls_name = "dns.example"', 'tls_name is only for dot probes'),
        ('kind = "tcp"\ntarget = "nas"\nport = 22\nca_file = "/etc/ca.pem"', 'ca_file is only for'),
        ('kind = "tcp"\ntarget = "nas"\nport = 22\nfollow_redirects = false', 'only for http probes'),
        ('kind = "http"\ntarget = "https://nas/"\nca_file = "ca.pem"', 'ca_file must be an absolute path'),
        ('kind = "dot"\ntarget = "x.org"\nresolver = "192.0.2.53"\ntls_name = "a b"', 'tls_name must be a host'),
        ('kind = "dot"\ntarget = "x.org"\nresolver = "192.0.2.53"\nverify = false', 'unknown key'),
    ],
)
def test_probe_keys_that_do_not_fit_the_kind_stop_the_config(tmp_path: Path, text: str, rule: str) -> None:
    path = tmp_path / 'homelab.toml'
    path.write_text(f'[probes.pihole]\n{text}\n')
    with pytest.raises(ConfigError, match=r'^config .*homelab.toml: probes\.pihole(\.\w+)?: ') as raised:
        load_config(path)
    assert rule in str(raised.value)


def test_the_readme_example_loads_with_dot_and_doh_probes(tmp_path: Path) -> None:
    blocks = re.findall(r'```toml\n(.*?)```', (REPO / 'README.md').read_text(), flags=re.S)
    block = next((b for b in blocks if '[probes.' in b), None)
    assert block is not None
    path = tmp_path / 'homelab.toml'
    path.write_text(block)
    kinds = {probe.kind for probe in load_config(path).probes.values()}
    assert {'dns', 'dot', 'doh'} <= kinds


async def test_ping_loopback(tmp_path: Path) -> None:
    if shutil.which('ping') is None:
        missing('ping is not installed (bash scripts/host-tools.sh)')
    adapters = with_probes(tmp_path, me=ProbeConfig(kind='ping', target='127.0.0.1', timeout=2))
    result = await probe(adapters, 'me')
    assert (result['ok'], result['method']) == (True, 'icmp')
    assert isinstance(result['latency_ms'], float) and result['latency_ms'] < 1000


async def test_ping_a_name_that_does_not_resolve(tmp_path: Path) -> None:
    if shutil.which('ping') is None:
        missing('ping is not installed (bash scripts/host-tools.sh)')
    # .invalid never resolves (RFC 6761), so ping itself fails and says why.
    adapters = with_probes(tmp_path, void=ProbeConfig(kind='ping', target='nas.invalid', timeout=1))
    result = await probe(adapters, 'void')
    assert (result['ok'], result['method'], result['latency_ms']) == (False, 'icmp', None)
    assert str(result['detail']).startswith('no ping answer: ping: nas.invalid')


async def test_without_ping_it_falls_back_to_tcp_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ops.host.network, 'PING', str(tmp_path / 'no-ping-here'))
    async with tcp_server() as port:
        adapters = with_probes(
            tmp_path,
            listening=ProbeConfig(kind='ping', target='127.0.0.1', port=port),
            refusing=ProbeConfig(kind='ping', target='127.0.0.1', port=closed_port()),
        )
        listening = await probe(adapters, 'listening')
        refusing = await probe(adapters, 'refusing')
    assert (listening['ok'], listening['method']) == (True, 'tcp')
    assert str(listening['detail']).startswith('ping cannot run')
    assert 'TCP connect instead' in str(listening['detail'])
    # A refused connection is the host answering: for a reachability check, that is up.
    assert (refusing['ok'], refusing['method']) == (True, 'tcp')
    assert 'refused' in str(refusing['detail'])


async def test_an_unknown_probe_is_refused(tmp_path: Path) -> None:
    adapters = with_probes(tmp_path, nas=ProbeConfig(kind='tcp', target='127.0.0.1', port=22))
    with pytest.raises(Refused, match="probe 'router' is not configured"):
        await run_operation('host_network_probe', adapters, target='router')


@pytest.mark.parametrize(
    ('config', 'reason'),
    [
        ({'kind': 'tcp', 'target': '127.0.0.1'}, 'needs a port'),
        ({'kind': 'http', 'target': 'ftp://192.0.2.1/'}, 'http:// or https://'),
        ({'kind': 'http', 'target': 'file:///etc/passwd'}, 'http:// or https://'),
        ({'kind': 'dns', 'target': 'example.org', 'resolver': '1.1.1.1:dns'}, 'resolver address'),
        ({'kind': 'dot', 'target': 'example.org', 'resolver': '1.1.1.1:dot'}, 'resolver address'),
        ({'kind': 'doh', 'target': 'example.org', 'resolver': 'https://dns.example:dns/q'}, 'resolver address'),
        ({'kind': 'dot', 'target': 'x.org', 'resolver': '192.0.2.53', 'ca_file': '/nonexistent/ca.pem'}, 'ca_file'),
    ],
)
async def test_a_probe_that_cannot_run_as_configured_is_refused(
    tmp_path: Path, config: dict[str, object], reason: str
) -> None:
    adapters = with_probes(tmp_path, broken=ProbeConfig.model_validate(config))
    with pytest.raises(Refused, match=reason):
        await run_operation('host_network_probe', adapters, target='broken')


@pytest.mark.parametrize('args', [{'target': '../etc/hosts'}, {'target': '-c100'}, {}, {'target': 'a', 'port': 1}])
async def test_malformed_arguments_are_refused_by_the_schema(tmp_path: Path, args: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        await run_operation('host_network_probe', with_probes(tmp_path), **args)
