"""Which Host names the console answers to, whose forwarded headers it believes, and Secure cookies over HTTPS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.auth.forwarding import LOOPBACK_NAMES, expected_hosts, forwarded_allow_ips
from app.auth.secure_cookies import SecureCookies
from app.settings import Settings, production_problems

STRONG = 'k3Jx9-QvTz_8LmWc2RbN7yHs4PdFa6Ge0UoIiE'


def test_bound_to_loopback_only_loopback_names_are_expected() -> None:
    assert set(expected_hosts(Settings(host='127.0.0.1'))) == {'127.0.0.1', 'localhost', '[::1]'}
    assert set(LOOPBACK_NAMES) == {'127.0.0.1', 'localhost', '[::1]'}


def test_bound_to_one_lan_or_tailnet_address_that_address_is_expected_too() -> None:
    assert set(expected_hosts(Settings(host='192.168.1.10'))) == {*LOOPBACK_NAMES, '192.168.1.10'}
    assert '[fd7a:115c:a1e0::5]' in expected_hosts(Settings(host='fd7a:115c:a1e0::5'))


def test_configured_names_and_the_published_address_are_expected() -> None:
    settings = Settings(host='0.0.0.0', allow_any_address=True, env='prod', publish_address='100.64.0.5')
    assert set(expected_hosts(settings)) == {*LOOPBACK_NAMES, '100.64.0.5'}
    named = Settings(host='127.0.0.1', allowed_hosts=['Homelab.Example.LAN', 'homelab.tail1234.ts.net'])
    assert set(expected_hosts(named)) == {*LOOPBACK_NAMES, 'homelab.example.lan', 'homelab.tail1234.ts.net'}
    assert '[fd00::7]' in expected_hosts(Settings(allowed_hosts=['fd00::7']))  # as browsers write it in Host


def test_bound_to_every_interface_in_dev_the_machines_own_addresses_are_expected() -> None:
    hosts = expected_hosts(Settings(host='0.0.0.0'))
    assert set(LOOPBACK_NAMES) <= set(hosts)
    assert 'evil.example' not in hosts and '*' not in hosts


def test_settings_read_lists_as_json_or_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('HOMELAB_TRUSTED_PROXIES', '127.0.0.1, 10.0.0.0/8')
    monkeypatch.setenv('HOMELAB_ALLOWED_HOSTS', '["homelab.lan"]')
    settings = Settings()
    assert settings.trusted_proxies == ['127.0.0.1', '10.0.0.0/8']
    assert settings.allowed_hosts == ['homelab.lan']


@pytest.mark.parametrize('value', ['localhost', '10.0.0.0/33', '*', 'not an address'])
def test_a_trusted_proxy_must_be_an_address_or_a_network(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv('HOMELAB_TRUSTED_PROXIES', value)
    with pytest.raises(ValueError, match='trusted_proxies'):
        Settings()


def test_forwarded_headers_are_believed_from_nobody_by_default() -> None:
    assert forwarded_allow_ips(Settings()) == []
    assert forwarded_allow_ips(Settings(trusted_proxies=['127.0.0.1', '::1'])) == ['127.0.0.1', '::1']


def test_gateway_means_the_container_networks_gateway(tmp_path: Path) -> None:
    route = tmp_path / 'route'
    route.write_text(
        'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n'
        'eth0\t00000000\t010012AC\t0003\t0\t0\t0\t00000000\t0\t0\t0\n'
        'eth0\t000012AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n'
    )
    assert forwarded_allow_ips(Settings(trusted_proxies=['gateway', '10.1.0.0/16']), route) == [
        '172.18.0.1',
        '10.1.0.0/16',
    ]
    with pytest.raises(ValueError, match='gateway'):
        forwarded_allow_ips(Settings(trusted_proxies=['gateway']), tmp_path / 'no-route')


def test_production_needs_to_know_its_host_names(tmp_path: Path) -> None:
    base: dict[str, Any] = {'data_dir': tmp_path, 'env': 'prod', 'storage_secret': STRONG}
    unknown = production_problems(Settings(**base, host='0.0.0.0', allow_any_address=True))
    assert len(unknown) == 1
    assert 'HOMELAB_ALLOWED_HOSTS' in unknown[0] and 'HOMELAB_PUBLISH_ADDRESS' in unknown[0]
    wildcard_published = Settings(**base, host='0.0.0.0', allow_any_address=True, publish_address='0.0.0.0')
    assert 'HOMELAB_ALLOWED_HOSTS' in production_problems(wildcard_published)[0]
    for known in (
        Settings(**base, host='0.0.0.0', allow_any_address=True, publish_address='127.0.0.1'),
        Settings(**base, host='0.0.0.0', allow_any_address=True, allowed_hosts=['homelab.lan']),
        Settings(**base, host='100.64.0.7'),
        Settings(**base),
    ):
        assert production_problems(known) == []
    assert production_problems(Settings(data_dir=tmp_path, host='0.0.0.0')) == []  # dev


async def _cookies(request: Request) -> PlainTextResponse:
    response = PlainTextResponse('ok')
    response.set_cookie('session', 'a', httponly=True)
    response.set_cookie('homelab_session', 'b', secure=True)
    return response


async def _set_cookies(url: str) -> list[str]:
    app = SecureCookies(Starlette(routes=[Route('/', _cookies)]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=url) as client:
        return (await client.get('/')).headers.get_list('set-cookie')


async def test_every_cookie_is_secure_when_the_request_came_over_https() -> None:
    cookies = await _set_cookies('https://homelab.lan')
    assert len(cookies) == 2
    for cookie in cookies:
        attributes = [part.strip().lower() for part in cookie.split(';')[1:]]
        assert attributes.count('secure') == 1, cookie


async def test_cookies_stay_as_they_are_over_plain_http() -> None:
    cookies = await _set_cookies('http://127.0.0.1:8080')
    assert next(c for c in cookies if c.startswith('session=')).lower().count('secure') == 0
